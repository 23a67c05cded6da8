//! `select!`: the order of evaluation and polling, disabled branches, `else`, cancellation of
//! the losers, and the cooperative budget.
//!
//! Proves:
//!   * preconditions are evaluated before the futures, top to bottom, and every future
//!     expression is evaluated, a disabled branch's too, but a disabled future is never polled;
//!   * with `biased;` the first ready branch in source order wins, every time; without it the
//!     winner among always-ready branches varies (a random start);
//!   * an output that does not match its pattern disables only its branch: the others go on,
//!     and the disabled future is not polled again;
//!   * with every branch disabled, `else` runs; without `else`, `select!` panics with Tokio's
//!     message;
//!   * the losing futures are dropped before the winning handler runs, and `break`, `continue`
//!     and `?` in a handler act on the caller's code;
//!   * on every flavour, a task looping over an always-ready `select!` yields when its budget
//!     is spent, so another task on the same worker runs (on the current-thread runtime it
//!     would otherwise never finish).

mod support;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, ready, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use support::{each_flavor, panic_message, Flavor};
use tandem::runtime::Runtime;
use tandem::sync::oneshot;

fn block_on<F: Future>(f: F) -> F::Output {
    Flavor::CURRENT_THREAD.build().block_on(f)
}

/// A future that counts its polls and drops, and completes with `value` at its first poll if
/// `ready`.
struct Probe<'a> {
    polls: &'a Cell<u32>,
    drops: &'a Cell<u32>,
    ready: bool,
    value: Option<u32>,
}

impl Future for Probe<'_> {
    type Output = Option<u32>;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
        self.polls.set(self.polls.get() + 1);
        if self.ready {
            Poll::Ready(self.value)
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn preconditions_then_futures_in_order_and_disabled_never_polled() {
    block_on(async {
        let order = RefCell::new(Vec::new());
        let step = |what: &'static str| order.borrow_mut().push(what);
        let out = tandem::select! {
            _ = { step("future 1"); poll_fn(|_| -> Poll<()> { panic!("polled a disabled branch") }) },
                if { step("precondition 1"); false } => 1,
            v = { step("future 2"); ready(2) }, if { step("precondition 2"); true } => v,
        };
        assert_eq!(out, 2);
        assert_eq!(
            *order.borrow(),
            ["precondition 1", "precondition 2", "future 1", "future 2"]
        );
    });
}

#[test]
fn biased_polls_top_to_bottom() {
    block_on(async {
        for _ in 0..100 {
            let (polls, drops) = (Cell::new(0), Cell::new(0));
            let out = tandem::select! {
                biased;
                _ = Probe { polls: &polls, drops: &drops, ready: false, value: None } => 0,
                v = ready(1) => v,
                v = ready(2) => v,
            };
            assert_eq!(out, 1);
            assert_eq!(polls.get(), 1, "the pending first branch is polled first");
            assert_eq!(drops.get(), 1);
        }
    });
}

#[test]
fn unbiased_start_varies() {
    block_on(async {
        let mut wins = [0u32; 4];
        for _ in 0..400 {
            let i = tandem::select! {
                v = ready(0) => v,
                v = ready(1) => v,
                v = ready(2) => v,
                v = ready(3) => v,
            };
            wins[i] += 1;
        }
        // A fixed start would give one branch all 400 wins; each gets none with odds 0.75^400.
        assert!(wins.iter().all(|&n| n > 0), "wins per branch: {wins:?}");
    });
}

#[test]
fn mismatch_disables_only_its_branch() {
    block_on(async {
        let (polls, drops) = (Cell::new(0), Cell::new(0));
        let (tx, rx) = oneshot::channel::<u32>();
        let mut tx = Some(tx);
        let out = tandem::select! {
            biased;
            // Ready with `None` at its first poll: does not match, so it is disabled...
            Some(v) = Probe { polls: &polls, drops: &drops, ready: true, value: None } => v,
            // ...and this one is polled on; the sender is used after the first poll.
            v = rx => v.unwrap(),
            // Sends on the first poll, then never completes.
            () = poll_fn(|_| {
                if let Some(tx) = tx.take() {
                    tx.send(7).unwrap();
                }
                Poll::Pending
            }) => unreachable!(),
        };
        assert_eq!(out, 7);
        assert_eq!(polls.get(), 1, "a disabled branch is not polled again");
        assert_eq!(drops.get(), 1);
    });
}

#[test]
fn else_runs_when_every_branch_is_disabled() {
    block_on(async {
        let out = tandem::select! {
            Some(v) = ready(None::<u32>) => v,
            v = ready(9), if false => v,
            else => 42,
        };
        assert_eq!(out, 42);
    });
}

#[test]
fn without_else_every_branch_disabled_panics() {
    let rt = Flavor::CURRENT_THREAD.build();
    let res = panic::catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            tandem::select! {
                Some(v) = ready(None::<u32>) => v,
                v = ready(9), if false => v,
            }
        })
    }));
    let payload = res.expect_err("select! returned with every branch disabled");
    assert_eq!(
        panic_message(&*payload),
        "all branches are disabled and there is no else branch"
    );
}

