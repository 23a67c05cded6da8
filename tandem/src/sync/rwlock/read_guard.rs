//! `RwLockReadGuard` and `OwnedRwLockReadGuard`: one reader's permit of a `RwLock`, with shared
//! access to the value (or a part of it, once mapped); dropping one releases the permit.

use super::rwlock::RwLock;
use crate::sync::semaphore::BatchSemaphore;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;

/// RAII structure used to release the shared read access of a lock when dropped.
///
/// This structure is created by the [`read`](RwLock::read) method on [`RwLock`].
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    s: &'a BatchSemaphore,
    /// Points into the lock's value, valid while the permit is held.
    data: *const T,
    marker: PhantomData<&'a T>,
}

/// Owned RAII structure used to release the shared read access of a lock when dropped.
///
/// This structure is created by the [`read_owned`](RwLock::read_owned) method on [`RwLock`].
#[clippy::has_significant_drop]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Points into the lock's value, valid while the permit is held (and `lock` keeps the
    /// lock alive).
    data: *const U,
    _p: PhantomData<T>,
}

// SAFETY: the guard is a `&'a T` that also releases a permit when dropped, which any thread
// may do: `Send` needs `T: Sync` as `&T` does; Tokio asks `T: Send + Sync` to share it.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a `&U` into a `T` the guard keeps alive through the `Arc` (whose last drop may drop
// the `T` on another thread, and which needs `RwLock<T>: Send + Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Wraps a reader's permit that the caller holds (or took over from a guard).
    pub(super) fn new(s: &'a BatchSemaphore, data: *const T) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard {
            s,
            data,
            marker: PhantomData,
        }
    }

    /// Makes a new `RwLockReadGuard` for a component of the locked data.
    ///
    /// This operation cannot fail as the `RwLockReadGuard` passed in already locked the data.
    ///
    /// This is an associated function that needs to be used as `RwLockReadGuard::map(...)`. A
    /// method would interfere with methods of the same name on the contents of the locked
    /// data.
    #[inline]
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        RwLockReadGuard::new(this.into_semaphore(), data)
    }

    /// Attempts to make a new [`RwLockReadGuard`] for a component of the locked data. The
    /// original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as `RwLockReadGuard::try_map(..)`.
    #[inline]
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(RwLockReadGuard::new(this.into_semaphore(), data))
    }

    /// The semaphore, with the permit now the caller's (no release on drop).
    fn into_semaphore(self) -> &'a BatchSemaphore {
        ManuallyDrop::new(self).s
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Wraps a reader's permit that the caller holds (or took over from a guard).
    pub(super) fn new(lock: Arc<RwLock<T>>, data: *const U) -> OwnedRwLockReadGuard<T, U> {
        OwnedRwLockReadGuard {
            lock,
            data,
            _p: PhantomData,
        }
    }

    /// Makes a new `OwnedRwLockReadGuard` for a component of the locked data.
    ///
    /// This operation cannot fail as the `OwnedRwLockReadGuard` passed in already locked the
    /// data.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockReadGuard::map(...)`.
    #[inline]
    pub fn map<F, V: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data: *const V = f(&*this);
        OwnedRwLockReadGuard::new(this.into_lock(), data)
    }

    /// Attempts to make a new [`OwnedRwLockReadGuard`] for a component of the locked data.
    /// The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockReadGuard::try_map(..)`.
    #[inline]
    pub fn try_map<F, V: ?Sized>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let data: *const V = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockReadGuard::new(this.into_lock(), data))
    }

    /// Returns a reference to the original `Arc<RwLock>`.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// The lock, with the permit now the caller's (no release on drop).
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `data` points into the lock's value, and the guard holds a reader's permit,
        // so no writer holds the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the lock's value, and the guard holds a reader's permit,
        // so no writer holds the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
