//! `RwLock`: a batch semaphore of `max_readers` permits (a reader takes one, a writer all of
//! them) and the value it guards.

use super::read_guard::{OwnedRwLockReadGuard, RwLockReadGuard};
use super::write_guard::{OwnedRwLockWriteGuard, RwLockWriteGuard};
use crate::sync::semaphore::{block_on, BatchSemaphore};
use crate::sync::TryLockError;
use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

/// The most readers a lock admits at once, and the default (Tokio's value).
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock.
///
/// This type of lock allows a number of readers or at most one writer at any point in time.
/// The write portion of this lock typically allows modification of the underlying data
/// (exclusive access) and the read portion of this lock typically allows for read-only access
/// (shared access).
///
/// The priority policy is fair (write-preferring), so that readers cannot starve writers: the
/// tasks waiting for the lock form one first-in, first-out queue, and a read lock is not given
/// out until every write lock requested before it has been acquired and released. (In
/// `std::sync::RwLock` the policy depends on the operating system.)
///
/// `T` must be [`Send`] to be shared across threads, and [`Sync`] as readers share it. The
/// guards implement [`Deref`](std::ops::Deref) (and [`DerefMut`](std::ops::DerefMut) for the
/// write guards) to give access to the data.
///
/// # Examples
///
/// ```
/// use tandem::sync::RwLock;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let lock = RwLock::new(5);
///
/// // many reader locks can be held at once
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1, 5);
///     assert_eq!(*r2, 5);
/// } // read locks are dropped at this point
///
/// // only one write lock may be held, however
/// {
///     let mut w = lock.write().await;
///     *w += 1;
///     assert_eq!(*w, 6);
/// } // write lock is dropped here
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    /// Permits a writer takes: all of them.
    pub(super) mr: u32,
    pub(super) s: BatchSemaphore,
    // Not the loom shim's cell: the value may be unsized, `const_new` needs a const cell, and
    // the guards keep raw pointers into it. The loom model guards a loom cell instead.
    pub(super) c: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (so `T: Sync`), and a writer on any thread
// gets `&mut T` (so `T: Send`), as `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized> RwLock<T> {
    /// Creates a new instance of an `RwLock<T>` which is unlocked.
    ///
    /// ```
    /// let lock = tandem::sync::RwLock::new(5);
    /// # drop(lock);
    /// ```
    #[track_caller]
    pub fn new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        RwLock {
            mr: MAX_READS,
            s: BatchSemaphore::new(MAX_READS as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Creates a new instance of an `RwLock<T>` which is unlocked and allows a maximum of
    /// `max_reads` concurrent readers.
    ///
    /// # Panics
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert_ne!(max_reads, 0, "a RwLock may not be created with 0 readers");
        assert!(
            max_reads <= MAX_READS,
            "a RwLock may not be created with more than {MAX_READS} readers"
        );
        RwLock {
            mr: max_reads,
            s: BatchSemaphore::new(max_reads as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Creates a new instance of an `RwLock<T>` which is unlocked, in a `const` context.
    ///
    /// ```
    /// use tandem::sync::RwLock;
    ///
    /// static LOCK: RwLock<i32> = RwLock::const_new(5);
    /// # drop(&LOCK);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T>
    where
        T: Sized,
    {
        RwLock {
            mr: MAX_READS,
            s: BatchSemaphore::const_new(MAX_READS as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Creates a new instance of an `RwLock<T>` which is unlocked and allows a maximum of
    /// `max_reads` concurrent readers, in a `const` context.
    ///
    /// # Panics
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T>
    where
        T: Sized,
    {
        assert!(max_reads != 0, "a RwLock may not be created with 0 readers");
        assert!(max_reads <= MAX_READS);
        RwLock {
            mr: max_reads,
            s: BatchSemaphore::const_new(max_reads as usize),
            c: UnsafeCell::new(value),
        }
    }

    /// Locks this `RwLock` with shared read access, causing the current task to yield until
    /// the lock has been acquired.
    ///
    /// The calling task yields until there are no writers holding the lock, and no writer
    /// queued before it. Returns an RAII guard which releases this read lock when dropped.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `read` makes you lose your place in the queue.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1).await;
        RwLockReadGuard::new(&self.s, self.c.get())
    }

    /// Blockingly locks this `RwLock` with shared read access: [`read`](RwLock::read) for
    /// synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        block_on(self.read())
    }

    /// Locks this `RwLock` held by `Arc` with shared read access; the guard keeps the `Arc`.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `read_owned` makes you lose your place in the queue.
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1).await;
        let data = self.c.get();
        OwnedRwLockReadGuard::new(self, data)
    }

    /// Attempts to acquire this `RwLock` with shared read access; [`TryLockError`] if a
    /// writer holds it or one is queued.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_acquire(1)?;
        Ok(RwLockReadGuard::new(&self.s, self.c.get()))
    }

    /// Attempts to acquire this `RwLock` held by `Arc` with shared read access;
    /// [`TryLockError`] if a writer holds it or one is queued.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.try_acquire(1)?;
        let data = self.c.get();
        Ok(OwnedRwLockReadGuard::new(self, data))
    }

    /// Locks this `RwLock` with exclusive write access, causing the current task to yield
    /// until the lock has been acquired.
    ///
    /// The calling task yields while other writers or readers hold the lock. Returns an RAII
    /// guard which drops the write access when dropped.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `write` makes you lose your place in the queue.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.mr).await;
        RwLockWriteGuard::new(self)
    }

    /// Blockingly locks this `RwLock` with exclusive write access: [`write`](RwLock::write)
    /// for synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        block_on(self.write())
    }

    /// Locks this `RwLock` held by `Arc` with exclusive write access; the guard keeps the
    /// `Arc`.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute locks in the order they were requested.
    /// Cancelling a call to `write_owned` makes you lose your place in the queue.
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.mr).await;
        OwnedRwLockWriteGuard::new(self)
    }

    /// Attempts to acquire this `RwLock` with exclusive write access; [`TryLockError`] if
    /// anybody holds it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_acquire(self.mr)?;
        Ok(RwLockWriteGuard::new(self))
    }

    /// Attempts to acquire this `RwLock` held by `Arc` with exclusive write access;
    /// [`TryLockError`] if anybody holds it.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.try_acquire(self.mr)?;
        Ok(OwnedRwLockWriteGuard::new(self))
    }

    /// Returns a mutable reference to the underlying data; no locking is needed, since the
    /// `&mut` borrow proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }

    /// Consumes the lock, returning the underlying data.
    pub fn into_inner(self) -> T
    where
        T: Sized,
    {
        self.c.into_inner()
    }

    async fn acquire(&self, permits: u32) {
        if self.s.acquire(permits as usize).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
    }

    fn try_acquire(&self, permits: u32) -> Result<(), TryLockError> {
        self.s
            .try_acquire(permits as usize)
            .map_err(|_| TryLockError(()))
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(s: T) -> Self {
        Self::new(s)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(inner) => d.field("data", &&*inner),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
