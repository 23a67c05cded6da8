//! Synchronization primitives for async code, with Tokio's names, signatures and semantics.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `wait_list.rs` | a FIFO of waiters that any one can leave in O(1): the queue behind every primitive that makes tasks wait |
//! | `broadcast/` | `broadcast`: every receiver sees every value, in a ring of the last `capacity`, lagging receivers told how many they missed |
//! | `once_cell/` | `OnceCell`: written once, by `set` or by one async initializer at a time; its write-once slot, shared with `SetOnce` |
//! | `set_once.rs` | `SetOnce`: set at most once, awaited by any number of tasks |
//! | `watch/` | `watch`: a channel that keeps only the last value, with versions and change notification |
//!
//! Tandem is replacing Tokio's runtime-independent primitives with its own, one primitive at a
//! time (so that they spend Tandem's cooperative budget, and so that Tandem depends on no
//! `tokio` crate). Until a primitive's own module lands here, its line below re-exports Tokio's,
//! unchanged: those work on any executor, Tandem included, but never yield for the budget.

pub(crate) mod wait_list;

pub use tokio::sync::futures;
pub use tokio::sync::Notify;
pub mod broadcast;
pub use tokio::sync::{mpsc, oneshot};
pub mod watch;
pub use tokio::sync::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use tokio::sync::{Barrier, BarrierWaitResult};
pub use tokio::sync::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
mod once_cell;
pub use once_cell::{OnceCell, SetError};
pub use tokio::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
mod set_once;
pub use set_once::{SetOnce, SetOnceError};
