//! A lock that is only ever tried, never waited for: who holds the shared driver.
//!
//! An atomic flag plus a cell, rather than a `Mutex` whose `try_lock` is the only method used:
//! the intent is explicit, and loom models it faithfully (loom treats a `Mutex::try_lock` that
//! races with another thread's acquisition as blocking, which the real one never does).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};

pub(crate) struct TryLock<T> {
    locked: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: the flag gives one thread at a time access to `data`, which moves between threads
// only when `T: Send`.
unsafe impl<T: Send> Send for TryLock<T> {}
// SAFETY: as above: shared references only reach `data` through the flag.
unsafe impl<T: Send> Sync for TryLock<T> {}

impl<T> TryLock<T> {
    pub(crate) fn new(data: T) -> TryLock<T> {
        TryLock {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(data),
        }
    }

    /// Runs `f` with exclusive access if nobody holds the lock; `None` if somebody does.
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        // Acquire: pairs with the Release in `Unlock::drop`; the previous holder's writes to
        // `data` are visible.
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        struct Unlock<'a>(&'a AtomicBool);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _unlock = Unlock(&self.locked);
        // SAFETY: the successful compare-exchange above gives this thread exclusive access
        // until `_unlock` drops.
        Some(self.data.with_mut(|ptr| f(unsafe { &mut *ptr })))
    }
}
