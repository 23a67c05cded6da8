//! Task identifiers.

use std::fmt;
use std::num::NonZeroU64;

/// An opaque, process-unique identifier of a task.
///
/// Ids are never reused while the process runs, so an id outliving its task cannot name another
/// task.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = tandem::spawn(async { tandem::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        // Relaxed: uniqueness needs atomicity only, no ordering with other memory.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Id(NonZeroU64::new(id).expect("task id counter wrapped"))
    }

    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// The value the thread-local context keeps for the running task.
    pub(crate) fn as_non_zero(self) -> NonZeroU64 {
        self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Returns the [`Id`] of the task that is running.
///
/// # Panics
/// Outside a task. Use [`try_id`] to get an `Option` instead.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let id = tandem::spawn(async { tandem::task::id() }).await.unwrap();
/// println!("the task was {id}");
/// # });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect("can't get a task id when not inside a task")
}

/// Returns the [`Id`] of the task that is running, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    crate::rt::context::current_task_id().map(Id)
}

#[cfg(all(test, loom))]
/// A task id that selects shard `shard` of a list with `shards` shards (a power of two).
///
/// Ids come from a process-wide counter, which other tests advance too, so a model that took
/// `Id::next()` as is could put a task in a different shard in each execution: loom needs every
/// execution of a model to be deterministic.
pub(crate) fn id_in_shard(shard: usize, shards: usize) -> Id {
    loop {
        let id = Id::next();
        if id.as_u64() as usize & (shards - 1) == shard {
            return id;
        }
    }
}

#[cfg(all(test, loom))]
/// A task id that selects shard 0 of any owned-tasks list of up to 64 shards.
pub(crate) fn shard_zero_id() -> Id {
    id_in_shard(0, 64)
}
