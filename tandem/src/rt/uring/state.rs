//! The lifecycle word of one io_uring operation: the only place that does read-modify-write on
//! it.
//!
//! | bit | name      | set by | when                                                          |
//! |-----|-----------|--------|---------------------------------------------------------------|
//! | 0   | COMPLETE  | ring   | the CQE was reaped and the result stored; never unset          |
//! | 1   | DROPPED   | future | the future was dropped before it took the result; never unset  |
//! | 2   | WAKER     | both   | the waker slot holds the future's waker (see below)            |
//!
//! Who owns what:
//! - The operation's data (buffer, path, fd) and result: the kernel from push to CQE; then the
//!   future if DROPPED was not set before COMPLETE, else the ring (which releases what the
//!   completion created, such as the fd of an open, and frees the rest).
//! - The waker slot: the future while WAKER is unset; the ring while WAKER is set. The future
//!   sets WAKER after writing the slot (only while not COMPLETE) and unsets it before rewriting
//!   the slot (only while not COMPLETE). The ring, after setting COMPLETE, wakes the waker by
//!   reference if WAKER was set (and DROPPED was not); it never moves it out, so the slot is
//!   emptied by whoever frees the cell, or by the dropped future.
//! - Dropping the future clears WAKER in the same read-modify-write that sets DROPPED. If the
//!   operation was not complete, the slot is then the future's, which empties it at once: an
//!   operation left in flight (a FIFO read nobody feeds, one still running at the shutdown
//!   deadline and left to the reaper) must not keep its task, and through it the whole
//!   runtime, alive.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::fmt;

const COMPLETE: usize = 1;
const DROPPED: usize = 1 << 1;
const WAKER: usize = 1 << 2;

pub(crate) struct State(AtomicUsize);

/// A snapshot of the word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the ring must do after storing a result.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Completed {
    /// Take the waker from the slot and wake it.
    Wake,
    /// The future has not registered a waker; it will see COMPLETE when it polls.
    NoWaker,
    /// The future is gone: the ring owns the data and the result; release and free them. The
    /// dropped future took its waker (it cleared WAKER when it set DROPPED).
    Orphaned,
}

/// What the future must do when it is dropped.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// The result arrived first: the future owns it and must release what it created.
    OwnsResult,
    /// Still in flight: the ring will release everything at completion. The future should ask
    /// the ring to cancel the operation. `took_waker`: WAKER was set and is now cleared, so the
    /// waker slot is the future's to empty.
    HandedToRing { took_waker: bool },
}

impl State {
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(0))
    }

    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel `fetch_or` in `transition_to_complete`, so a future that
        // sees COMPLETE also sees the stored result.
        Snapshot(self.0.load(Acquire))
    }

    /// The ring stored the result.
    pub(crate) fn transition_to_complete(&self) -> Completed {
        let prev = Snapshot(self.0.fetch_or(COMPLETE, AcqRel));
        assert!(!prev.is_complete(), "an operation completed twice");
        if prev.is_dropped() {
            debug_assert!(!prev.has_waker(), "DROPPED is set with WAKER cleared");
            Completed::Orphaned
        } else if prev.has_waker() {
            Completed::Wake
        } else {
            Completed::NoWaker
        }
    }

    /// The future is dropped before it took the result: sets DROPPED and, unless the operation
    /// is complete, clears WAKER (the slot becomes the future's; see the module docs).
    pub(crate) fn transition_to_dropped(&self) -> Dropped {
        let mut curr = self.load();
        loop {
            let next = if curr.is_complete() {
                curr.0 | DROPPED
            } else {
                (curr.0 | DROPPED) & !WAKER
            };
            // AcqRel: acquires the ring's result write (when COMPLETE) and publishes DROPPED.
            match self.0.compare_exchange(curr.0, next, AcqRel, Acquire) {
                Ok(_) if curr.is_complete() => return Dropped::OwnsResult,
                Ok(_) => {
                    return Dropped::HandedToRing {
                        took_waker: curr.has_waker(),
                    }
                }
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// The future wrote the waker slot: hand it to the ring. `Err` if the operation completed
    /// first (the slot stays the future's).
    pub(crate) fn set_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(!s.has_waker(), "set_waker with WAKER already set");
            (!s.is_complete()).then_some(s.0 | WAKER)
        })
    }

    /// The future wants to rewrite the slot: take it back. `Err` if the operation completed first
    /// (then the ring owns the slot and will take the waker).
    pub(crate) fn unset_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s.has_waker(), "unset_waker with WAKER unset");
            (!s.is_complete()).then_some(s.0 & !WAKER)
        })
    }

    fn update(&self, f: impl Fn(Snapshot) -> Option<usize>) -> Result<(), Snapshot> {
        let mut curr = self.load();
        loop {
            let Some(next) = f(curr) else {
                return Err(curr);
            };
            // AcqRel: publishes the slot write (set) / acquires the ring's state (unset).
            match self.0.compare_exchange(curr.0, next, AcqRel, Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }
}

impl Snapshot {
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_dropped(self) -> bool {
        self.0 & DROPPED != 0
    }
    pub(crate) fn has_waker(self) -> bool {
        self.0 & WAKER != 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpState")
            .field("complete", &self.is_complete())
            .field("dropped", &self.is_dropped())
            .field("waker", &self.has_waker())
            .finish()
    }
}
