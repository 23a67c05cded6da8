//! `TryLockError`, the failure of `Mutex::try_lock` and of `RwLock`'s `try_read`/`try_write`.

use std::fmt;

/// Error returned from the [`Mutex::try_lock`](super::Mutex::try_lock),
/// [`RwLock::try_read`](crate::sync::RwLock::try_read) and
/// [`RwLock::try_write`](crate::sync::RwLock::try_write) functions: the lock is held.
#[derive(Debug)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}
