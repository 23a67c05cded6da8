//! The asynchronous mutex: one permit of a batch semaphore (`sync/semaphore/`) and the value
//! it guards. Fair (FIFO) as the semaphore is; an uncontended lock and unlock are one CAS each.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `error.rs` | `TryLockError` (shared with `RwLock`) |
//! | `mutex.rs` | `Mutex`: `lock`, `try_lock`, the owned and blocking variants |
//! | `guard.rs` | `MutexGuard`, `OwnedMutexGuard`: the permit and the access to the value |
//! | `mapped.rs` | `MappedMutexGuard`, `OwnedMappedMutexGuard`: the permit and access to a part of it |
//! | `tests/` | unit tests and the loom model |
//!
//! The value lives in a `std::cell::UnsafeCell`; the guards are the only code that reaches
//! into it, each holding the permit for as long as it does.

mod error;
mod guard;
mod mapped;
#[allow(clippy::module_inception)]
mod mutex;

#[cfg(test)]
mod tests;

pub use error::TryLockError;
pub use guard::{MutexGuard, OwnedMutexGuard};
pub use mapped::{MappedMutexGuard, OwnedMappedMutexGuard};
pub use mutex::Mutex;
