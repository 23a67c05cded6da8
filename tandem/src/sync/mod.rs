//! Synchronization primitives for async code, with Tokio's names, signatures and semantics.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `wait_list.rs` | a FIFO of waiters that any one can leave in O(1): the queue behind every primitive that makes tasks wait |
//! | `notify/` | `Notify` and its futures (`Notified`, `OwnedNotified`): one permit, a queue of waiters that keep their slot until they collect how they were notified |
//! | `oneshot/` | the one-shot channel: one allocation holding a state word (which also counts the two handles), the value cell and a waker cell per side |
//! | `barrier.rs` | `Barrier`: a count and a generation under a mutex, the waiting tasks in a `WaitList` |
//!
//! Tandem is replacing Tokio's runtime-independent primitives with its own, one primitive at a
//! time (so that they spend Tandem's cooperative budget, and so that Tandem depends on no
//! `tokio` crate). Until a primitive's own module lands here, its line below re-exports Tokio's,
//! unchanged: those work on any executor, Tandem included, but never yield for the budget.

#[allow(dead_code)] // Its users land primitive by primitive.
pub(crate) mod wait_list;

/// Named future types.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}
mod notify;
pub use notify::Notify;
pub mod oneshot;
pub use tokio::sync::{broadcast, mpsc, watch};
pub use tokio::sync::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
mod barrier;
pub use barrier::{Barrier, BarrierWaitResult};
pub use tokio::sync::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use tokio::sync::{OnceCell, SetError};
pub use tokio::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use tokio::sync::{SetOnce, SetOnceError};
