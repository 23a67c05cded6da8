//! Tests of the time driver without a runtime: `TimerEntry`s polled by hand against a
//! `TimeHandle` whose driver the test runs itself.
//!
//! - `handle`: registration, firing, cancel, reset, waker changes, shutdown, the paused clock
//!   and the driver-wake protocol, on one thread; and a multi-thread stress test with a real
//!   driver thread.
//! - `loom_timer` (with `--cfg loom`): cancel racing fire, poll racing fire, a poll after the
//!   fire's wake-up while the driver still runs, reset racing fire,
//!   and registration racing the driver going to sleep.
//! - `loom_paused` (with `--cfg loom`): the paused clock's idle park racing the end of a
//!   blocking task (awaited: its wake must run before the jump; or not: its end must wake the
//!   driver), and a timer registered while the paused driver has none.
//!
//! The wheel has its own tests in `wheel.rs`.

#[cfg(not(loom))]
mod handle;
#[cfg(loom)]
mod loom_paused;
#[cfg(loom)]
mod loom_timer;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Wake, Waker};

/// A waker that counts its wake-ups.
pub(super) struct CountWaker(AtomicUsize);

impl CountWaker {
    pub(super) fn new() -> (Arc<CountWaker>, Waker) {
        let count = Arc::new(CountWaker(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    pub(super) fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}
