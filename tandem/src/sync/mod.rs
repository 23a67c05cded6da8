//! Synchronization primitives for async code, with Tokio's names, signatures and semantics.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `wait_list.rs` | a FIFO of waiters that any one can leave in O(1): the queue behind every primitive that makes tasks wait |
//! | `blocking.rs` | the `blocking_*` methods' wait on the calling thread, and Tokio's panic when that thread drives a runtime |
//! | `semaphore/` | the batch semaphore (a lock-free fast path on one permit word, waiters in a `wait_list`), `Semaphore` and its permits |
//! | `mutex/` | `Mutex`: one permit of a batch semaphore and the value it guards; its guards, mapped guards, `TryLockError` |
//! | `rwlock/` | `RwLock`: a batch semaphore of `max_readers` permits (a writer takes all) and the value it guards; its read, write and mapped guards |
//! | `notify/` | `Notify` and its futures (`Notified`, `OwnedNotified`): one permit, a queue of waiters that keep their slot until they collect how they were notified |
//! | `oneshot/` | the one-shot channel: one allocation holding a state word (which also counts the two handles), the value cell and a waker cell per side |
//! | `barrier.rs` | `Barrier`: a count and a generation under a mutex, the waiting tasks in a `WaitList` |
//! | `mpsc/` | the multi-producer, single-consumer channels, bounded and unbounded |
//! | `broadcast/` | `broadcast`: every receiver sees every value, in a ring of the last `capacity`, lagging receivers told how many they missed |
//! | `once_cell/` | `OnceCell`: written once, by `set` or by one async initializer at a time; its write-once slot, shared with `SetOnce` |
//! | `set_once.rs` | `SetOnce`: set at most once, awaited by any number of tasks |
//! | `watch/` | `watch`: a channel that keeps only the last value, with versions and change notification |
//!
//! Every primitive is Tandem's own (none is Tokio's any more): each spends Tandem's cooperative
//! budget where Tokio's spends Tokio's, and waits through a `WaitList` (or, `Notify`, a queue of
//! its own) under a short lock, waking the tasks it collected only after releasing it.

mod barrier;
mod blocking;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod rwlock;
pub(crate) mod semaphore;
mod set_once;
pub(crate) mod wait_list;
pub mod watch;

/// Named future types.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::Notify;
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use set_once::{SetOnce, SetOnceError};
