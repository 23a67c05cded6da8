//! `join!` and `pin!`: every output in order, the rotating start, `biased;`, and pinning.
//!
//! Proves:
//!   * `join!` returns every future's output, in argument order, whatever order they
//!     complete in, and polls a completed future no more;
//!   * each poll of `join!` starts one future further along (1 2 3, 2 3 1, 3 1 2, ...), and with
//!     `biased;` always at the first;
//!   * a future that spends the whole budget at every poll does not starve the others, on every
//!     flavour;
//!   * `pin!` in both forms gives `Pin<&mut _>` bindings that can be polled through `&mut` again.

mod support;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use support::{each_flavor, Flavor};
use tandem::runtime::Runtime;
use tandem::sync::oneshot;

fn block_on<F: Future>(f: F) -> F::Output {
    Flavor::CURRENT_THREAD.build().block_on(f)
}

/// Records its name at each poll, and completes at its `polls`-th poll.
async fn recorder(name: u32, polls: u32, log: &RefCell<Vec<u32>>) -> u32 {
    let mut seen = 0;
    poll_fn(|cx| {
        log.borrow_mut().push(name);
        seen += 1;
        if seen == polls {
            Poll::Ready(name * 10)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[test]
fn outputs_in_argument_order() {
    block_on(async {
        let (tx1, rx1) = oneshot::channel();
        let (tx2, rx2) = oneshot::channel();
        let (a, b, c) = tandem::join!(
            async { rx1.await.unwrap() },
            async {
                tx1.send("first").unwrap();
                rx2.await.unwrap()
            },
            async {
                tx2.send(2u8).unwrap();
                3.5
            },
        );
        assert_eq!((a, b, c), ("first", 2, 3.5));
    });
}

#[test]
fn start_rotates_and_done_futures_are_not_polled() {
    block_on(async {
        let log = RefCell::new(Vec::new());
        let out = tandem::join!(
            recorder(1, 4, &log),
            recorder(2, 2, &log),
            recorder(3, 3, &log)
        );
        assert_eq!(out, (10, 20, 30));
        assert_eq!(*log.borrow(), [1, 2, 3, 2, 3, 1, 3, 1, 1]);
    });
}

#[test]
fn biased_always_starts_at_the_first() {
    block_on(async {
        let log = RefCell::new(Vec::new());
        let out =
            tandem::join!(biased; recorder(1, 3, &log), recorder(2, 2, &log), recorder(3, 3, &log));
        assert_eq!(out, (10, 20, 30));
        assert_eq!(*log.borrow(), [1, 2, 3, 1, 2, 3, 1, 3]);
    });
}

/// The first future spends the whole budget at every poll (and then is pending); the second
/// needs one unit per step. With a fixed start, the second would find the budget spent at every
/// poll of `join!` and never finish.
fn budget_hog_does_not_starve(flavor: Flavor, rt: Runtime) {
    let task = async move {
        let finished = AtomicBool::new(false);
        let hog = async {
            while !finished.load(Ordering::Relaxed) {
                tandem::task::consume_budget().await;
            }
        };
        let worker = async {
            for _ in 0..10 {
                tandem::task::consume_budget().await;
            }
            finished.store(true, Ordering::Relaxed);
        };
        tandem::join!(hog, worker);
    };
    rt.block_on(async move { tandem::spawn(task).await })
        .unwrap_or_else(|e| panic!("[{}] {e}", flavor.name));
}

#[test]
fn budget_hog_does_not_starve_on_every_flavor() {
    each_flavor(budget_hog_does_not_starve);
}

#[test]
fn empty_and_single() {
    block_on(async {
        let () = tandem::join!();
        let () = tandem::join!(biased;);
        assert_eq!(tandem::join!(async { 1 }), (1,));
        assert_eq!(tandem::join!(std::future::ready('x'),), ('x',));
    });
}

#[test]
fn pin_both_forms() {
    block_on(async {
        let count = Cell::new(0);
        let twice = poll_fn(|_| {
            count.set(count.get() + 1);
            if count.get() == 2 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        tandem::pin!(twice);
        // A first poll through `&mut`, then the same future awaited to completion.
        assert!(futures::poll!(&mut twice).is_pending());
        (&mut twice).await;
        assert_eq!(count.get(), 2);

        tandem::pin! {
            let a = async { 1 };
            let b = async { 2 };
        }
        assert_eq!(a.as_mut().await + b.await, 3);
    });
}
