//! Wakers collected under a lock, to be woken once it is released.

use std::task::Waker;

/// The wakers of the waiters a lock holder served; woken (or dropped) after the lock is gone,
/// since either can run arbitrary code, which may come back to the same lock. The first one
/// needs no allocation: a lock handed over from one holder to the next wakes exactly one.
#[derive(Debug, Default)]
pub(super) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Extend<Waker> for Wakers {
    fn extend<I: IntoIterator<Item = Waker>>(&mut self, wakers: I) {
        wakers.into_iter().for_each(|waker| self.push(waker));
    }
}

impl Wakers {
    pub(super) fn push(&mut self, waker: Waker) {
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.rest.push(waker),
        }
    }

    /// Wakes them all, in the order they were pushed. Call with no lock held.
    pub(super) fn wake_all(self) {
        self.first
            .into_iter()
            .chain(self.rest)
            .for_each(Waker::wake);
    }
}
