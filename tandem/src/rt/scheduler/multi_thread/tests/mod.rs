//! Loom models of the multi-thread scheduler (built only with `RUSTFLAGS="--cfg loom"`).
//!
//! - `loom_queue`: the local run queue (push, overflow to the injection queue, pop, steal).
//! - `loom_park`: the `Parker`, and the idle protocol between spawners and parking workers.
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p tandem
//! --release --lib loom`.

mod loom_park;
mod loom_queue;

use crate::rt::task::{Id, Notified, Schedule, Task};

pub(super) use crate::loom::model::model;
pub(super) use crate::rt::task::shard_zero_id;

/// A scheduler for tasks that are only moved between queues, never run.
pub(super) struct NoopSched;

impl Schedule for NoopSched {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }

    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("queue-model tasks are never woken");
    }
}

/// A task that is never run, standing only for its notification; returns it with its id. The
/// owned and join references are dropped at once, so dropping the notification frees the task.
pub(super) fn queue_task() -> (Notified<NoopSched>, Id) {
    let id = Id::next();
    let (task, notified, join) = crate::rt::task::new_task(std::future::ready(()), NoopSched, id);
    drop(task);
    drop(join);
    (notified, id)
}

/// Consumes a notification, returning its task's id.
pub(super) fn task_id(task: Notified<NoopSched>) -> Id {
    let raw = task.into_raw();
    let id = raw.header().id();
    // SAFETY: `raw` is the notification reference `into_raw` just gave up; rebuilding the
    // `Notified` and dropping it releases that reference.
    drop(unsafe { Notified::<NoopSched>::from_raw(raw) });
    id
}
