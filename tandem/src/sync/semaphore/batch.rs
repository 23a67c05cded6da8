//! The batch semaphore: permits in one atomic word (`state.rs`), waiters in a FIFO under a lock;
//! a waiter may ask for many permits at once. `Semaphore`, `Mutex` and `RwLock` are built on it.
//!
//! Permits given back go to the waiter at the front first, even in part: a waiter for many
//! permits collects them as they come, and those behind it wait (fairness, as Tokio's). Only
//! once the list is empty do permits go back to the count. A waiter that leaves (its future
//! dropped) gives back whatever it had collected, to the next in line.
//!
//! `close` wakes every waiter; their futures then find the semaphore closed, leave the list,
//! give back what they had collected, and fail. (As Tokio's: until a waiter leaves, its partial
//! grant stays out of the count, so a bounded channel built on this one is not idle while a
//! failed reservation still holds slots.) Wakers are always collected under the lock
//! and woken (or dropped) after it is released.

use super::acquire::Acquire;
use super::error::TryAcquireError;
use super::state::{self, PermitState, Release, TakeOrQueue};
use super::wakers::Wakers;
use crate::loom::sync::{Mutex, MutexGuard};
use crate::sync::wait_list::{WaitKey, WaitList};
use std::fmt;
use std::task::Waker;

/// Permits and the tasks waiting for them (see the module doc).
pub(crate) struct BatchSemaphore {
    state: PermitState,
    waiters: Mutex<WaitList<Waiter>>,
}

/// A task waiting for permits.
#[derive(Debug)]
struct Waiter {
    /// Taken when the waiter is served or the semaphore closes.
    waker: Option<Waker>,
    /// How many it asked for.
    requested: usize,
    /// How many it still lacks (`requested - needed` were given to it already).
    needed: usize,
}

/// What became of a queued waiter (`BatchSemaphore::poll_waiter`).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WaiterPoll {
    /// It got all its permits and left the list: the caller holds them.
    Served,
    /// It still waits; its waker is up to date.
    Waiting,
    /// The semaphore closed: the waiter left the list and holds nothing.
    Closed,
}

/// What `BatchSemaphore::enqueue` did.
#[must_use]
#[derive(Debug)]
pub(super) enum Enqueued {
    /// The permits were there after all: the caller holds them.
    Taken,
    /// The caller waits under this key.
    Waiting(WaitKey),
    /// The semaphore is closed.
    Closed,
}

impl BatchSemaphore {
    #[track_caller]
    pub(crate) fn new(permits: usize) -> BatchSemaphore {
        BatchSemaphore {
            state: PermitState::new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    #[cfg(not(loom))]
    pub(crate) const fn const_new(permits: usize) -> BatchSemaphore {
        BatchSemaphore {
            state: PermitState::const_new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        self.state.available()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        self.state.forget(n)
    }

    #[track_caller]
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        state::assert_max(n);
        self.state.try_take(n)
    }

    /// A future that resolves once `n` permits are the caller's (see `acquire.rs`).
    #[track_caller]
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        state::assert_max(n);
        Acquire::new(self, n)
    }

    /// The lock-free first try of an acquisition.
    pub(super) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        self.state.try_take(n)
    }

