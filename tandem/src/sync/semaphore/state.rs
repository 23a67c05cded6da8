//! The semaphore's permit word: the only file that does read-modify-write on it.
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | 0 | `CLOSED` | set by `close` (under the waiters' lock); once set, never unset |
//! | 1 | `QUEUED` | the wait list holds waiters that released permits must go to; set and cleared only under the waiters' lock |
//! | 2.. | permits | the permits nobody holds and no waiter was given |
//!
//! The lock-free paths are the uncontended ones: taking permits that are there (`try_take`)
//! and giving permits back while nobody waits (`release_unqueued`). Everything that involves
//! the wait list happens under its lock, and the word is what tells the two apart:
//!
//! 1. A task that finds too few permits takes the lock, then in one CAS takes what is there
//!    and sets `QUEUED` (`take_or_queue`); it joins the list before releasing the lock.
//! 2. A releaser's lock-free CAS fails if `QUEUED` is set: it must take the lock and serve
//!    the list instead (`Release::MustServe`). Since the bit and the count are one word, a
//!    release either lands before step 1's CAS (which then sees the permits) or sees the bit.
//! 3. Whoever empties the list under the lock clears `QUEUED`, in the same CAS that adds
//!    what is left of the permits it was serving out (`add_and_unqueue`).
//!
//! Invariant: while `QUEUED` is set the count is zero (permits are only added together with
//! clearing the bit), so taking permits lock-free never jumps the queue.
//!
//! Every successful update is AcqRel: the permit word is what orders a permit holder's writes
//! before the next holder's reads (the Release of the give-back pairs with the Acquire of the
//! take), and Tokio documents every acquire, release and close as one totally ordered AcqRel
//! operation. Permits handed to a waiter under the lock are ordered by the lock instead.

use super::error::TryAcquireError;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

const CLOSED: usize = 0b01;
const QUEUED: usize = 0b10;
const SHIFT: usize = 2;

/// The most permits a semaphore holds (Tokio's value).
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// A snapshot of the word.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot(usize);

impl Snapshot {
    fn permits(self) -> usize {
        self.0 >> SHIFT
    }

    fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }

    fn is_queued(self) -> bool {
        self.0 & QUEUED != 0
    }

    fn with_permits(self, permits: usize) -> Snapshot {
        Snapshot((permits << SHIFT) | (self.0 & (CLOSED | QUEUED)))
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("permits", &self.permits())
            .field("closed", &self.is_closed())
            .field("queued", &self.is_queued())
            .finish()
    }
}

/// What `take_or_queue` did.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TakeOrQueue {
    /// All the permits asked for were there: the caller holds them.
    Taken,
    /// Too few: the caller took `taken` (maybe 0), the word says `QUEUED`, and the caller must
    /// join the wait list before releasing the lock.
    Queued { taken: usize },
    /// The semaphore is closed: nothing was taken.
    Closed,
}

/// What `release_unqueued` did.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Release {
    /// The permits are back in the count.
    Done,
    /// Waiters are queued: nothing was added; the caller must serve the list under its lock.
    MustServe,
}

#[derive(Debug)]
pub(super) struct PermitState {
    word: AtomicUsize,
}

impl PermitState {
    #[track_caller]
    pub(super) fn new(permits: usize) -> PermitState {
        assert_max(permits);
        PermitState {
            word: AtomicUsize::new(permits << SHIFT),
        }
    }

    #[cfg(not(loom))]
    pub(super) const fn const_new(permits: usize) -> PermitState {
        assert!(permits <= MAX_PERMITS);
        PermitState {
            word: AtomicUsize::new(permits << SHIFT),
        }
    }

    fn load(&self) -> Snapshot {
        // Acquire: Tokio documents `available_permits`, `is_closed` and a failed acquisition
        // as Acquire loads (pairs with the Release half of every update).
        Snapshot(self.word.load(Ordering::Acquire))
    }

