//! The semaphore: the batch semaphore that `Mutex` and `RwLock` are built on, and the public
//! `Semaphore` with its permits.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `error.rs` | `AcquireError`, `TryAcquireError` (Tokio's names and messages) |
//! | `state.rs` | the permit word: count, `CLOSED`, `QUEUED`; the lock-free take and give-back, and the protocol with the wait list |
//! | `wakers.rs` | wakers collected under the lock, woken after it |
//! | `batch.rs` | `BatchSemaphore`: the wait list (FIFO, partial hand-out to the front), release, close, a waiter's poll and leave |
//! | `acquire.rs` | `Acquire`, the future of a waiting acquisition: its stages, the cooperative budget, its give-back on drop |
//! | `api.rs` | `Semaphore`, the public type |
//! | `permit.rs` | `SemaphorePermit`, `OwnedSemaphorePermit` |
//! | `tests/` | unit tests and the loom models |
//!
//! An uncontended acquire and release are one CAS each on the permit word; the wait list's
//! lock is taken only when a task must wait, and then by whoever gives permits back until the
//! list is empty again (`state.rs` has the protocol).

mod acquire;
mod api;
mod batch;
mod error;
mod permit;
mod state;
mod wakers;

#[cfg(test)]
mod tests;

pub(crate) use super::blocking::block_on;
pub(crate) use acquire::Acquire;
pub use api::Semaphore;
pub(crate) use batch::BatchSemaphore;
pub use error::{AcquireError, TryAcquireError};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};
