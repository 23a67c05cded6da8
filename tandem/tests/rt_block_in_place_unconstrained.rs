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
//!     nested `block_on` panics with Tokio's whole message.

#[path = "support/hang_guard.rs"]
mod hang_guard;

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
