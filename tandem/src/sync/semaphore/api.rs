//! `Semaphore`, the public counting semaphore, over the batch semaphore.

use super::batch::BatchSemaphore;
use super::error::{AcquireError, TryAcquireError};
use super::permit::{OwnedSemaphorePermit, SemaphorePermit};
use super::state;
use crate::sync::blocking::block_on;
use std::fmt;
use std::sync::Arc;

/// Counting semaphore performing asynchronous permit acquisition.
///
/// A semaphore maintains a set of permits. Permits are used to synchronize access to a shared
/// resource. A semaphore differs from a mutex in that it can allow more than one concurrent
/// caller to access the shared resource at a time.
///
/// When `acquire` is called and the semaphore has remaining permits, the function immediately
/// returns a permit. However, if no remaining permits are available, `acquire`
/// (asynchronously) waits until an outstanding permit is dropped. At this point, the freed
/// permit is assigned to the caller.
///
/// This `Semaphore` is fair: permits are given out in the order they were requested. This also
/// holds with `acquire_many`: a call at the front of the queue that asks for more permits than
/// are available keeps a later call to `acquire` waiting, even if there would be enough
/// permits for that one.
///
/// # Memory ordering
///
/// If a task writes some data and then releases a permit, any task that later acquires a
/// permit is guaranteed to see that data. Acquiring, releasing (dropping a permit,
/// [`add_permits`](Semaphore::add_permits), [`forget_permits`](Semaphore::forget_permits)) and
/// [`close`](Semaphore::close) behave as `AcqRel` operations on a single atomic; a failed
/// acquisition, [`available_permits`](Semaphore::available_permits) and
/// [`is_closed`](Semaphore::is_closed) behave as `Acquire` loads.
///
/// # Examples
///
/// ```
/// use tandem::sync::{Semaphore, TryAcquireError};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let semaphore = Semaphore::new(3);
///
/// let a_permit = semaphore.acquire().await.unwrap();
/// let two_permits = semaphore.acquire_many(2).await.unwrap();
///
/// assert_eq!(semaphore.available_permits(), 0);
///
/// let permit_attempt = semaphore.try_acquire();
/// assert_eq!(permit_attempt.err(), Some(TryAcquireError::NoPermits));
/// # });
/// ```
pub struct Semaphore {
    inner: BatchSemaphore,
}

impl Semaphore {
    /// The maximum number of permits which a semaphore can hold. It is `usize::MAX >> 3`.
    ///
    /// Exceeding this limit typically results in a panic.
    pub const MAX_PERMITS: usize = state::MAX_PERMITS;

