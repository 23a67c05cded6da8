//! `Notify`'s state word: the only place that writes it.
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | 0-1 | state | `EMPTY`, `WAITING` or `NOTIFIED` (below) |
//! | 2.. | calls | how many `notify_waiters` calls were made (wraps) |
//!
//! | state | meaning | entered | left |
//! |---|---|---|---|
//! | `EMPTY` | no permit, nobody queued | initially; the permit consumed; the queue emptied | to `NOTIFIED` by a notification (lock or not); to `WAITING` by the first waiter to queue (lock) |
//! | `NOTIFIED` | one stored permit, nobody queued | a notification that found nobody queued | to `EMPTY` by a future consuming the permit (lock or not) |
//! | `WAITING` | the queue is not empty, no permit | the first waiter queues (lock) | to `EMPTY`, only under the lock: the queue emptied, or `notify_waiters` |
//!
//! The calls change only under the lock. Lock-free transitions are only `EMPTY -> NOTIFIED`,
//! `NOTIFIED -> NOTIFIED` and `NOTIFIED -> EMPTY`, so a lock holder that sees `WAITING` knows it
//! stays so until it changes it, and every CAS here loops only over those.
//!
//! Orderings: every write is `AcqRel` (RMW) or `Release` (store under the lock), every read
//! `Acquire`. The pair that matters without the lock is the permit: storing it (`Release`)
//! and consuming it (`Acquire`), so what the notifier wrote before `notify_one` is visible to
//! the future it completes. Through the queue, the mutex orders the two.

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use std::fmt;

/// Bits of the word that hold the state; the rest count `notify_waiters` calls.
const STATE_BITS: u32 = 2;
const STATE_MASK: usize = (1 << STATE_BITS) - 1;
/// One `notify_waiters` call in the word.
const ONE_CALL: usize = 1 << STATE_BITS;

const EMPTY: usize = 0;
const WAITING: usize = 1;
const NOTIFIED: usize = 2;

/// A snapshot of the word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct State(usize);

impl State {
    fn bits(self) -> usize {
        self.0 & STATE_MASK
    }

    fn with(self, state: usize) -> State {
        State((self.0 & !STATE_MASK) | state)
    }

    /// The `notify_waiters` calls counted so far (wrapped to the word).
    pub(super) fn calls(self) -> usize {
        self.0 >> STATE_BITS
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.bits() {
            EMPTY => "EMPTY",
            WAITING => "WAITING",
            NOTIFIED => "NOTIFIED",
            _ => "?",
        };
        f.debug_struct("State")
            .field("state", &state)
            .field("notify_waiters_calls", &self.calls())
            .finish()
    }
}

/// What a single notification (`notify_one`, `notify_last`) must do next.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotifyOne {
    /// Nobody was queued: the permit is stored (or was already).
    PermitStored,
    /// Waiters are queued: take the lock (if not held) and notify one.
    NotifyWaiter,
}

/// What a `Notified` future found on its first poll or `enable`.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arrival {
    /// A `notify_waiters` came after the future was created: it is complete, and leaves the
    /// permit (if any) to others.
    Broadcast,
    /// It consumed the permit: complete.
    ConsumedPermit,
    /// Without the lock: nothing for it yet, take the lock and look again. Under the lock:
    /// the state is `WAITING` now; queue the future.
    Wait,
}

pub(super) struct StateCell(AtomicUsize);

impl StateCell {
    #[cfg(not(loom))]
    pub(super) const fn new() -> StateCell {
        StateCell(AtomicUsize::new(EMPTY))
    }

    /// Loom's atomics cannot be built in a `const fn`.
    #[cfg(loom)]
    pub(super) fn new() -> StateCell {
        StateCell(AtomicUsize::new(EMPTY))
    }

    pub(super) fn load(&self) -> State {
        State(self.0.load(Acquire))
    }

    /// `curr -> new` (`AcqRel`); the word found if it was not `curr`.
    fn cas(&self, curr: State, new: State) -> Result<(), State> {
        self.0
            .compare_exchange(curr.0, new.0, AcqRel, Acquire)
            .map(drop)
            .map_err(State)
    }

    /// A single notification, with or without the lock: stores the permit unless someone is
    /// queued. (`NOTIFIED -> NOTIFIED` is written too: it orders this call before the future
    /// that consumes the permit.)
    pub(super) fn notify(&self) -> NotifyOne {
        let mut curr = self.load();
        loop {
            if curr.bits() == WAITING {
                return NotifyOne::NotifyWaiter;
            }
            match self.cas(curr, curr.with(NOTIFIED)) {
                Ok(()) => return NotifyOne::PermitStored,
                Err(actual) => curr = actual,
            }
        }
    }

    /// A future's first look, without the lock: was it broadcast to since it was created
    /// (`calls`), or is there a permit to consume?
    pub(super) fn arrive_unlocked(&self, calls: usize) -> Arrival {
        let curr = self.load();
        if curr.calls() != calls {
            Arrival::Broadcast
        } else if self.cas(curr.with(NOTIFIED), curr.with(EMPTY)).is_ok() {
            Arrival::ConsumedPermit
        } else {
            Arrival::Wait
        }
    }

    /// The same under the lock, which also moves `EMPTY` to `WAITING` when it returns `Wait`:
    /// the caller queues the future before releasing the lock.
    pub(super) fn arrive_locked(&self, calls: usize) -> Arrival {
        let mut curr = self.load();
        if curr.calls() != calls {
            return Arrival::Broadcast;
        }
        loop {
            let (next, arrival) = match curr.bits() {
                WAITING => return Arrival::Wait,
                EMPTY => (WAITING, Arrival::Wait),
                NOTIFIED => (EMPTY, Arrival::ConsumedPermit),
                _ => unreachable!("the state bits hold one of three states"),
            };
            match self.cas(curr, curr.with(next)) {
                Ok(()) => return arrival,
                // A lock-free permit store or consume raced us; the calls cannot change.
                Err(actual) => curr = actual,
            }
        }
    }

    /// Under the lock, once the queue is empty: `WAITING -> EMPTY` (a store: nobody else
    /// leaves `WAITING`). Nothing if the state was not `WAITING`.
    pub(super) fn queue_emptied(&self) {
        let curr = self.load();
        if curr.bits() == WAITING {
            self.0.store(curr.with(EMPTY).0, Release);
        }
    }

    /// `notify_waiters`, under the lock: counts the call. Returns true if waiters were queued
    /// (the state is `EMPTY` now: the caller notifies every one of them before releasing the
    /// lock); a stored permit stays.
    pub(super) fn broadcast(&self) -> bool {
        let curr = self.load();
        if curr.bits() == WAITING {
            let next = State(curr.0.wrapping_add(ONE_CALL)).with(EMPTY);
            self.0.store(next.0, Release);
            true
        } else {
            // Lock-free permit stores and consumes may race: add, do not store.
            self.0.fetch_add(ONE_CALL, AcqRel);
            false
        }
    }
}

impl fmt::Debug for StateCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}
