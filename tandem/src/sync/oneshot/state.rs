//! The channel's state word: the only place that writes it.
//!
//! | bit | name | set by | cleared | meaning |
//! |---|---|---|---|---|
//! | 0 | `RX_TASK_SET` | the receiver, after writing its waker | by the receiver, to change its waker | `rx_waker` holds the receiver's waker; while set, both sides only read that cell |
//! | 1 | `TX_TASK_SET` | the sender, after writing its waker (`poll_closed`) | by the sender, to change its waker | `tx_waker` holds the sender's waker; while set, both sides only read that cell |
//! | 2 | `COMPLETE` | the sender, sending or dropped, unless `CLOSED` is set | never | the value cell is the receiver's: a value, or `None` (the sender dropped) |
//! | 3 | `CLOSED` | the receiver: `close`, or dropped | never | no value will be accepted; the sender's `complete` fails |
//! | 4 | `TX_RELEASED` | the sender, as its last access | never | the sender touches the allocation no more |
//! | 5 | `RX_RELEASED` | the receiver, as its last access | never | the receiver touches the allocation no more |
//!
//! `COMPLETE` and `CLOSED` are never both won: `complete` sets `COMPLETE` only by a CAS that
//! finds `CLOSED` unset, and `CLOSED` set first makes `complete` fail. (`CLOSED` may be set
//! after `COMPLETE`: a receiver dropping or closing a channel with a value in it.)
//!
//! The two `*_RELEASED` bits are the allocation's reference count: whichever side sets the
//! second frees it (or a side that *sees* the other released, with an acquire load, frees it
//! without a write: nobody else can touch it any more). A side's release is ordered after all
//! its accesses (`Release` on the write that sets its bit, `Acquire` on the freer's read).

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::fmt;

const RX_TASK_SET: usize = 1 << 0;
const TX_TASK_SET: usize = 1 << 1;
const COMPLETE: usize = 1 << 2;
const CLOSED: usize = 1 << 3;
const TX_RELEASED: usize = 1 << 4;
const RX_RELEASED: usize = 1 << 5;

/// A snapshot of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct State(usize);

impl State {
    pub(super) fn is_rx_task_set(self) -> bool {
        self.0 & RX_TASK_SET != 0
    }

    pub(super) fn is_tx_task_set(self) -> bool {
        self.0 & TX_TASK_SET != 0
    }

    /// The sender sent a value or dropped, and the receiver had not closed first.
    pub(super) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }

    pub(super) fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("is_complete", &self.is_complete())
            .field("is_closed", &self.is_closed())
            .field("is_rx_task_set", &self.is_rx_task_set())
            .field("is_tx_task_set", &self.is_tx_task_set())
            .field("tx_released", &(self.0 & TX_RELEASED != 0))
            .field("rx_released", &(self.0 & RX_RELEASED != 0))
            .finish()
    }
}

/// The state word of one channel.
pub(super) struct StateCell(AtomicUsize);

/// What the sender must do after [`StateCell::complete`].
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Completed {
    /// The value cell is handed over and nobody waits: the same write released the sender,
    /// which must not touch the allocation again.
    Released,
    /// The value cell is handed over: wake the receiver's waker (by reference), then release.
    WakeReceiver,
    /// The receiver had closed: the value cell is still the sender's (take the value back),
    /// then release.
    Closed,
}

/// What a side must do after releasing its reference.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Released {
    /// The other side is gone too: free the allocation.
    Dealloc,
    /// The other side still holds it, and will free it.
    DoNothing,
}

impl StateCell {
    pub(super) fn new() -> StateCell {
        StateCell(AtomicUsize::new(0))
    }

    /// A snapshot; `Acquire` pairs with the `Release` half of every write below, so whatever
    /// a bit announces (a value, a waker) is visible once the bit is seen.
    pub(super) fn load(&self) -> State {
        State(self.0.load(Acquire))
    }

    /// The sender hands the value cell over (a value in it, or `None` when dropped): sets
    /// `COMPLETE` unless `CLOSED` is set. When no receiver waker is set, the same write
    /// releases the sender.
    pub(super) fn complete(&self) -> Completed {
        // Relaxed: only a guess for the CAS below, which reads the word again (AcqRel: its
        // Release publishes the value, its Acquire sees the receiver's waker).
        let mut curr = self.0.load(Relaxed);
        loop {
            if curr & CLOSED != 0 {
                return Completed::Closed;
            }
            let waiting = curr & RX_TASK_SET != 0;
            let new = if waiting {
                curr | COMPLETE
            } else {
                curr | COMPLETE | TX_RELEASED
            };
            match self.0.compare_exchange_weak(curr, new, AcqRel, Relaxed) {
                Ok(_) if waiting => return Completed::WakeReceiver,
                Ok(_) => return Completed::Released,
                Err(actual) => curr = actual,
            }
        }
    }

    /// The receiver closes: sets `CLOSED`, returns the state before.
    pub(super) fn close(&self) -> State {
        // Acquire would do (to read the sender's waker when `TX_TASK_SET` was set: pairs with
        // `set_tx_task`); Release is free on an RMW and keeps every write here AcqRel.
        State(self.0.fetch_or(CLOSED, AcqRel))
    }

    /// The receiver announces the waker it wrote; returns the state before.
    pub(super) fn set_rx_task(&self) -> State {
        State(self.0.fetch_or(RX_TASK_SET, AcqRel))
    }

    /// The receiver takes its waker cell back; returns the state before. If that shows
    /// `COMPLETE`, the sender may be reading the cell: leave it alone.
    pub(super) fn unset_rx_task(&self) -> State {
        State(self.0.fetch_and(!RX_TASK_SET, AcqRel))
    }

    /// The sender announces the waker it wrote; returns the state before.
    pub(super) fn set_tx_task(&self) -> State {
        State(self.0.fetch_or(TX_TASK_SET, AcqRel))
    }

    /// The sender takes its waker cell back; returns the state before. If that shows
    /// `CLOSED`, the receiver may be reading the cell: leave it alone.
    pub(super) fn unset_tx_task(&self) -> State {
        State(self.0.fetch_and(!TX_TASK_SET, AcqRel))
    }

    /// The sender's last access.
    pub(super) fn release_tx(&self) -> Released {
        self.release(TX_RELEASED, RX_RELEASED)
    }

    /// The receiver's last access.
    pub(super) fn release_rx(&self) -> Released {
        self.release(RX_RELEASED, TX_RELEASED)
    }

    fn release(&self, mine: usize, other: usize) -> Released {
        // Acquire: pairs with the other side's release write, so all its accesses come before
        // our free. If it is gone, nobody can see our bit: skip the write.
        if self.0.load(Acquire) & other != 0 {
            return Released::Dealloc;
        }
        // AcqRel: Release orders our accesses before the other side's free; Acquire orders
        // its accesses before ours.
        if self.0.fetch_or(mine, AcqRel) & other != 0 {
            Released::Dealloc
        } else {
            Released::DoNothing
        }
    }
}

impl fmt::Debug for StateCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}
