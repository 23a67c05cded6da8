//! A blocking section runs without the cooperative budget of the code that entered it, and a
//! runtime dropped where blocking is not allowed panics with Tokio's message.
//!
//! Proves:
//!   * a future driven to completion by another executor inside `block_in_place`, called from
//!     a multi-thread runtime's `block_on` or from one of its tasks, may poll more budgeted
//!     resources than one budget allows (a channel of 200 messages; the budget is 128): before
//!     the fix the 129th `recv` returned `Pending` forever and the test hung;
//!   * dropping a runtime inside a task or `block_on` panics with "Cannot drop a runtime ...",
//!     while `shutdown_background` and `shutdown_timeout(ZERO)` there do not;
//!   * `block_in_place` in a current-thread runtime's `Handle::block_on` runs its closure, and a
//!     nested `block_on` panics with Tokio's whole message;
//!   * `block_in_place` on a worker wakes the tasks that yielded there before it blocks;
//!   * `shutdown_timeout(Duration::MAX)` waits without bound instead of overflowing, and a
//!     task whose poll panics has its future dropped while the panic unwinds.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;
use tandem::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(20);

/// Receives 200 messages in a `futures` executor inside `block_in_place`.
fn drain_in_block_in_place() {
    let (tx, mut rx) = tandem::sync::mpsc::unbounded_channel();
    for i in 0..200 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let count = tandem::task::block_in_place(move || {
        futures::executor::block_on(async move {
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        })
    });
    assert_eq!(count, 200);
}

#[test]
fn block_in_place_in_block_on_is_unconstrained() {
    hang_guard::within(LIMIT, "block_in_place in block_on", || {
        let rt = Runtime::new().unwrap();
        rt.block_on(async { drain_in_block_in_place() });
    });
}

#[test]
fn block_in_place_in_task_is_unconstrained() {
    hang_guard::within(LIMIT, "block_in_place in a task", || {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            tandem::spawn(async {
                // Spend the task's budget first: the section must not inherit what is left.
                for _ in 0..200 {
                    tandem::task::consume_budget().await;
                }
                drain_in_block_in_place();
            })
            .await
            .unwrap();
        });
    });
}

fn panic_text(err: Box<dyn std::any::Any + Send>) -> String {
    err.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn dropping_a_runtime_in_a_runtime_panics() {
    let outer = Runtime::new().unwrap();
    for inner_multi in [false, true] {
        let err = catch_unwind(AssertUnwindSafe(|| {
            outer.block_on(async {
                let inner = if inner_multi {
                    Builder::new_multi_thread().worker_threads(1).build()
                } else {
                    Builder::new_current_thread().build()
                };
                drop(inner.unwrap());
            })
        }))
        .expect_err("dropping a runtime in block_on panics");
        assert!(panic_text(err).contains("Cannot drop a runtime"));
    }
    let res = outer.block_on(outer.spawn(async {
        drop(Builder::new_current_thread().build().unwrap());
    }));
    assert!(res.unwrap_err().is_panic());
}

#[test]
fn shutting_down_without_waiting_in_a_runtime_is_allowed() {
    let outer = Runtime::new().unwrap();
    outer.block_on(async {
        Builder::new_current_thread()
            .build()
            .unwrap()
            .shutdown_background();
        Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap()
            .shutdown_timeout(Duration::ZERO);
    });
}

#[test]
fn block_in_place_in_handle_block_on_of_a_current_thread_runtime_runs_the_closure() {
    // `Handle::block_on` on a current-thread runtime only polls its future: blocking there
    // stalls no task, so `block_in_place` runs its closure (it panicked before).
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let out = rt.handle().block_on(async {
        tandem::task::block_in_place(|| {
            tandem::runtime::Handle::current().block_on(tandem::task::yield_now());
            7
        })
    });
    assert_eq!(out, 7);
}

#[test]
fn nested_block_on_names_the_fix() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            tandem::runtime::Handle::current().block_on(async {});
        })
    }))
    .expect_err("nested block_on panics");
    assert!(panic_text(err).ends_with(
        "If you are in an async function, use `.await` on the future instead of blocking on it."
    ));
}

#[test]
fn block_in_place_wakes_the_tasks_that_yielded_first() {
    // A future that yielded on the worker is deferred until the worker runs dry; the worker
    // blocking in `block_in_place` must wake it before, or it waits for the whole section.
    hang_guard::within(LIMIT, "yielded task during block_in_place", || {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let woken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = woken.clone();
        let task = rt.spawn(async move {
            let waker = std::sync::Arc::new(FlagWaker(flag)).into();
            let mut cx = std::task::Context::from_waker(&waker);
            let mut yielded = Box::pin(tandem::task::yield_now());
            assert!(yielded.as_mut().poll(&mut cx).is_pending());
            tandem::task::block_in_place(move || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            });
        });
        started_rx.recv().unwrap();
        let was_woken = woken.load(std::sync::atomic::Ordering::SeqCst);
        release_tx.send(()).unwrap();
        rt.block_on(task).unwrap();
        assert!(
            was_woken,
            "the yielded task was woken before the blocking section"
        );
    });
}

struct FlagWaker(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn shutdown_timeout_accepts_the_largest_duration() {
    // Its deadline overflows `Instant`: it used to panic ("overflow when adding duration").
    for rt in [
        Builder::new_current_thread().enable_all().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap(),
    ] {
        rt.shutdown_timeout(Duration::MAX);
    }
}

#[test]
fn a_task_that_panics_is_dropped_while_the_panic_unwinds() {
    // As Tokio: the future's destructor runs during the unwinding (`thread::panicking()`).
    struct Boom(Option<std::sync::mpsc::Sender<bool>>);
    impl Future for Boom {
        type Output = ();
        fn poll(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            panic!("[expected test panic] boom");
        }
    }
    impl Drop for Boom {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(std::thread::panicking());
        }
    }
    for rt in [
        Builder::new_current_thread().build().unwrap(),
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ] {
        let (tx, rx) = std::sync::mpsc::channel();
        let res = rt.block_on(rt.spawn(Boom(Some(tx))));
        assert!(res.unwrap_err().is_panic());
        assert!(rx.recv().unwrap(), "dropped during the unwinding");
    }
}
