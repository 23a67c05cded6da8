//! `Mutex`: one permit of a batch semaphore, and the value it guards.

use super::error::TryLockError;
use super::guard::{MutexGuard, OwnedMutexGuard};
use crate::sync::semaphore::{block_on, BatchSemaphore};
use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

/// An asynchronous `Mutex`-like type.
///
/// This type acts similarly to [`std::sync::Mutex`], with two major differences:
/// [`lock`](Mutex::lock) is an async method so does not block, and the lock guard is designed
/// to be held across `.await` points.
///
/// The mutex is fair: tasks get the lock in the order in which they called `lock` (FIFO).
///
/// # Which kind of mutex should you use?
///
/// It is ok, and often preferred, to use the ordinary [`std::sync::Mutex`] in asynchronous
/// code. What the async mutex offers over the blocking one is that it can stay locked across
/// an `.await` point, at a higher cost; its primary use is shared mutable access to an I/O
/// resource, such as a database connection. For plain data, prefer a blocking mutex.
///
/// Unlike [`std::sync::Mutex`], this mutex is not poisoned when a task holding the guard
/// panics: the mutex is unlocked, and the data may be left in an inconsistent state.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use tandem::sync::Mutex;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let count = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (0..5)
///     .map(|_| {
///         let count = Arc::clone(&count);
///         tandem::spawn(async move { *count.lock().await += 1 })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(*count.lock().await, 5);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    pub(super) s: BatchSemaphore,
    // Not the loom shim's cell: the value may be unsized, `const_new` needs a const cell, and
    // mapped guards keep a raw pointer into it. The loom models guard a loom cell instead.
    pub(super) c: UnsafeCell<T>,
}

// SAFETY: a `Mutex<T>` hands out access to its `T` to one holder at a time, on any thread, so
// sharing the mutex only needs the value to be sendable (as `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T: ?Sized> Mutex<T> {
    /// Creates a new lock in an unlocked state ready for use.
    ///
    /// ```
    /// let lock = tandem::sync::Mutex::new(5);
    /// # drop(lock);
    /// ```
    #[track_caller]
    pub fn new(t: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            s: BatchSemaphore::new(1),
            c: UnsafeCell::new(t),
        }
    }

    /// Creates a new lock in an unlocked state ready for use, in a `const` context.
    ///
    /// ```
    /// use tandem::sync::Mutex;
    ///
    /// static LOCK: Mutex<i32> = Mutex::const_new(5);
    /// # drop(&LOCK);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(t: T) -> Mutex<T>
    where
        T: Sized,
    {
        Mutex {
            s: BatchSemaphore::const_new(1),
            c: UnsafeCell::new(t),
        }
    }

    /// Locks this mutex, causing the current task to yield until the lock has been acquired.
    /// When the lock has been acquired, returns a [`MutexGuard`]; dropping it unlocks.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `lock` makes you lose your place in the queue.
    ///
    /// ```
    /// use tandem::sync::Mutex;
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let mutex = Mutex::new(1);
    /// let mut n = mutex.lock().await;
    /// *n = 2;
    /// # });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.acquire().await;
        MutexGuard::new(self)
    }

    /// Blockingly locks this `Mutex`: [`lock`](Mutex::lock) for synchronous code, such as a
    /// thread of its own or a `spawn_blocking` closure.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        block_on(self.lock())
    }

    /// Blockingly locks this `Mutex` held by `Arc`: [`lock_owned`](Mutex::lock_owned) for
    /// synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        block_on(self.lock_owned())
    }

    /// Locks this mutex held by `Arc`; the returned guard keeps the `Arc` (so it is `'static`
    /// when `T` is).
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `lock_owned` makes you lose your place in the queue.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.acquire().await;
        OwnedMutexGuard::new(self)
    }

    async fn acquire(&self) {
        if self.s.acquire(1).await.is_err() {
            unreachable!("a Mutex's semaphore is never closed");
        }
    }

    /// Attempts to acquire the lock, and returns [`TryLockError`] if the lock is held.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(MutexGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Returns a mutable reference to the underlying data; no locking is needed, since the
    /// `&mut` borrow proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }

    /// Attempts to acquire the lock held by `Arc`, and returns [`TryLockError`] if the lock is
    /// held.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Consumes the mutex, returning the underlying data.
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.c.into_inner()
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(s: T) -> Self {
        Self::new(s)
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(inner) => d.field("data", &&*inner),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
