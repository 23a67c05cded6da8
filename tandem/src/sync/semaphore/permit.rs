//! `SemaphorePermit` and `OwnedSemaphorePermit`: permits that go back to their semaphore when
//! dropped.

use super::api::Semaphore;
use std::sync::Arc;

/// A permit from the semaphore.
///
/// This type is created by the [`acquire`](Semaphore::acquire) method and related methods;
/// dropping it gives its permits back.
#[must_use]
#[clippy::has_significant_drop]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

/// An owned permit from the semaphore: it holds the semaphore by `Arc`.
///
/// This type is created by the [`acquire_owned`](Semaphore::acquire_owned) method and related
/// methods; dropping it gives its permits back.
#[must_use]
#[clippy::has_significant_drop]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: usize,
}

/// The sum of two permits' counts.
#[track_caller]
fn merged(a: usize, b: usize) -> usize {
    a.checked_add(b).expect("number of permits overflowed")
}

const UNRELATED: &str = "merging permits from different semaphore instances";

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(sem: &'a Semaphore, permits: usize) -> SemaphorePermit<'a> {
        SemaphorePermit { sem, permits }
    }

    /// Forgets the permit **without** releasing it back to the semaphore. This can be used to
    /// reduce the amount of permits available from a semaphore.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Merges two [`SemaphorePermit`] instances together, consuming `other` without releasing
    /// the permits it holds.
    ///
    /// # Panics
    /// If the two permits come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(std::ptr::eq(self.sem, other.sem), "{UNRELATED}");
        self.permits = merged(self.permits, other.permits);
        other.permits = 0;
    }

    /// Splits `n` permits off into a new [`SemaphorePermit`]; `None` if this one holds fewer
    /// than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(SemaphorePermit::new(self.sem, n))
    }

    /// Returns the [`Semaphore`] from which this permit was acquired.
    pub fn semaphore(&self) -> &Semaphore {
        self.sem
    }

    /// Returns the number of permits held by `self`.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl OwnedSemaphorePermit {
    pub(super) fn new(sem: Arc<Semaphore>, permits: usize) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit { sem, permits }
    }

    /// Forgets the permit **without** releasing it back to the semaphore. This can be used to
    /// reduce the amount of permits available from a semaphore.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Merges two [`OwnedSemaphorePermit`] instances together, consuming `other` without
    /// releasing the permits it holds.
    ///
    /// # Panics
    /// If the two permits come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(Arc::ptr_eq(&self.sem, &other.sem), "{UNRELATED}");
        self.permits = merged(self.permits, other.permits);
        other.permits = 0;
    }

    /// Splits `n` permits off into a new [`OwnedSemaphorePermit`]; `None` if this one holds
    /// fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(OwnedSemaphorePermit::new(self.sem.clone(), n))
    }

    /// Returns the [`Semaphore`] from which this permit was acquired.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Returns the number of permits held by `self`.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}
