//! Why an acquisition failed: `AcquireError` (the semaphore was closed) and `TryAcquireError`
//! (closed, or no permits right now), with Tokio's names and messages.

use std::fmt;

/// Error returned from [`Semaphore::acquire`](super::Semaphore::acquire) and the other waiting
/// acquisitions.
///
/// An `acquire` operation can only fail if the semaphore has been
/// [closed](super::Semaphore::close).
#[derive(Debug)]
pub struct AcquireError(pub(super) ());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Error returned from [`Semaphore::try_acquire`](super::Semaphore::try_acquire) and the other
/// acquisitions that do not wait.
#[derive(Debug, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore has been [closed](super::Semaphore::close) and cannot issue new permits.
    Closed,
    /// The semaphore has no available permits.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "semaphore closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}

impl std::error::Error for TryAcquireError {}