    /// Runs `f` on the word until its CAS succeeds, or until `f` declines (returns `None`,
    /// leaving the word as it was). Returns the snapshot `f` decided on.
    fn update(
        &self,
        mut f: impl FnMut(Snapshot) -> Option<Snapshot>,
    ) -> Result<Snapshot, Snapshot> {
        let mut curr = self.load();
        loop {
            let Some(next) = f(curr) else {
                return Err(curr);
            };
            // AcqRel: see the module doc. Failure: Acquire, as `load`.
            match self
                .word
                .compare_exchange(curr.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(curr),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    pub(super) fn available(&self) -> usize {
        self.load().permits()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.load().is_closed()
    }

    /// Takes `n` permits if they are there (lock-free).
    pub(super) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        match self.update(|s| {
            (!s.is_closed() && s.permits() >= n).then(|| s.with_permits(s.permits() - n))
        }) {
            Ok(_) => Ok(()),
            Err(s) if s.is_closed() => Err(TryAcquireError::Closed),
            Err(_) => Err(TryAcquireError::NoPermits),
        }
    }

    /// Under the waiters' lock: takes `n` permits, or all there are and sets `QUEUED`.
    pub(super) fn take_or_queue(&self, n: usize) -> TakeOrQueue {
        match self.update(|s| {
            if s.is_closed() {
                None
            } else if s.permits() >= n {
                Some(s.with_permits(s.permits() - n))
            } else {
                Some(Snapshot(s.with_permits(0).0 | QUEUED))
            }
        }) {
            Err(_) => TakeOrQueue::Closed,
            Ok(prev) if prev.permits() >= n => TakeOrQueue::Taken,
            Ok(prev) => TakeOrQueue::Queued {
                taken: prev.permits(),
            },
        }
    }

    /// Gives `n` permits back if nobody is queued (lock-free).
    ///
    /// # Panics
    /// If the count would exceed [`MAX_PERMITS`].
    #[track_caller]
    pub(super) fn release_unqueued(&self, n: usize) -> Release {
        match self.update(|s| (!s.is_queued()).then(|| s.with_permits(checked_sum(s, n)))) {
            Ok(_) => Release::Done,
            Err(_) => Release::MustServe,
        }
    }

    /// Under the waiters' lock, once the list holds no waiter to serve: adds `n` permits and
    /// clears `QUEUED`.
    ///
    /// # Panics
    /// If the count would exceed [`MAX_PERMITS`].
    #[track_caller]
    pub(super) fn add_and_unqueue(&self, n: usize) {
        let _ = self.update(|s| Some(Snapshot(s.with_permits(checked_sum(s, n)).0 & !QUEUED)));
    }

    /// True if waiters are queued (read under the waiters' lock, where the bit cannot change).
    pub(super) fn is_queued(&self) -> bool {
        self.load().is_queued()
    }

    /// Under the waiters' lock: sets `CLOSED` and clears `QUEUED` (nobody serves the waiters of
    /// a closed semaphore: permits given back go to the count).
    pub(super) fn close(&self) {
        let _ = self.update(|s| Some(Snapshot((s.0 | CLOSED) & !QUEUED)));
    }

    /// Removes up to `n` permits from the count; returns how many.
    pub(super) fn forget(&self, n: usize) -> usize {
        match self.update(|s| {
            (n > 0 && s.permits() > 0).then(|| s.with_permits(s.permits().saturating_sub(n)))
        }) {
            Ok(prev) => prev.permits().min(n),
            Err(_) => 0,
        }
    }
}

/// Panics with Tokio's message if a semaphore would hold more than [`MAX_PERMITS`].
#[track_caller]
pub(super) fn assert_max(permits: usize) {
    assert!(
        permits <= MAX_PERMITS,
        "a semaphore may not have more than MAX_PERMITS permits ({MAX_PERMITS})"
    );
}

/// Panics with Tokio's message if more than [`MAX_PERMITS`] are given back at once.
#[track_caller]
pub(super) fn assert_addable(added: usize) {
    assert!(
        added <= MAX_PERMITS,
        "cannot add more than MAX_PERMITS permits ({MAX_PERMITS})"
    );
}

/// The count after adding `added` (at most `MAX_PERMITS`, see `assert_addable`).
fn checked_sum(s: Snapshot, added: usize) -> usize {
    let sum = s.permits() + added;
    assert!(
        sum <= MAX_PERMITS,
        "number of added permits ({added}) would overflow MAX_PERMITS ({MAX_PERMITS})"
    );
    sum
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn queue_takes_what_is_there_and_blocks_lock_free_release() {
        let state = PermitState::new(2);
        assert_eq!(state.take_or_queue(5), TakeOrQueue::Queued { taken: 2 });
        assert_eq!(state.available(), 0);
        assert!(state.is_queued());
        assert_eq!(state.try_take(0), Ok(()));
        assert_eq!(state.try_take(1), Err(TryAcquireError::NoPermits));
        assert_eq!(state.release_unqueued(1), Release::MustServe);
        state.add_and_unqueue(1);
        assert!(!state.is_queued());
        assert_eq!(state.release_unqueued(1), Release::Done);
        assert_eq!(state.available(), 2);
    }

    #[test]
    fn close_is_sticky_and_unqueues() {
        let state = PermitState::new(0);
        assert_eq!(state.take_or_queue(1), TakeOrQueue::Queued { taken: 0 });
        state.close();
        assert!(state.is_closed() && !state.is_queued());
        assert_eq!(state.take_or_queue(0), TakeOrQueue::Closed);
        assert_eq!(state.try_take(0), Err(TryAcquireError::Closed));
        assert_eq!(state.release_unqueued(3), Release::Done);
        assert_eq!(state.forget(2), 2);
        assert_eq!(state.available(), 1);
        assert!(state.is_closed());
    }

    #[test]
    #[should_panic(expected = "would overflow MAX_PERMITS")]
    fn overflow_panics_before_the_update() {
        let state = PermitState::new(MAX_PERMITS);
        let _ = state.release_unqueued(1);
    }
}
