//! The state word of one timer registration (`TimerShared::state`), and the only code that
//! writes it.
//!
//! | bit | name | set when | cleared |
//! |---|---|---|---|
//! | 0 | `FIRED` | the entry left the wheel other than by its `Sleep` cancelling it: its deadline passed, or the runtime shut down. Set under the wheel shard's lock by the thread that took the entry out, before it wakes the waker | never, for this registration (a reset re-arms only a registration nobody else references, through `&mut`) |
//! | 1 | `SHUTDOWN` | together with `FIRED`, when the runtime shut down rather than the deadline passing | as `FIRED` |
//!
//! The waker lives next to the word (`TimerShared::waker`) and is immutable for the life of a
//! registration, so no bit guards it: a `Sleep` polled with a different waker registers anew.

use crate::loom::sync::atomic::{AtomicU32, Ordering};
use std::fmt;

const FIRED: u32 = 1 << 0;
const SHUTDOWN: u32 = 1 << 1;

/// The atomic state word.
pub(crate) struct TimerState(AtomicU32);

/// A copy of the state word at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(u32);

/// What the thread that took an entry out of the wheel must do next.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FireAction {
    /// Wake the registration's waker (after releasing the wheel's lock).
    Wake,
}

impl TimerState {
    /// An armed registration: not fired.
    pub(crate) fn new() -> TimerState {
        TimerState(AtomicU32::new(0))
    }

    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel in `transition_to_fired`, so a `Sleep` that sees FIRED
        // also sees the writes that preceded firing (the clock moved past the deadline).
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// The entry left the wheel: by its deadline, or by the runtime shutting down.
    ///
    /// Called once per registration, under the lock of the shard that held the entry; only
    /// that thread can take an entry out of the wheel, so the word cannot already be FIRED.
    pub(crate) fn transition_to_fired(&self, shutdown: bool) -> FireAction {
        let bits = if shutdown { FIRED | SHUTDOWN } else { FIRED };
        let prev = Snapshot(self.0.fetch_or(bits, Ordering::AcqRel));
        assert!(!prev.is_fired(), "a timer entry fired twice");
        FireAction::Wake
    }

    /// Re-arms a registration that nobody else can see (the caller holds the only reference).
    pub(crate) fn reset(&mut self) {
        *self = TimerState::new();
    }
}

impl Snapshot {
    /// The entry is no longer in the wheel: the `Sleep` is complete.
    pub(crate) fn is_fired(self) -> bool {
        self.0 & FIRED != 0
    }

    /// Fired by the runtime shutting down: polling the `Sleep` is an error.
    pub(crate) fn is_shutdown(self) -> bool {
        self.0 & SHUTDOWN != 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerState")
            .field("fired", &self.is_fired())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

impl fmt::Debug for TimerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}
