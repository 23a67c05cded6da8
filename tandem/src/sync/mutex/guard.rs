//! `MutexGuard` and `OwnedMutexGuard`: the holder of a `Mutex`'s permit, with access to its
//! value; dropping one unlocks.

use super::mapped::{MappedMutexGuard, OwnedMappedMutexGuard};
use super::mutex::Mutex;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A handle to a held `Mutex`. The guard can be held across any `.await` point as it is
/// [`Send`].
///
/// As long as you have this guard, you have exclusive access to the underlying `T`. The guard
/// internally borrows the `Mutex`, so the mutex will not be dropped while a guard exists.
///
/// The lock is automatically released whenever the guard is dropped, at which point `lock`
/// will succeed yet again.
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
}

/// An owned handle to a held `Mutex`.
///
/// This guard is only available from a `Mutex` that is wrapped in an [`Arc`]. It is identical
/// to [`MutexGuard`], except that rather than borrowing the `Mutex`, it clones the `Arc`,
/// incrementing the reference count. This means that unlike `MutexGuard`, it will have the
/// `'static` lifetime.
///
/// As long as you have this guard, you have exclusive access to the underlying `T`. The lock
/// is automatically released whenever the guard is dropped.
#[clippy::has_significant_drop]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

// SAFETY: sharing the guard shares `&T` (so `T: Sync`); the guard can be dropped, which is a
// unlock, from the sharing thread only through `&mut`, never through `&`. `T: Send` because
// the mutex itself must be `Sync` for the guard to point at it from elsewhere.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as `MutexGuard`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Wraps the permit the caller just took.
    pub(super) fn new(lock: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard { lock }
    }

    /// Makes a new [`MappedMutexGuard`] for a component of the locked data.
    ///
    /// This operation cannot fail as the `MutexGuard` passed in already locked the mutex.
    ///
    /// This is an associated function that needs to be used as `MutexGuard::map(...)`. A
    /// method would interfere with methods of the same name on the contents of the locked
    /// data.
    #[inline]
    pub fn map<U, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        MappedMutexGuard::new(&this.into_lock().s, data)
    }

    /// Attempts to make a new [`MappedMutexGuard`] for a component of the locked data. The
    /// original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as `MutexGuard::try_map(...)`.
    #[inline]
    pub fn try_map<U, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(MappedMutexGuard::new(&this.into_lock().s, data))
    }

    /// Returns a reference to the original `Mutex`.
    #[inline]
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }

    /// The mutex, with the permit now the caller's (no unlock on drop).
    fn into_lock(self) -> &'a Mutex<T> {
        ManuallyDrop::new(self).lock
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// Wraps the permit the caller just took.
    pub(super) fn new(lock: Arc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard { lock }
    }

    /// Makes a new [`OwnedMappedMutexGuard`] for a component of the locked data.
    ///
    /// This operation cannot fail as the `OwnedMutexGuard` passed in already locked the mutex.
    ///
    /// This is an associated function that needs to be used as `OwnedMutexGuard::map(...)`.
    #[inline]
    pub fn map<U, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedMappedMutexGuard::new(this.into_lock(), data)
    }

    /// Attempts to make a new [`OwnedMappedMutexGuard`] for a component of the locked data.
    /// The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as `OwnedMutexGuard::try_map(...)`.
    #[inline]
    pub fn try_map<U, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard::new(this.into_lock(), data))
    }

    /// Returns a reference to the original `Arc<Mutex>`.
    #[inline]
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.lock
    }

    /// The mutex, with the permit now the caller's (no unlock on drop).
    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit, and `&mut self` the guard.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit, and `&mut self` the guard.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