#[test]
fn losers_are_dropped_before_the_handler_runs() {
    block_on(async {
        let (polls, drops) = (Cell::new(0), Cell::new(0));
        let pending = || Probe {
            polls: &polls,
            drops: &drops,
            ready: false,
            value: None,
        };
        let mut borrowed = 0;
        tandem::select! {
            _ = pending() => unreachable!(),
            _ = pending() => unreachable!(),
            // A future that borrows what the handler mutates.
            () = async { let _ = &mut borrowed; } => {
                assert_eq!(drops.get(), 2, "the losers are dropped before the handler");
                borrowed += 1;
            }
        }
        assert_eq!(borrowed, 1);
        assert_eq!(drops.get(), 2);
        assert!(polls.get() <= 2);
    });
}

#[test]
fn handlers_act_on_the_callers_code() {
    fn parse_all(inputs: &[&str]) -> Result<u32, std::num::ParseIntError> {
        block_on(async {
            let mut sum = 0;
            for input in inputs {
                tandem::select! {
                    v = ready(input.parse::<u32>()) => {
                        let v = v?;
                        if v == 0 {
                            continue;
                        }
                        if v == 99 {
                            break;
                        }
                        sum += v;
                    }
                }
            }
            Ok(sum)
        })
    }
    assert_eq!(parse_all(&["1", "0", "2", "99", "5"]), Ok(3));
    assert!(parse_all(&["1", "x"]).is_err());
}

/// A task loops on a `select!` whose first branch spends a unit of budget and whose second is
/// always ready, until another task spawned on the same runtime sets a flag. Once the budget
/// is spent the first branch returns `Pending`; without the budget check the second would then
/// win at every turn and the task would never yield (on a current-thread runtime the flag
/// would never be set). With it, `select!` yields first, so the always-ready branch never wins.
fn always_ready_loop_lets_others_run(flavor: Flavor, rt: Runtime) {
    let (spent, fallback) = rt.block_on(async {
        let flag = Arc::new(AtomicBool::new(false));
        let spinner = {
            let flag = flag.clone();
            tandem::spawn(async move {
                let (mut spent, mut fallback) = (0u64, 0u64);
                // Bounded, so that a regression fails instead of hanging.
                for _ in 0..1_000_000 {
                    if flag.load(Ordering::Acquire) {
                        break;
                    }
                    tandem::select! {
                        biased;
                        () = tandem::task::consume_budget() => spent += 1,
                        () = ready(()) => fallback += 1,
                    }
                }
                assert!(flag.load(Ordering::Acquire), "the other task never ran");
                (spent, fallback)
            })
        };
        let setter = tandem::spawn(async move { flag.store(true, Ordering::Release) });
        setter.await.unwrap();
        spinner.await.unwrap()
    });
    assert_eq!(
        fallback, 0,
        "[{}] the always-ready branch won (after {spent} units spent)",
        flavor.name
    );
}

#[test]
fn always_ready_select_loop_yields_on_every_flavor() {
    each_flavor(always_ready_loop_lets_others_run);
}

#[test]
fn spent_budget_yields_before_polling() {
    // As Tokio's `select_is_budget_aware`: each select! spends one unit through its first
    // branch; once the budget is gone, select! returns Pending without polling the always-ready
    // second branch.
    block_on(async {
        let select_once = || {
            Box::pin(async {
                tandem::select! {
                    biased;
                    () = tandem::task::consume_budget() => {},
                    () = ready(()) => {},
                }
            })
        };
        let mut ready_polls = 0;
        loop {
            let mut fut = select_once();
            let polled = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
            if polled.is_pending() {
                break;
            }
            ready_polls += 1;
            assert!(ready_polls <= 128, "select! never saw the spent budget");
        }
        assert_eq!(ready_polls, 128);
    });
}
