//! A try-lock for draining a queue that other threads may also be asked to drain, without ever
//! leaving items behind: the io_uring completion queue, which the ring's owner reaps on every tick
//! and the thread holding the driver reaps when epoll reports the ring's fd.
//!
//! Nobody waits for the lock. A thread that knows new items arrived uses `try_lock_or_note`: if
//! the lock is held, it leaves a note (PENDING) in the same atomic word and returns, and the
//! holder, whose `unlock` reads the note, goes around again. One word, read-modify-writes only:
//! the note and the unlock are ordered by the word's modification order, no SeqCst reasoning.
//!
//! | state            | meaning                                            |
//! |------------------|----------------------------------------------------|
//! | UNLOCKED         | nobody drains                                      |
//! | LOCKED           | a holder drains                                    |
//! | LOCKED + PENDING | a holder drains, and items arrived it may not see  |

use crate::loom::sync::atomic::{AtomicUsize, Ordering};

const UNLOCKED: usize = 0;
const LOCKED: usize = 1;
const PENDING: usize = 2;

pub(crate) struct DrainLock {
    state: AtomicUsize,
}

/// Held while draining; `unlock` says whether to go around again. Dropped without `unlock` (a
/// panic while draining), it still releases the lock: a queue locked forever would hang every
/// later drainer.
#[must_use = "unlock says whether items were announced meanwhile"]
pub(crate) struct DrainGuard<'a> {
    lock: &'a DrainLock,
}

impl DrainLock {
    pub(crate) fn new() -> DrainLock {
        DrainLock {
            state: AtomicUsize::new(UNLOCKED),
        }
    }

    /// Takes the lock if nobody holds it.
    pub(crate) fn try_lock(&self) -> Option<DrainGuard<'_>> {
        // Acquire: pairs with the Release in `unlock`: the previous holder's consumption of the
        // queue is visible.
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| DrainGuard { lock: self })
    }

    /// New items exist: takes the lock, or (if held) leaves a note that the holder will see in
    /// `unlock`, so that somebody drains them.
    pub(crate) fn try_lock_or_note(&self) -> Option<DrainGuard<'_>> {
        let mut curr = self.state.load(Ordering::Relaxed);
        loop {
            // Noting again when a note is already there still writes the word: the holder must
            // synchronise with *this* note to see the items behind it, not only with the first.
            let (next, acquired) = match curr {
                UNLOCKED => (LOCKED, true),
                _ => (LOCKED | PENDING, false),
            };
            // AcqRel: Acquire when taking the lock (as `try_lock`); Release when noting, so the
            // holder that reads the note also sees the items that prompted it.
            match self
                .state
                .compare_exchange(curr, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if acquired => return Some(DrainGuard { lock: self }),
                Ok(_) => return None,
                Err(actual) => curr = actual,
            }
        }
    }
}

impl DrainGuard<'_> {
    /// Releases the lock. True if items were noted while it was held: the caller must try again
    /// (and if that try fails, the new holder took the lock after this release, so it sees them).
    pub(crate) fn unlock(self) -> bool {
        let noted = self.release();
        std::mem::forget(self);
        noted
    }

    fn release(&self) -> bool {
        // AcqRel: Release publishes our consumption to the next holder; Acquire reads a note's
        // items (pairs with the AcqRel note in `try_lock_or_note`).
        let prev = self.lock.state.swap(UNLOCKED, Ordering::AcqRel);
        debug_assert!(prev & LOCKED != 0, "unlocked a DrainLock nobody held");
        prev & PENDING != 0
    }
}

impl Drop for DrainGuard<'_> {
    fn drop(&mut self) {
        // Only on unwind (`unlock` forgets the guard). A note left meanwhile is lost with the
        // panic's drain; the next announcement or owner tick drains what it named.
        let _ = self.release();
    }
}

#[cfg(all(test, not(loom)))]
mod unwind_tests {
    use super::DrainLock;

    /// A drainer that panics while holding the lock releases it on the way out.
    #[test]
    fn a_panic_while_draining_releases_the_lock() {
        let lock = DrainLock::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = lock.try_lock().expect("free");
            panic!("a drain that fails");
        }));
        assert!(result.is_err());
        let again = lock
            .try_lock()
            .expect("the lock is free again after the panic");
        assert!(!again.unlock());
    }
}

#[cfg(all(test, loom))]
mod tests {
    use super::DrainLock;
    use crate::loom::cell::UnsafeCell;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use crate::loom::sync::Arc;
    use loom::thread;

    /// A queue (`posted` items, `taken` of them drained) drained through a `DrainLock`.
    struct Queue {
        lock: DrainLock,
        posted: AtomicUsize,
        taken: UnsafeCell<usize>,
    }

    // SAFETY: `taken` is only touched under the lock (what the model checks).
    unsafe impl Sync for Queue {}

    impl Queue {
        /// The reap loop of `rt/uring/ring/reap.rs`, reduced to counting.
        fn drain(&self, announced: bool) {
            let mut guard = if announced {
                self.lock.try_lock_or_note()
            } else {
                self.lock.try_lock()
            };
            while let Some(held) = guard {
                // SAFETY: `taken` is only touched under the lock.
                self.taken
                    .with_mut(|taken| unsafe { *taken = self.posted.load(SeqCst) });
                if !held.unlock() {
                    return;
                }
                guard = self.lock.try_lock();
            }
        }
    }

    /// A producer posts an item and announces it while a poller drains: after both return,
    /// nothing is left behind.
    #[test]
    fn announced_items_are_never_left_behind() {
        crate::loom::model::model(|| {
            let q = Arc::new(Queue {
                lock: DrainLock::new(),
                posted: AtomicUsize::new(0),
                taken: UnsafeCell::new(0),
            });
            let producer = {
                let q = q.clone();
                thread::spawn(move || {
                    for _ in 0..2 {
                        q.posted.fetch_add(1, SeqCst);
                        q.drain(true);
                    }
                })
            };
            q.drain(false);
            producer.join().unwrap();
            // SAFETY: both threads are done.
            let taken = q.taken.with(|t| unsafe { *t });
            assert_eq!(taken, q.posted.load(SeqCst));
        });
    }
}
