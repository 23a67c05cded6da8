//! Wakers taken under the channel's lock and woken after it is released.
//!
//! Waking runs foreign code (and dropping a waker may drop a task holding a permit of this very
//! channel), so nothing is woken, or dropped, while the lock is held. Most operations take at
//! most one waker (the receiver's, or the sender served next); the first one is kept inline, so
//! the common path allocates nothing.

use std::task::Waker;

#[derive(Debug, Default)]
#[must_use = "the wakers must be woken once the lock is released"]
pub(super) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub(super) fn new() -> Wakers {
        Wakers::default()
    }

    pub(super) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes them all, in the order they were taken (with the lock released).
    pub(super) fn wake(self) {
        if let Some(waker) = self.first {
            waker.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}
