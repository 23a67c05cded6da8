//! `yield_now` in a multi-thread worker's task takes a short path: the task marks itself
//! notified and its notification waits in the worker's `yielded` list (no waker clone, no wake
//! through the scheduler's lookup). These tests pin down what that path must keep of the old
//! one's contract.
//!
//! Proves:
//!   * a task that yields runs again only after the tasks that were ready on its worker;
//!   * a yield request whose future never returned `Pending` to the worker (a `select`-style
//!     poll that went on to finish) misroutes no later notification: a task that wakes itself
//!     during its poll afterwards keeps being polled until it finishes;
//!   * `yield_now` under a waker that is not the task's (a combinator's) takes the old path:
//!     its waker is deferred and woken;
//!   * a yield followed by `block_in_place` in the same poll loses no wake-up;
//!   * tasks that yield forever do not hold up shutdown, and their futures are dropped;
//!   * 200 tasks x 1,000 yields on two workers (the path under stealing) all finish.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;
use tandem::runtime::Builder;
use tandem::task::yield_now;

const LIMIT: Duration = Duration::from_secs(30);

fn multi_thread(workers: usize) -> tandem::runtime::Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_yielded_task_runs_after_the_tasks_ready_before_it() {
    hang_guard::within(LIMIT, "yield order", || {
        let rt = multi_thread(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let log = order.clone();
        rt.block_on(async move {
            tandem::spawn(async move {
                let mut others = Vec::new();
                for i in 0..3 {
                    let log = log.clone();
                    others.push(tandem::spawn(async move {
                        log.lock().unwrap().push(i);
                    }));
                }
                yield_now().await;
                log.lock().unwrap().push(99);
                for other in others {
                    other.await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        let order = order.lock().unwrap().clone();
        assert_eq!(order.len(), 4, "{order:?}");
        assert_eq!(
            order[3], 99,
            "the yielded task ran before a ready one: {order:?}"
        );
    });
}

/// Wakes its task by reference during each of its first `n` polls, then finishes.
async fn wake_self(n: usize, polls: Arc<AtomicUsize>) {
    let mut left = n;
    poll_fn(|cx| {
        polls.fetch_add(1, SeqCst);
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

#[test]
fn an_unused_yield_request_misroutes_no_later_notification() {
    hang_guard::within(LIMIT, "stale yield request", || {
        let rt = multi_thread(1);
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        rt.block_on(async move {
            tandem::spawn(async move {
                // The yield asks for the task's next notification to wait in `yielded`, but
                // the task returns `Ready` from the same poll: no notification follows.
                let mut yielded = pin!(yield_now());
                poll_fn(|cx| {
                    assert!(yielded.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                // The next tasks on this worker wake themselves while running: each must be
                // polled again (to the back of the queue), whatever the request above left.
                let a = tandem::spawn(wake_self(50, counted.clone()));
                let b = tandem::spawn(wake_self(50, counted));
                a.await.unwrap();
                b.await.unwrap();
            })
            .await
            .unwrap();
        });
        assert_eq!(polls.load(SeqCst), 102);
    });
}

/// A waker of its own around the task's (what a combinator gives the futures it drives).
struct Wrapped(std::task::Waker, Arc<AtomicUsize>);

impl std::task::Wake for Wrapped {
    fn wake(self: Arc<Self>) {
        self.1.fetch_add(1, SeqCst);
        self.0.wake_by_ref();
    }
}

#[test]
fn yield_now_under_a_combinators_waker() {
    hang_guard::within(LIMIT, "yield under a wrapped waker", || {
        let rt = multi_thread(2);
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = wakes.clone();
        rt.block_on(async move {
            tandem::spawn(async move {
                for _ in 0..100 {
                    let mut yielded = pin!(yield_now());
                    poll_fn(|cx| {
                        let waker = Arc::new(Wrapped(cx.waker().clone(), counted.clone())).into();
                        let mut inner = std::task::Context::from_waker(&waker);
                        yielded.as_mut().poll(&mut inner)
                    })
                    .await;
                }
            })
            .await
            .unwrap();
        });
        // Each yield went through the wrapper (deferred, then woken), never around it.
        assert_eq!(wakes.load(SeqCst), 100);
    });
}

#[test]
fn a_yield_then_block_in_place_in_the_same_poll_loses_no_wake_up() {
    hang_guard::within(LIMIT, "yield then block_in_place", || {
        for workers in [1, 2] {
            let rt = multi_thread(workers);
            let polls = rt.block_on(async {
                tandem::spawn(async {
                    let mut yielded = pin!(yield_now());
                    let mut polls = 0;
                    poll_fn(|cx| {
                        polls += 1;
                        if yielded.as_mut().poll(cx).is_ready() {
                            return Poll::Ready(());
                        }
                        // The core moves to another thread while the yield request is out.
                        tandem::task::block_in_place(|| {
                            std::thread::sleep(Duration::from_millis(5))
                        });
                        Poll::Pending
                    })
                    .await;
                    polls
                })
                .await
                .unwrap()
            });
            assert_eq!(polls, 2, "{workers} worker(s)");
        }
    });
}

/// Counts the futures dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn tasks_that_yield_forever_do_not_hold_up_shutdown() {
    hang_guard::within(LIMIT, "shutdown with yielding tasks", || {
        for workers in [1, 2] {
            let rt = multi_thread(workers);
            let dropped = Arc::new(AtomicUsize::new(0));
            let started = Arc::new(AtomicUsize::new(0));
            for _ in 0..8 {
                let guard = DropCount(dropped.clone());
                let started = started.clone();
                rt.spawn(async move {
                    let _guard = guard;
                    started.fetch_add(1, SeqCst);
                    loop {
                        yield_now().await;
                    }
                });
            }
            while started.load(SeqCst) < 8 {
                std::thread::sleep(Duration::from_millis(1));
            }
            drop(rt);
            assert_eq!(dropped.load(SeqCst), 8, "{workers} worker(s)");
        }
    });
}

#[test]
fn many_tasks_yielding_on_two_workers_all_finish() {
    hang_guard::within(LIMIT, "200 x 1,000 yields", || {
        let rt = multi_thread(2);
        let done = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let done = done.clone();
                rt.spawn(async move {
                    for _ in 0..1_000 {
                        yield_now().await;
                    }
                    done.fetch_add(1, SeqCst);
                })
            })
            .collect();
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(done.load(SeqCst), 200);
    });
}
