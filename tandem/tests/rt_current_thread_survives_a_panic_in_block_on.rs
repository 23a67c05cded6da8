//! A current-thread runtime stays usable after a panic unwinds out of `block_on` (the root
//! future's, a refused `block_in_place`, a park hook's), as Tokio's does. Before the fix the
//! core (its queue, its drivers, its ring) was put back only when `block_on` returned normally:
//! a panic dropped it, and every later `block_on` that needed a task, a timer or I/O hung.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem::runtime::{Builder, Runtime};

/// Runs `body` on a thread of its own, failing (not hanging) if it does not end.
fn on_own_thread(body: impl FnOnce() + Send + 'static) {
    hang_guard::within(
        Duration::from_secs(20),
        "stuck: the runtime lost its core to the panic",
        body,
    );
}

/// What a usable runtime can still do: a timer, a spawned task, I/O.
fn still_works(rt: &Runtime, spawned_before: Option<tandem::task::JoinHandle<i32>>) {
    let out = rt.block_on(async {
        tandem::time::sleep(Duration::from_millis(1)).await;
        let listener = tandem::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted, connected) =
            tokio_join(listener.accept(), tandem::net::TcpStream::connect(addr)).await;
        accepted.unwrap();
        connected.unwrap();
        let spawned = tandem::spawn(async { 1 }).await.unwrap();
        match spawned_before {
            Some(handle) => spawned + handle.await.unwrap(),
            None => spawned,
        }
    });
    assert!(out >= 1);
}

async fn tokio_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    tandem::join!(a, b)
}

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn after_the_root_future_panicked() {
    on_own_thread(|| {
        let rt = runtime();
        let spawned = rt.spawn(async { 7 });
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async { panic!("the root future panics") })
        }));
        assert!(panicked.is_err());
        still_works(&rt, Some(spawned));
    });
}

#[test]
fn after_block_in_place_was_refused() {
    on_own_thread(|| {
        let rt = runtime();
        let refused = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async { tandem::task::block_in_place(|| ()) })
        }));
        assert!(refused.is_err());
        still_works(&rt, None);
    });
}

/// A runtime whose hook (set by `with_hook` on the builder) panics the first time it runs.
fn with_a_hook_that_panics_once(
    with_hook: fn(&mut Builder, Box<dyn Fn() + Send + Sync>) -> &mut Builder,
) -> Runtime {
    let armed = Arc::new(AtomicBool::new(true));
    let mut builder = Builder::new_current_thread();
    builder.enable_all();
    with_hook(
        &mut builder,
        Box::new(move || {
            if armed.swap(false, Ordering::SeqCst) {
                panic!("the hook panics");
            }
        }),
    );
    builder.build().unwrap()
}

fn after_a_hook_panicked(with_hook: fn(&mut Builder, Box<dyn Fn() + Send + Sync>) -> &mut Builder) {
    on_own_thread(move || {
        let rt = with_a_hook_that_panics_once(with_hook);
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async { tandem::time::sleep(Duration::from_millis(5)).await })
        }));
        assert!(panicked.is_err(), "the hook did not run");
        still_works(&rt, None);
    });
}

#[test]
fn after_a_park_hook_panicked() {
    after_a_hook_panicked(|builder, hook| builder.on_thread_park(hook));
}

#[test]
fn after_an_unpark_hook_panicked() {
    after_a_hook_panicked(|builder, hook| builder.on_thread_unpark(hook));
}
