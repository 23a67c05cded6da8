//! `RwLockWriteGuard` and `OwnedRwLockWriteGuard`: all the permits of a `RwLock`, with exclusive
//! access to the value; they map to a part of it, or downgrade to a read guard by giving back
//! all permits but one. Dropping one releases the lock.

use super::mapped_write_guard::{OwnedRwLockMappedWriteGuard, RwLockMappedWriteGuard};
use super::read_guard::{OwnedRwLockReadGuard, RwLockReadGuard};
use super::rwlock::RwLock;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// RAII structure used to release the exclusive write access of a lock when dropped.
///
/// This structure is created by the [`write`](RwLock::write) method on [`RwLock`].
#[clippy::has_significant_drop]
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Owned RAII structure used to release the exclusive write access of a lock when dropped.
///
/// This structure is created by the [`write_owned`](RwLock::write_owned) method on [`RwLock`].
#[clippy::has_significant_drop]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Wraps the writer's permits (all of them) that the caller just took.
    pub(super) fn new(lock: &'a RwLock<T>) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard { lock }
    }

    /// Makes a new [`RwLockMappedWriteGuard`] for a component of the locked data.
    ///
    /// This operation cannot fail as the `RwLockWriteGuard` passed in already locked the data.
    ///
    /// This is an associated function that needs to be used as `RwLockWriteGuard::map(..)`. A
    /// method would interfere with methods of the same name on the contents of the locked
    /// data.
    #[inline]
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let lock = this.into_lock();
        RwLockMappedWriteGuard::new(&lock.s, lock.mr, data)
    }

    /// Makes a new [`RwLockReadGuard`] for a component of the locked data, giving up the
    /// exclusive access.
    ///
    /// This is an associated function that needs to be used as
    /// `RwLockWriteGuard::downgrade_map(..)`.
    ///
    /// Inside of `f`, you retain exclusive access to the data, despite only being given a
    /// `&T`. Handing out a `&mut T` would result in unsoundness, as you could use interior
    /// mutability.
    #[inline]
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let lock = this.into_lock();
        lock.s.release(lock.mr as usize - 1);
        RwLockReadGuard::new(&lock.s, data)
    }

    /// Attempts to make a new [`RwLockMappedWriteGuard`] for a component of the locked data.
    /// The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `RwLockWriteGuard::try_map(...)`.
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
        let lock = this.into_lock();
        Ok(RwLockMappedWriteGuard::new(&lock.s, lock.mr, data))
    }

    /// Attempts to make a new [`RwLockReadGuard`] for a component of the locked data, giving
    /// up the exclusive access. The original guard is returned (still exclusive) if the
    /// closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `RwLockWriteGuard::try_downgrade_map(...)`.
    ///
    /// Inside of `f`, you retain exclusive access to the data, despite only being given a
    /// `&T`. Handing out a `&mut T` would result in unsoundness, as you could use interior
    /// mutability.
    #[inline]
    pub fn try_downgrade_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.into_lock();
        lock.s.release(lock.mr as usize - 1);
        Ok(RwLockReadGuard::new(&lock.s, data))
    }

    /// Converts this `RwLockWriteGuard` into an `RwLockMappedWriteGuard`. This method can be
    /// used to store a non-mapped guard in a struct field that expects a mapped guard.
    ///
    /// This is equivalent to calling `RwLockWriteGuard::map(guard, |me| me)`.
    #[inline]
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockWriteGuard::map(this, |me| me)
    }

    /// Atomically downgrades a write lock into a read lock without allowing any writers to
    /// take exclusive access of the lock in the meantime.
    ///
    /// **Note:** This won't *necessarily* allow any additional readers to acquire locks, since
    /// [`RwLock`] is fair and it is possible that a writer is next in line.
    ///
    /// Returns an RAII guard which will drop this read access of the `RwLock` when dropped.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = self.into_lock();
        // Keep one permit, the reader's; the others go to the queue (or back to the count).
        lock.s.release(lock.mr as usize - 1);
        RwLockReadGuard::new(&lock.s, lock.c.get())
    }

    /// The lock, with the permits now the caller's (no release on drop).
    fn into_lock(self) -> &'a RwLock<T> {
        ManuallyDrop::new(self).lock
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Wraps the writer's permits (all of them) that the caller just took.
    pub(super) fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockWriteGuard<T> {
        OwnedRwLockWriteGuard { lock }
    }

    /// Makes a new [`OwnedRwLockMappedWriteGuard`] for a component of the locked data.
    ///
    /// This operation cannot fail as the `OwnedRwLockWriteGuard` passed in already locked the
    /// data.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockWriteGuard::map(..)`.
    #[inline]
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedRwLockMappedWriteGuard::new(this.into_lock(), data)
    }

    /// Makes a new [`OwnedRwLockReadGuard`] for a component of the locked data, giving up the
    /// exclusive access.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockWriteGuard::downgrade_map(..)`.
    ///
    /// Inside of `f`, you retain exclusive access to the data, despite only being given a
    /// `&T`. Handing out a `&mut T` would result in unsoundness, as you could use interior
    /// mutability.
    #[inline]
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let lock = this.into_lock();
        lock.s.release(lock.mr as usize - 1);
        OwnedRwLockReadGuard::new(lock, data)
    }

    /// Attempts to make a new [`OwnedRwLockMappedWriteGuard`] for a component of the locked
    /// data. The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockWriteGuard::try_map(...)`.
    #[inline]
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard::new(this.into_lock(), data))
    }

    /// Attempts to make a new [`OwnedRwLockReadGuard`] for a component of the locked data,
    /// giving up the exclusive access. The original guard is returned (still exclusive) if
    /// the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedRwLockWriteGuard::try_downgrade_map(...)`.
    ///
    /// Inside of `f`, you retain exclusive access to the data, despite only being given a
    /// `&T`. Handing out a `&mut T` would result in unsoundness, as you could use interior
    /// mutability.
    #[inline]
    pub fn try_downgrade_map<F, U: ?Sized>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.into_lock();
        lock.s.release(lock.mr as usize - 1);
        Ok(OwnedRwLockReadGuard::new(lock, data))
    }

    /// Converts this `OwnedRwLockWriteGuard` into an `OwnedRwLockMappedWriteGuard`. This
    /// method can be used to store a non-mapped guard in a struct field that expects a mapped
    /// guard.
    ///
    /// This is equivalent to calling `OwnedRwLockWriteGuard::map(guard, |me| me)`.
    #[inline]
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |me| me)
    }

    /// Atomically downgrades a write lock into a read lock without allowing any writers to
    /// take exclusive access of the lock in the meantime.
    ///
    /// **Note:** This won't *necessarily* allow any additional readers to acquire locks, since
    /// [`RwLock`] is fair and it is possible that a writer is next in line.
    ///
    /// Returns an RAII guard which will drop this read access of the `RwLock` when dropped.
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let lock = self.into_lock();
        // Keep one permit, the reader's; the others go to the queue (or back to the count).
        lock.s.release(lock.mr as usize - 1);
        let data = lock.c.get();
        OwnedRwLockReadGuard::new(lock, data)
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

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds all the lock's permits: nobody else has access.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds all the lock's permits, and `&mut self` the guard.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds all the lock's permits: nobody else has access.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds all the lock's permits, and `&mut self` the guard.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.mr as usize);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.mr as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