    /// Creates a new semaphore with the initial number of permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            inner: BatchSemaphore::new(permits),
        }
    }

    /// Creates a new semaphore with the initial number of permits, in a `const` context.
    ///
    /// ```
    /// use tandem::sync::Semaphore;
    ///
    /// static SEM: Semaphore = Semaphore::const_new(10);
    /// assert_eq!(SEM.available_permits(), 10);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Semaphore {
        Semaphore {
            inner: BatchSemaphore::const_new(permits),
        }
    }

    /// Returns the current number of available permits.
    pub fn available_permits(&self) -> usize {
        self.inner.available_permits()
    }

    /// Adds `n` new permits to the semaphore (they go to waiting tasks first).
    ///
    /// # Panics
    /// If the semaphore would hold more than [`Semaphore::MAX_PERMITS`] permits.
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.inner.release(n);
    }

    /// Decreases the semaphore's permits by at most `n`.
    ///
    /// If there are fewer than `n` available, removes them all; returns how many were removed.
    pub fn forget_permits(&self, n: usize) -> usize {
        self.inner.forget_permits(n)
    }

    /// Acquires a permit from the semaphore.
    ///
    /// If the semaphore has been closed, this returns an [`AcquireError`]. Otherwise, this
    /// returns a [`SemaphorePermit`] representing the acquired permit.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order they were requested.
    /// Cancelling a call to `acquire` makes you lose your place in the queue.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.inner.acquire(1).await?;
        Ok(SemaphorePermit::new(self, 1))
    }

    /// Acquires `n` permits from the semaphore.
    ///
    /// If the semaphore has been closed, this returns an [`AcquireError`]. Otherwise, this
    /// returns a [`SemaphorePermit`] representing the acquired permits.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order they were requested.
    /// Cancelling a call to `acquire_many` makes you lose your place in the queue.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.inner.acquire(n as usize).await?;
        Ok(SemaphorePermit::new(self, n as usize))
    }

    /// Tries to acquire a permit from the semaphore.
    ///
    /// Returns [`TryAcquireError::Closed`] if the semaphore has been closed and
    /// [`TryAcquireError::NoPermits`] if there are no permits left; otherwise a
    /// [`SemaphorePermit`] representing the acquired permit.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.inner.try_acquire(1)?;
        Ok(SemaphorePermit::new(self, 1))
    }

    /// Tries to acquire `n` permits from the semaphore.
    ///
    /// Returns [`TryAcquireError::Closed`] if the semaphore has been closed and
    /// [`TryAcquireError::NoPermits`] if there are not enough permits left; otherwise a
    /// [`SemaphorePermit`] representing the acquired permits.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.inner.try_acquire(n as usize)?;
        Ok(SemaphorePermit::new(self, n as usize))
    }

    /// Blockingly acquires a permit: [`acquire`](Semaphore::acquire) for synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        block_on(self.acquire())
    }

    /// Blockingly acquires `n` permits: [`acquire_many`](Semaphore::acquire_many) for
    /// synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        block_on(self.acquire_many(n))
    }

    /// Acquires a permit from the semaphore; the permit keeps the semaphore alive (an `Arc`).
    ///
    /// If the semaphore has been closed, this returns an [`AcquireError`].
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order they were requested.
    /// Cancelling a call to `acquire_owned` makes you lose your place in the queue.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.inner.acquire(1).await?;
        Ok(OwnedSemaphorePermit::new(self, 1))
    }

    /// Acquires `n` permits from the semaphore; the permit keeps the semaphore alive.
    ///
    /// If the semaphore has been closed, this returns an [`AcquireError`].
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order they were requested.
    /// Cancelling a call to `acquire_many_owned` makes you lose your place in the queue.
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.inner.acquire(n as usize).await?;
        Ok(OwnedSemaphorePermit::new(self, n as usize))
    }

    /// Tries to acquire a permit; the permit keeps the semaphore alive.
    ///
    /// Returns [`TryAcquireError::Closed`] if the semaphore has been closed and
    /// [`TryAcquireError::NoPermits`] if there are no permits left.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.inner.try_acquire(1)?;
        Ok(OwnedSemaphorePermit::new(self, 1))
    }

    /// Tries to acquire `n` permits; the permit keeps the semaphore alive.
    ///
    /// Returns [`TryAcquireError::Closed`] if the semaphore has been closed and
    /// [`TryAcquireError::NoPermits`] if there are not enough permits left.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.inner.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit::new(self, n as usize))
    }

    /// Blockingly acquires a permit: [`acquire_owned`](Semaphore::acquire_owned) for
    /// synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        block_on(self.acquire_owned())
    }

    /// Blockingly acquires `n` permits: [`acquire_many_owned`](Semaphore::acquire_many_owned)
    /// for synchronous code.
    ///
    /// # Panics
    /// If called within an asynchronous execution context.
    #[track_caller]
    pub fn blocking_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        block_on(self.acquire_many_owned(n))
    }

    /// Closes the semaphore.
    ///
    /// This prevents the semaphore from issuing new permits and notifies all pending waiters,
    /// whose acquisitions fail with [`AcquireError`]. Permits already handed out stay valid,
    /// and are given back when dropped.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Returns true if the semaphore is closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Gives back `n` permits held by a dropped permit.
    pub(super) fn release(&self, n: usize) {
        self.inner.release(n);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
