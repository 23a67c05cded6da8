//! The asynchronous reader-writer lock: a batch semaphore (`sync/semaphore/`) of `max_readers`
//! permits, of which a reader takes one and a writer all, and the value it guards. Fair and
//! write-preferring as the semaphore's queue is: a writer at the front keeps the readers behind
//! it waiting, collecting the permits as the readers before it leave.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `rwlock.rs` | `RwLock`: `read`, `write`, the `try_`, owned and blocking variants |
//! | `read_guard.rs` | `RwLockReadGuard`, `OwnedRwLockReadGuard`: a reader's permit and shared access (maps to a part) |
//! | `mapped_write_guard.rs` | `RwLockMappedWriteGuard`, `OwnedRwLockMappedWriteGuard`: a writer's permits and access to a part |
//! | `write_guard.rs` | `RwLockWriteGuard`, `OwnedRwLockWriteGuard`: a writer's permits; map, downgrade (give back all permits but one) |
//! | `tests/` | unit tests and the loom model |
//!
//! The value lives in a `std::cell::UnsafeCell`; only the guards reach into it, each holding
//! its permits for as long as it does.

mod mapped_write_guard;
mod read_guard;
#[allow(clippy::module_inception)]
mod rwlock;
mod write_guard;

#[cfg(test)]
mod tests;

pub use mapped_write_guard::{OwnedRwLockMappedWriteGuard, RwLockMappedWriteGuard};
pub use read_guard::{OwnedRwLockReadGuard, RwLockReadGuard};
pub use rwlock::RwLock;
pub use write_guard::{OwnedRwLockWriteGuard, RwLockWriteGuard};
