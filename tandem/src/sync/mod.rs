//! Synchronization primitives for async code, with Tokio's names, signatures and semantics.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `wait_list.rs` | a FIFO of waiters that any one can leave in O(1): the queue behind every primitive that makes tasks wait |
//! | `semaphore/` | the batch semaphore (a lock-free fast path on one permit word, waiters in a `wait_list`), `Semaphore` and its permits |
//! | `mutex/` | `Mutex`: one permit of a batch semaphore and the value it guards; its guards, mapped guards, `TryLockError` |
//! | `rwlock/` | `RwLock`: a batch semaphore of `max_readers` permits (a writer takes all) and the value it guards; its read, write and mapped guards |
//! | `notify/` | `Notify` and its futures (`Notified`, `OwnedNotified`): one permit, a queue of waiters that keep their slot until they collect how they were notified |
//! | `oneshot/` | the one-shot channel: one allocation holding a state word (which also counts the two handles), the value cell and a waker cell per side |
//! | `barrier.rs` | `Barrier`: a count and a generation under a mutex, the waiting tasks in a `WaitList` |
//! | `mpsc/` | the multi-producer, single-consumer channels, bounded and unbounded |
//!
//! Tandem is replacing Tokio's runtime-independent primitives with its own, one primitive at a
//! time (so that they spend Tandem's cooperative budget, and so that Tandem depends on no
//! `tokio` crate). Until a primitive's own module lands here, its line below re-exports Tokio's,
//! unchanged: those work on any executor, Tandem included, but never yield for the budget.

mod barrier;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod rwlock;
pub(crate) mod semaphore;
pub(crate) mod wait_list;

/// Named future types.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::Notify;
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use tokio::sync::{broadcast, watch};
pub use tokio::sync::{OnceCell, SetError};
pub use tokio::sync::{SetOnce, SetOnceError};
