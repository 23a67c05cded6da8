//! `RwLockMappedWriteGuard` and `OwnedRwLockMappedWriteGuard`: all the permits of a `RwLock`,
//! with exclusive access to a part of its value; dropping one releases the lock.

use super::rwlock::RwLock;
use crate::sync::semaphore::BatchSemaphore;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// RAII structure used to release the exclusive write access of a lock when dropped.
///
/// This structure is created by [mapping] an [`RwLockWriteGuard`](super::RwLockWriteGuard).
/// It is a separate type from `RwLockWriteGuard` to disallow downgrading a mapped guard, since
/// doing so can cause undefined behavior.
///
/// [mapping]: method@super::RwLockWriteGuard::map
#[clippy::has_significant_drop]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    permits_acquired: u32,
    s: &'a BatchSemaphore,
    /// Points into the lock's value, valid while the permits are held.
    data: *mut T,
    marker: PhantomData<&'a mut T>,
}

/// Owned RAII structure used to release the exclusive write access of a lock when dropped.
///
/// This structure is created by [mapping] an
/// [`OwnedRwLockWriteGuard`](super::OwnedRwLockWriteGuard). It is a separate type from
/// `OwnedRwLockWriteGuard` to disallow downgrading a mapped guard, since doing so can cause
/// undefined behavior.
///
/// [mapping]: method@super::OwnedRwLockWriteGuard::map
#[clippy::has_significant_drop]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Points into the lock's value, valid while the permits are held (and `lock` keeps the
    /// lock alive).
    data: *mut U,
    _p: PhantomData<T>,
}

// SAFETY: the guard is a `&'a mut T` that also releases the lock when dropped, which any
// thread may do (Tokio's bounds: `T: Send + Sync` for both).
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: a `&mut U` into a `T` the guard keeps alive through the `Arc` (which needs
// `RwLock<T>: Send + Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Takes over the `permits_acquired` permits of the guard `data` was mapped from.
    pub(super) fn new(
        s: &'a BatchSemaphore,
        permits_acquired: u32,
        data: *mut T,
    ) -> RwLockMappedWriteGuard<'a, T> {
        RwLockMappedWriteGuard {
            permits_acquired,
            s,
            data,
            marker: PhantomData,
        }
    }

    /// Makes a new `RwLockMappedWriteGuard` for a component of the locked data.
    ///
    /// This is an associated function that needs to be used as
    /// `RwLockMappedWriteGuard::map(..)`.
    #[inline]
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let (s, permits) = this.into_parts();
        RwLockMappedWriteGuard::new(s, permits, data)
    }

    /// Attempts to make a new [`RwLockMappedWriteGuard`] for a component of the locked data.
    /// The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `RwLockMappedWriteGuard::try_map(...)`.
    #[inline]
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let (s, permits) = this.into_parts();
        Ok(RwLockMappedWriteGuard::new(s, permits, data))
    }

    /// The semaphore and the permit count, now the caller's (no release on drop).
    fn into_parts(self) -> (&'a BatchSemaphore, u32) {
        let this = ManuallyDrop::new(self);
        (this.s, this.permits_acquired)
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// Takes over the permits (all of the lock's) of the guard `data` was mapped from.
    pub(super) fn new(lock: Arc<RwLock<T>>, data: *mut U) -> OwnedRwLockMappedWriteGuard<T, U> {
        OwnedRwLockMappedWriteGuard {
            lock,
            data,
            _p: PhantomData,
        }
    }

    /// Makes a new `OwnedRwLockMappedWriteGuard` for a component of the locked data.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockMappedWriteGuard::map(..)`.
    #[inline]
    pub fn map<F, V: ?Sized>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data: *mut V = f(&mut *this);
        OwnedRwLockMappedWriteGuard::new(this.into_lock(), data)
    }

    /// Attempts to make a new `OwnedRwLockMappedWriteGuard` for a component of the locked
    /// data. The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockMappedWriteGuard::try_map(...)`.
    #[inline]
    pub fn try_map<F, V: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data: *mut V = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard::new(this.into_lock(), data))
    }

    /// Returns a reference to the original `Arc<RwLock>`.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// The lock, with the permits now the caller's (no release on drop).
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `data` points into the lock's value, and the guard holds all its permits.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: `data` points into the lock's value, and the guard holds all its permits.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the lock's value, and the guard holds all its permits.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: `data` points into the lock's value, and the guard holds all its permits.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(self.permits_acquired as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.mr as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
