//! A waker's own code (its `clone`, `wake`, `drop`) may use the runtime's shared structures:
//! the time driver and the signal registry never run it under one of their locks. Before the
//! fix, registering a timer cloned the polling task's waker under the shard lock of the
//! thread (which every timer of that thread uses), and polling a signal stream cloned it under
//! the lock of that signal's listeners: a waker whose `clone` polled or dropped a timer, or
//! polled a stream of the same signal, deadlocked its thread.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;
use tandem::signal::unix::{signal, SignalKind};

thread_local! {
    /// What the next clone of a `TOUCHING` waker does, once.
    static ON_CLONE: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

fn clone(data: *const ()) -> RawWaker {
    // Taken out of the cell first: the action may clone wakers too.
    if let Some(action) = ON_CLONE.with(|cell| cell.borrow_mut().take()) {
        action();
    }
    RawWaker::new(data, &TOUCHING)
}

fn noop(_: *const ()) {}

/// A waker whose `clone` runs `ON_CLONE`'s action.
static TOUCHING: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);

fn touching_waker() -> Waker {
    // SAFETY: `TOUCHING`'s functions ignore the data pointer and manage no resource, so any
    // pointer upholds the `RawWaker` contract.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &TOUCHING)) }
}

fn pending_with_noop<F: Future + ?Sized>(future: Pin<&mut F>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.poll(&mut cx).is_pending());
}

/// Runs `body` on a current-thread runtime of its own thread; fails instead of hanging if that
/// thread deadlocks.
fn on_own_runtime(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tandem::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { body() });
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(20))
        .expect("the runtime's thread is stuck: a waker's clone ran under a driver lock");
}

/// Polls a 60 s sleep with a waker whose clone runs `action`; checks the clone ran it.
fn register_a_sleep_with_a_clone_that(action: Box<dyn FnOnce()>) {
    ON_CLONE.with(|cell| *cell.borrow_mut() = Some(action));
    let mut sleep = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
    let polled = sleep
        .as_mut()
        .poll(&mut Context::from_waker(&touching_waker()));
    assert!(polled.is_pending());
    assert!(
        ON_CLONE.with(|cell| cell.borrow().is_none()),
        "no clone was made"
    );
}

#[test]
fn a_waker_whose_clone_registers_a_timer() {
    on_own_runtime(|| {
        let mut other = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
        register_a_sleep_with_a_clone_that(Box::new(move || {
            pending_with_noop(other.as_mut());
        }));
    });
}

#[test]
fn a_waker_whose_clone_cancels_a_timer() {
    on_own_runtime(|| {
        let mut other = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
        // Registered now, so the clone has an entry to take out of the same shard.
        pending_with_noop(other.as_mut());
        register_a_sleep_with_a_clone_that(Box::new(move || drop(other)));
    });
}

#[test]
fn a_waker_whose_clone_polls_a_stream_of_the_same_signal() {
    on_own_runtime(|| {
        let kind = SignalKind::user_defined2();
        let mut stream = signal(kind).unwrap();
        let mut other = signal(kind).unwrap();
        ON_CLONE.with(|cell| {
            *cell.borrow_mut() = Some(Box::new(move || {
                let mut cx = Context::from_waker(Waker::noop());
                assert!(other.poll_recv(&mut cx).is_pending());
            }))
        });
        let polled = stream.poll_recv(&mut Context::from_waker(&touching_waker()));
        assert!(polled.is_pending());
        assert!(
            ON_CLONE.with(|cell| cell.borrow().is_none()),
            "no clone was made"
        );
    });
}

#[test]
fn a_waker_whose_clone_yields() {
    for multi_thread in [false, true] {
        let mut builder = if multi_thread {
            tandem::runtime::Builder::new_multi_thread()
        } else {
            tandem::runtime::Builder::new_current_thread()
        };
        let rt = builder.build().unwrap();
        let task = async {
            ON_CLONE.with(|cell| {
                *cell.borrow_mut() = Some(Box::new(|| {
                    // Another yield with a waker that is not a task's: it is deferred too.
                    pending_with_noop(std::pin::pin!(tandem::task::yield_now()));
                }))
            });
            // Not the task's own waker: the runtime keeps a clone until it has run the others.
            let mut yielding = std::pin::pin!(tandem::task::yield_now());
            let polled = yielding
                .as_mut()
                .poll(&mut Context::from_waker(&touching_waker()));
            assert!(polled.is_pending());
            assert!(
                ON_CLONE.with(|cell| cell.borrow().is_none()),
                "no clone was made"
            );
        };
        rt.block_on(async { tandem::spawn(task).await }).unwrap();
    }
}
