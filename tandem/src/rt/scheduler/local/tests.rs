//! Loom models of the local scheduler's remote queue (built only with `RUSTFLAGS="--cfg loom"`).
//!
//! Each model spawns one real local task on the main model thread (the owner) whose future waits
//! on a gate, and opens the gate from a second model thread, so the task's waker schedules it
//! through the remote queue. Checked in every execution:
//! - `remote_wake_is_never_lost`: the owner, polling the scheduler with a waker that unparks it,
//!   sees the task complete (a lost wake-up leaves every thread parked: loom reports a deadlock);
//! - `remote_wake_races_close`: the owner drops the scheduler while the wake-up is in flight; the
//!   future is dropped exactly once, on the owner thread, and (by loom's leak check of the `Arc`s
//!   the task holds) the task is freed whichever thread gives up its last reference.

use super::LocalScheduler;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
    drops: AtomicUsize,
    /// The model thread that dropped the future.
    dropped_on: Mutex<Option<thread::ThreadId>>,
}

struct GatedFuture(Arc<Gate>);

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(false),
            waker: Mutex::new(None),
            drops: AtomicUsize::new(0),
            dropped_on: Mutex::new(None),
        })
    }

    fn open(&self) {
        let waker = {
            let mut slot = self.waker.lock();
            self.open.store(true, SeqCst);
            slot.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Future for GatedFuture {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.0.waker.lock();
        if self.0.open.load(SeqCst) {
            return Poll::Ready(());
        }
        *slot = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for GatedFuture {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, SeqCst);
        *self.0.dropped_on.lock() = Some(thread::current().id());
    }
}

/// A waker that unparks the owner model thread.
fn unpark_waker() -> Waker {
    struct Unpark(thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    Waker::from(std::sync::Arc::new(Unpark(thread::current())))
}

#[test]
fn loom_local_remote_wake_is_never_lost() {
    crate::loom::model::model(|| {
        let sched = LocalScheduler::new(None);
        let gate = Gate::new();
        let mut join = sched.spawn_local(GatedFuture(gate.clone()));
        let waker = unpark_waker();
        let mut cx = Context::from_waker(&waker);
        // First tick: the task registers its waker with the gate (or finds it open).
        let mut join_pin = Pin::new(&mut join);
        let opener = {
            let gate = gate.clone();
            thread::spawn(move || gate.open())
        };
        loop {
            if let Poll::Ready(res) = sched.poll_run_until(join_pin.as_mut(), &mut cx) {
                res.unwrap();
                break;
            }
            thread::park();
        }
        opener.join().unwrap();
        assert_eq!(gate.drops.load(SeqCst), 1);
        drop(sched);
        // The gate may still hold a clone of the task's waker (registered before the open).
        drop(gate.waker.lock().take());
    });
}

#[test]
fn loom_local_remote_wake_races_close() {
    crate::loom::model::model(|| {
        let sched = LocalScheduler::new(None);
        let gate = Gate::new();
        let join = sched.spawn_local(GatedFuture(gate.clone()));
        let waker = unpark_waker();
        let mut cx = Context::from_waker(&waker);
        // One tick: the task is polled and waits on the gate.
        let mut idle = std::pin::pin!(std::future::pending::<()>());
        assert!(sched.poll_run_until(idle.as_mut(), &mut cx).is_pending());
        let opener = {
            let gate = gate.clone();
            thread::spawn(move || gate.open())
        };
        let owner = thread::current().id();
        drop(sched);
        opener.join().unwrap();
        assert_eq!(gate.drops.load(SeqCst), 1, "future dropped exactly once");
        assert_eq!(*gate.dropped_on.lock(), Some(owner), "dropped on the owner");
        drop(join);
        drop(gate.waker.lock().take());
    });
}
