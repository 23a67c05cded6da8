//! The version word of a watch channel: which value is current, and whether every sender left.
//! This file is the only one that does read-modify-write on it.
//!
//! | bits | meaning |
//! |---|---|
//! | 0 | CLOSED: set when the last sender drops; once set, never unset (a `subscribe` reopens the channel for the *senders*, never for the receivers) |
//! | 1.. | the version, counted in steps of 2 so as to leave bit 0 alone: one step each time a sender publishes a value; wraps |
//!
//! A sender bumps the version while it holds the value's write lock, so a reader that holds
//! the read lock sees the version of the value it reads.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use std::fmt;

const CLOSED: usize = 1;
const STEP: usize = 2;

/// A version of the channel's value (bit 0 always clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Version(usize);

impl Version {
    /// The version of the value a channel starts with.
    pub(super) const INITIAL: Version = Version(0);

    /// A version that differs from `self`: what a receiver remembers to see its current value
    /// as unseen (`mark_changed`).
    pub(super) fn previous(self) -> Version {
        Version(self.0.wrapping_sub(STEP))
    }
}

/// One reading of the word.
#[derive(Clone, Copy)]
pub(super) struct Snapshot(usize);

impl Snapshot {
    pub(super) fn version(self) -> Version {
        Version(self.0 & !CLOSED)
    }

    pub(super) fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("version", &(self.0 >> 1))
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The word.
#[derive(Debug)]
pub(super) struct State(AtomicUsize);

impl State {
    pub(super) fn new() -> State {
        State(AtomicUsize::new(Version::INITIAL.0))
    }

    /// Reads the word. Acquire pairs with the Release of [`State::publish`] and
    /// [`State::close`]: a receiver that sees a new version or the close sees what the sender
    /// did before.
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// A new value is in place: one version step. The caller holds the value's write lock.
    pub(super) fn publish(&self) {
        // Release pairs with the Acquire of `load`.
        self.0.fetch_add(STEP, Ordering::Release);
    }

    /// The last sender left.
    pub(super) fn close(&self) {
        // Release pairs with the Acquire of `load`.
        self.0.fetch_or(CLOSED, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{State, Version};

    #[test]
    fn publishing_never_touches_the_closed_bit() {
        let state = State::new();
        assert_eq!(state.load().version(), Version::INITIAL);
        state.publish();
        let one = state.load().version();
        assert_ne!(one, Version::INITIAL);
        state.close();
        assert!(state.load().is_closed());
        assert_eq!(state.load().version(), one);
        assert_eq!(one.previous(), Version::INITIAL);
        assert_ne!(Version::INITIAL.previous(), Version::INITIAL);
    }
}
