//! `MappedMutexGuard` and `OwnedMappedMutexGuard`: a held `Mutex`'s permit with access to a
//! part of its value (made by a guard's `map` or `try_map`); dropping one unlocks.

use super::mutex::Mutex;
use crate::sync::semaphore::BatchSemaphore;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A handle to a held `Mutex` that has had a function applied to it via
/// [`MutexGuard::map`](super::MutexGuard::map).
///
/// This can be used to hold a subfield of the protected data.
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    s: &'a BatchSemaphore,
    /// Points into the mutex's value, valid while the permit is held.
    data: *mut T,
    marker: PhantomData<&'a mut T>,
}

/// An owned handle to a held `Mutex` that has had a function applied to it via
/// [`OwnedMutexGuard::map`](super::OwnedMutexGuard::map).
///
/// This can be used to hold a subfield of the protected data.
#[clippy::has_significant_drop]
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// Points into the mutex's value, valid while the permit is held (and `lock` keeps the
    /// mutex alive).
    data: *mut U,
    lock: Arc<Mutex<T>>,
}

// SAFETY: the guard is a `&'a mut T` that also gives a permit back when dropped, which any
// thread may do: it is `Send` and `Sync` as `&mut T` is.
unsafe impl<'a, T: ?Sized + Send + 'a> Send for MappedMutexGuard<'a, T> {}
// SAFETY: as above.
unsafe impl<'a, T: ?Sized + Sync + 'a> Sync for MappedMutexGuard<'a, T> {}
// SAFETY: the guard is a `&mut U` into a `T` it keeps alive (dropping the last `Arc` on
// another thread drops the `T` there, hence `T: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: sharing it shares `&U`, and the `Arc<Mutex<T>>` (`Mutex<T>: Sync` needs `T: Send`;
// Tokio also asks `T: Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Takes over the permit of the guard `data` was mapped from.
    pub(super) fn new(s: &'a BatchSemaphore, data: *mut T) -> MappedMutexGuard<'a, T> {
        MappedMutexGuard {
            s,
            data,
            marker: PhantomData,
        }
    }

    /// Makes a new [`MappedMutexGuard`] for a component of the locked data.
    ///
    /// This is an associated function that needs to be used as `MappedMutexGuard::map(...)`.
    #[inline]
    pub fn map<U, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        MappedMutexGuard::new(this.into_semaphore(), data)
    }

    /// Attempts to make a new [`MappedMutexGuard`] for a component of the locked data. The
    /// original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as `MappedMutexGuard::try_map(...)`.
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
        Ok(MappedMutexGuard::new(this.into_semaphore(), data))
    }

    /// The semaphore, with the permit now the caller's (no unlock on drop).
    fn into_semaphore(self) -> &'a BatchSemaphore {
        ManuallyDrop::new(self).s
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Takes over the permit of the guard `data` was mapped from.
    pub(super) fn new(lock: Arc<Mutex<T>>, data: *mut U) -> OwnedMappedMutexGuard<T, U> {
        OwnedMappedMutexGuard { data, lock }
    }

    /// Makes a new [`OwnedMappedMutexGuard`] for a component of the locked data.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedMappedMutexGuard::map(...)`.
    #[inline]
    pub fn map<S, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        S: ?Sized,
        F: FnOnce(&mut U) -> &mut S,
    {
        let data: *mut S = f(&mut *this);
        OwnedMappedMutexGuard::new(this.into_lock(), data)
    }

    /// Attempts to make a new [`OwnedMappedMutexGuard`] for a component of the locked data.
    /// The original guard is returned if the closure returns `None`.
    ///
    /// This is an associated function that needs to be used as
    /// `OwnedMappedMutexGuard::try_map(...)`.
    #[inline]
    pub fn try_map<S, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        S: ?Sized,
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let data: *mut S = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard::new(this.into_lock(), data))
    }

    /// The mutex, with the permit now the caller's (no unlock on drop).
    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `data` points into the mutex's value, whose only permit the guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: `data` points into the mutex's value, whose only permit the guard holds.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the mutex's value, whose only permit the guard holds.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: `data` points into the mutex's value, whose only permit the guard holds.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
