//! Spawning works from every context a task can be spawned from, and misuse
//! panics clearly.
//!
//! Proves, on every flavour (current-thread, multi-thread with 1, 2, 8 workers):
//!
//!   * `tandem::spawn` / `tandem::task::spawn` work from inside tasks (nested)
//!     and from the `block_on` future;
//!   * `Runtime::spawn`, `rt.handle().spawn` work from outside the runtime, and
//!     `Handle::spawn` works from a plain std thread (and `tandem::spawn` from a
//!     plain thread that entered the runtime with `Handle::enter`);
//!   * from a `spawn_blocking` closure both `tandem::spawn` and
//!     `Handle::current().spawn` work;
//!   * on the multi-thread flavours, spawning from inside `block_in_place`
//!     works and the spawned task runs while the closure is still blocking the
//!     thread (even with a single worker);
//!   * `Handle::current()` reports the right `runtime_flavor()` inside the runtime.
//!
//! And that misuse fails loudly:
//!   * `Handle::current()` / `tandem::spawn` outside a runtime panic with a
//!     message mentioning a runtime; `Handle::try_current()` returns Err;
//!   * `block_on` from inside a runtime (in a task, or in the `block_on`
//!     future) panics with a message mentioning a runtime — observed both with
//!     `catch_unwind` inside the task and as `JoinError::is_panic` + payload;
//!   * `Builder::worker_threads(0)` and `Builder::max_blocking_threads(0)`
//!     panic at the call, with a message.
//!
//! The intentional `block_on`-in-runtime panics print their (runtime-generated)
//! messages to stderr; that output is expected.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use support::{each_flavor, panic_message, Flavor};
use tandem::runtime::{Builder, Handle, RuntimeFlavor};

const TIMEOUT: Duration = Duration::from_secs(20);

fn expected_flavor(flavor: Flavor) -> RuntimeFlavor {
    if flavor.is_multi_thread() {
        RuntimeFlavor::MultiThread
    } else {
        RuntimeFlavor::CurrentThread
    }
}