    /// Gives `n` permits back: to the waiters first, in order, then to the count.
    ///
    /// # Panics
    /// If the count would exceed `MAX_PERMITS`.
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        // Before serving anybody: a panic half-way would leave served waiters unwoken.
        state::assert_addable(n);
        match self.state.release_unqueued(n) {
            Release::Done => {}
            Release::MustServe => self.serve(self.waiters.lock(), n),
        }
    }

    /// Under the lock: hands `n` permits to the waiters from the front, the rest to the count;
    /// then releases the lock and wakes those served.
    #[track_caller]
    fn serve(&self, mut waiters: MutexGuard<'_, WaitList<Waiter>>, mut n: usize) {
        let mut wakers = Wakers::default();
        // `QUEUED` clear (the list emptied, or the semaphore closed, since the caller looked):
        // nobody is to be served.
        if self.state.is_queued() {
            while n > 0 {
                let Some(front) = waiters.front_mut() else {
                    break;
                };
                let given = front.needed.min(n);
                front.needed -= given;
                n -= given;
                if front.needed > 0 {
                    break;
                }
                let served = waiters.pop_front().expect("the front was there");
                wakers.extend(served.waker);
            }
        }
        if waiters.is_empty() || !self.state.is_queued() {
            self.state.add_and_unqueue(n);
        } else {
            debug_assert_eq!(n, 0, "permits left over while waiters lack some");
        }
        drop(waiters);
        wakers.wake_all();
    }

    /// Called with the lock free, after the lock-free try failed: takes the permits, or joins
    /// the list with what there was (`waker` wakes the task once it is served).
    pub(super) fn enqueue(&self, n: usize, waker: &Waker) -> Enqueued {
        let mut waiters = self.waiters.lock();
        match self.state.take_or_queue(n) {
            TakeOrQueue::Taken => Enqueued::Taken,
            TakeOrQueue::Closed => Enqueued::Closed,
            TakeOrQueue::Queued { taken } => Enqueued::Waiting(waiters.push_back(Waiter {
                waker: Some(waker.clone()),
                requested: n,
                needed: n - taken,
            })),
        }
    }

    /// A queued waiter's poll: served, still waiting (its waker replaced by `waker` if that
    /// wakes another task), or closed out (then it left the list, and permits it had been
    /// given go back to the semaphore).
    pub(super) fn poll_waiter(&self, key: WaitKey, n: usize, waker: &Waker) -> WaiterPoll {
        let mut waiters = self.waiters.lock();
        if self.state.is_closed() {
            self.leave_closed(waiters, key, n);
            return WaiterPoll::Closed;
        }
        let Some(waiter) = waiters.get_mut(key) else {
            return WaiterPoll::Served;
        };
        let stale = match &mut waiter.waker {
            Some(old) if old.will_wake(waker) => None,
            slot => slot.replace(waker.clone()),
        };
        drop(waiters);
        // Dropped outside the lock: dropping a waker can run arbitrary code.
        drop(stale);
        WaiterPoll::Waiting
    }

    /// A queued waiter's future is dropped: it leaves the list, and whatever it had been given
    /// (all `n`, if it was served) goes to the next in line.
    pub(super) fn leave(&self, key: WaitKey, n: usize) {
        let mut waiters = self.waiters.lock();
        if self.state.is_closed() {
            return self.leave_closed(waiters, key, n);
        }
        let (given, waker) = match waiters.remove(key) {
            Some(waiter) => (waiter.requested - waiter.needed, waiter.waker),
            None => (n, None),
        };
        if waiters.is_empty() && given == 0 {
            self.state.add_and_unqueue(0);
            drop(waiters);
        } else if given > 0 {
            self.serve(waiters, given);
        } else {
            drop(waiters);
        }
        drop(waker);
    }

    /// Leaving once closed: the waiter gives back what it had been given (all `n` if it had
    /// been served in full before, and is no longer in the list). Closed, the word is never
    /// `QUEUED`: the give-back goes straight to the count.
    fn leave_closed(&self, mut waiters: MutexGuard<'_, WaitList<Waiter>>, key: WaitKey, n: usize) {
        let left = waiters.remove(key);
        drop(waiters);
        match left {
            Some(waiter) => {
                drop(waiter.waker);
                self.release(waiter.requested - waiter.needed);
            }
            None => self.release(n),
        }
    }

    /// Closes the semaphore: no more permits are issued; waiters are woken, and fail, each
    /// giving back the permits it had been given as it leaves the list.
    pub(crate) fn close(&self) {
        let mut waiters = self.waiters.lock();
        self.state.close();
        let mut wakers = Wakers::default();
        waiters.for_each_mut(|waiter| wakers.extend(waiter.waker.take()));
        drop(waiters);
        wakers.wake_all();
    }
}

impl fmt::Debug for BatchSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish()
    }
}
