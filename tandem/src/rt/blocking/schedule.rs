//! The scheduler of blocking tasks: they run once on a pool thread and are never woken.

use crate::loom::sync::Mutex;
use crate::rt::driver::TimeHandle;
use crate::rt::task::{Notified, Schedule, Task};

pub(crate) struct BlockingSchedule {
    /// While the task is not released, a paused clock must not jump ahead on its own: the
    /// runtime is not idle, it waits for this task (as Tokio's test-util does). `None` for
    /// mandatory tasks (the worker loops) and runtimes without timers.
    inhibit: Mutex<Option<AllowAutoAdvance>>,
}

impl BlockingSchedule {
    /// The scheduler of one blocking task; with `time`, auto-advance of that time driver's
    /// paused clock is inhibited until the task is released.
    pub(crate) fn new(time: Option<TimeHandle>) -> BlockingSchedule {
        let inhibit = time.map(|time| {
            time.inhibit_auto_advance();
            AllowAutoAdvance(time)
        });
        BlockingSchedule {
            inhibit: Mutex::new(inhibit),
        }
    }
}

impl Schedule for BlockingSchedule {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        // Only now, with the task complete and its `JoinHandle` woken, may the paused clock
        // jump: the driver then runs the woken joiner before it jumps ("Paused clock" in
        // `time/mod.rs`). Released at the end of the closure instead, a timeout around the
        // `JoinHandle` could fire in between.
        let allow = self.inhibit.lock().take();
        drop(allow);
        // Blocking tasks are not in an owned-tasks list.
        None
    }

    fn schedule(&self, _task: Notified<Self>) {
        // A blocking task's future never returns `Pending`, so no waker exists; abort of a queued
        // task only sets CANCELLED (it is already NOTIFIED) and never schedules.
        unreachable!("blocking tasks are never woken")
    }
}

/// Re-allows the paused clock's auto-advance when dropped: when its task is released (it ran,
/// panicked, or was cancelled), or, if it never completed, when the task is freed.
struct AllowAutoAdvance(TimeHandle);

impl Drop for AllowAutoAdvance {
    fn drop(&mut self) {
        self.0.allow_auto_advance();
    }
}
