//! The sleep-and-wake protocol both parkers share (`park.rs`, a thread's; `worker_park.rs`, a
//! worker's): one state word, and the mutex and condition variable of a sleep on it. This is
//! the only file that reads or writes the word.
//!
//! | state | meaning |
//! |---|---|
//! | EMPTY | the owner runs, or is about to sleep; no notification is pending |
//! | PARKED_CONDVAR | the owner sleeps on the condition variable (set under the mutex) |
//! | PARKED_DRIVER | the owner sleeps in the runtime's driver (a worker's parker only) |
//! | NOTIFIED | an unpark is pending: the next park consumes it and returns at once |
//!
//! `unpark` swaps in NOTIFIED and then wakes the sleeper the way it sleeps: a condvar signal,
//! sent after taking the mutex (the sleeper moved to PARKED_CONDVAR holding it, so the signal
//! cannot fall between its check and its wait), or, for a sleep in the driver, the caller's
//! driver unpark (the eventfd, which `epoll_wait` sees even if it has not started yet). Every
//! access to the word is `SeqCst`, so all of them, and `unpark`'s swap in particular, fall in
//! one order. Loom models: `tests/loom_park_state.rs`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

pub(super) struct ParkState {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

/// What the caller of [`ParkState::unpark`] must still do.
#[must_use]
pub(super) enum Unparked {
    /// Nothing: the owner was running (it will find the notification) or has been signalled.
    Done,
    /// The owner sleeps in the driver: unpark the driver.
    WakeDriver,
}

impl ParkState {
    pub(super) fn new() -> ParkState {
        ParkState {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Consumes a pending notification without sleeping. Returns true if there was one.
    pub(super) fn take_notification(&self) -> bool {
        // SeqCst: pairs with `unpark`'s swap.
        self.state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
    }

    /// Sleeps on the condition variable until notified (possibly before this call), or until
    /// `timeout` has passed.
    pub(super) fn park_condvar(&self, timeout: Option<Duration>) {
        let mut guard = self.mutex.lock();
        if !self.enter(PARKED_CONDVAR) {
            return;
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            guard = match deadline {
                None => self.condvar.wait(guard),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        // Timed out: leave PARKED_CONDVAR, consuming a notification that raced in.
                        self.leave(PARKED_CONDVAR);
                        return;
                    }
                    self.condvar.wait_timeout(guard, deadline - now).0
                }
            };
            if self.take_notification() {
                return;
            }
            // Spurious wake-up: keep waiting.
        }
    }

    /// Runs `sleep` (a sleep in the driver) unless a notification is pending, marked so that
    /// `unpark` asks its caller to wake the driver; then consumes any notification.
    pub(super) fn park_driver(&self, sleep: impl FnOnce()) {
        if !self.enter(PARKED_DRIVER) {
            return;
        }
        sleep();
        self.leave(PARKED_DRIVER);
    }

    /// Makes the next park return at once, or ends the current one.
    pub(super) fn unpark(&self) -> Unparked {
        // SeqCst: pairs with the transitions in `enter`, `leave` and `take_notification`.
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => Unparked::Done,
            PARKED_CONDVAR => {
                // Taking the lock orders this signal after the sleeper's wait began.
                drop(self.mutex.lock());
                self.condvar.notify_one();
                Unparked::Done
            }
            PARKED_DRIVER => Unparked::WakeDriver,
            actual => unreachable!("inconsistent park state: {actual}"),
        }
    }

    /// EMPTY -> `parked`. False if a notification was pending instead (it is consumed: the
    /// park returns at once).
    fn enter(&self, parked: usize) -> bool {
        // SeqCst: pairs with `unpark`'s swap, which then sees `parked` and wakes this sleep.
        match self.state.compare_exchange(EMPTY, parked, SeqCst, SeqCst) {
            Ok(_) => true,
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                false
            }
            Err(actual) => unreachable!("inconsistent park state: {actual}"),
        }
    }

    /// `parked` (or NOTIFIED, if an unpark came meanwhile) -> EMPTY.
    fn leave(&self, parked: usize) {
        // SeqCst: pairs with `unpark`'s swap.
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED => {}
            actual if actual == parked => {}
            actual => unreachable!("inconsistent park state: {actual}"),
        }
    }
}