#[test]
fn spawn_from_inside_tasks() {
    each_flavor(|_flavor, rt| {
        let v = rt.block_on(async {
            // From the block_on future.
            let outer = tandem::spawn(async {
                // From inside a task, nested twice, via both paths.
                let a = tandem::spawn(async {
                    tandem::task::spawn(async { 1u32 }).await.unwrap() + 10
                });
                let b = tandem::task::spawn(async { 100u32 });
                a.await.unwrap() + b.await.unwrap()
            });
            outer.await.unwrap()
        });
        assert_eq!(v, 111);

        // Many tasks spawned from inside one task.
        let sum = rt.block_on(async {
            tandem::spawn(async {
                let handles: Vec<_> = (0..1000u64)
                    .map(|i| tandem::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                sum
            })
            .await
            .unwrap()
        });
        assert_eq!(sum, 999 * 1000 / 2);
    });
}

#[test]
fn spawn_from_outside_through_handle() {
    each_flavor(|_flavor, rt| {
        // From the thread that owns the runtime, without entering it.
        assert!(Handle::try_current().is_err());
        let a = rt.spawn(async { 1u32 });
        let b = rt.handle().spawn(async { 2u32 });

        // From plain std threads holding a Handle.
        let handle = rt.handle().clone();
        let c = std::thread::spawn(move || handle.spawn(async { 3u32 }))
            .join()
            .unwrap();
        let handle = rt.handle().clone();
        let d = std::thread::spawn(move || {
            let _guard = handle.enter();
            assert!(
                Handle::try_current().is_ok(),
                "try_current inside Handle::enter"
            );
            tandem::spawn(async { 4u32 })
        })
        .join()
        .unwrap();
        // Runtime::enter on this thread, then the guard is dropped again.
        let e = {
            let _guard = rt.enter();
            tandem::spawn(async { 5u32 })
        };
        assert!(
            Handle::try_current().is_err(),
            "runtime context leaked past the EnterGuard"
        );

        let total = rt.block_on(async move {
            a.await.unwrap()
                + b.await.unwrap()
                + c.await.unwrap()
                + d.await.unwrap()
                + e.await.unwrap()
        });
        assert_eq!(total, 15);
    });
}

#[test]
fn spawn_from_blocking_threads() {
    each_flavor(|_flavor, rt| {
        let total = rt.block_on(async {
            let (x, y, z) = tandem::task::spawn_blocking(|| {
                let x = tandem::spawn(async { 1u32 });
                let y = Handle::current().spawn(async { 2u32 });
                let z = tandem::task::spawn(async { 3u32 });
                (x, y, z)
            })
            .await
            .unwrap();
            x.await.unwrap() + y.await.unwrap() + z.await.unwrap()
        });
        assert_eq!(total, 6);

        // Runtime::spawn_blocking called from outside the runtime.
        let inner = rt.spawn_blocking(|| Handle::current().spawn(async { 7u32 }));
        let v = rt.block_on(async move { inner.await.unwrap().await.unwrap() });
        assert_eq!(v, 7);
    });
}

#[test]
fn spawn_from_block_in_place() {
    each_flavor(|flavor, rt| {
        if !flavor.is_multi_thread() {
            return; // block_in_place is a multi-thread-runtime feature
        }
        let total = rt.block_on(async {
            tandem::spawn(async {
                tandem::task::block_in_place(|| {
                    // The spawned task must run while this closure still blocks
                    // its thread: the runtime hands the worker's duties to
                    // another thread (even with a single worker).
                    let (tx, rx) = mpsc::channel();
                    let a = tandem::spawn(async move {
                        tx.send(()).unwrap();
                        10u32
                    });
                    rx.recv_timeout(TIMEOUT).expect(
                        "task spawned from block_in_place did not run while the closure blocked",
                    );
                    let b = Handle::current().spawn(async { 20u32 });
                    (a, b)
                })
            })
            .await
            .unwrap()
        });
        let (a, b) = total;
        let v = rt.block_on(async move { a.await.unwrap() + b.await.unwrap() });
        assert_eq!(v, 30);
    });
}

#[test]
fn handle_current_reports_flavor() {
    each_flavor(|flavor, rt| {
        let want = expected_flavor(flavor);
        assert_eq!(rt.handle().runtime_flavor(), want);
        let (in_block_on, in_task) = rt.block_on(async {
            let a = Handle::current().runtime_flavor();
            let b = tandem::spawn(async { Handle::current().runtime_flavor() })
                .await
                .unwrap();
            (a, b)
        });
        assert_eq!(in_block_on, want);
        assert_eq!(in_task, want);
    });
}

#[test]
fn handle_current_outside_runtime_panics() {
    assert!(
        Handle::try_current().is_err(),
        "try_current outside a runtime must be Err"
    );

    let err = panic::catch_unwind(Handle::current)
        .expect_err("Handle::current() outside a runtime must panic");
    let msg = panic_message(&*err);
    assert!(
        msg.to_lowercase().contains("runtime"),
        "panic message does not mention a runtime: {msg:?}"
    );

    let err = panic::catch_unwind(|| {
        tandem::spawn(async {});
    })
    .expect_err("tandem::spawn outside a runtime must panic");
    let msg = panic_message(&*err);
    assert!(
        msg.to_lowercase().contains("runtime"),
        "panic message does not mention a runtime: {msg:?}"
    );
}

fn assert_runtime_panic_message(ctx: &str, msg: &str) {
    assert!(
        msg.to_lowercase().contains("runtime"),
        "{ctx}: block_on inside a runtime panicked with a message not mentioning a runtime: {msg:?}"
    );
}

#[test]
fn block_on_inside_runtime_panics() {
    // A second, unrelated runtime: calling its block_on from inside the first
    // one is the common real-world mistake.
    let other = Flavor::CURRENT_THREAD.build();
    let other_handle = other.handle().clone();
    each_flavor(|_flavor, rt| {
        let own_handle = rt.handle().clone();
        for (which, h) in [
            ("own runtime", own_handle),
            ("other runtime", other_handle.clone()),
        ] {
            // 1. catch_unwind inside a spawned task.
            let h2 = h.clone();
            let caught = rt
                .block_on(rt.spawn(async move {
                    panic::catch_unwind(AssertUnwindSafe(|| h2.block_on(async { 1u32 })))
                        .map_err(|p| panic_message(&*p))
                }))
                .expect("task itself must not fail");
            let msg = caught.expect_err("Handle::block_on inside a task must panic");
            assert_runtime_panic_message(which, &msg);

            // 2. The panic escapes the task: JoinError::is_panic with the message.
            let h2 = h.clone();
            let err = rt
                .block_on(rt.spawn(async move { h2.block_on(async { 1u32 }) }))
                .expect_err("Handle::block_on inside a task must panic");
            assert!(
                err.is_panic(),
                "{which}: expected a panic JoinError, got {err:?}"
            );
            assert_runtime_panic_message(which, &panic_message(&*err.into_panic()));

            // 3. Directly inside the block_on future.
            let h2 = h.clone();
            let caught = rt.block_on(async move {
                panic::catch_unwind(AssertUnwindSafe(|| h2.block_on(async { 1u32 })))
                    .map_err(|p| panic_message(&*p))
            });
            let msg = caught.expect_err("Handle::block_on inside block_on must panic");
            assert_runtime_panic_message(which, &msg);
        }
        // The runtime is still fully usable afterwards.
        assert_eq!(rt.block_on(rt.spawn(async { 5u32 })).unwrap(), 5);
    });
    drop(other);
}

#[test]
fn builder_zero_worker_threads_panics() {
    let err = panic::catch_unwind(|| {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(0);
    })
    .expect_err("worker_threads(0) must panic at the call");
    let msg = panic_message(&*err);
    assert!(
        msg.to_lowercase().contains("worker"),
        "worker_threads(0) panic message should say what is wrong: {msg:?}"
    );
}

#[test]
fn builder_zero_max_blocking_threads_panics() {
    for (name, mut b) in [
        ("multi_thread", Builder::new_multi_thread()),
        ("current_thread", Builder::new_current_thread()),
    ] {
        let err = panic::catch_unwind(AssertUnwindSafe(|| {
            b.max_blocking_threads(0);
        }))
        .expect_err("max_blocking_threads(0) must panic at the call");
        let msg = panic_message(&*err);
        assert!(
            msg.to_lowercase().contains("blocking"),
            "{name}: max_blocking_threads(0) panic message should say what is wrong: {msg:?}"
        );
    }
}
