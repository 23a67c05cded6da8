//! The scheduler of blocking tasks: they run once on a pool thread and are never woken.

use crate::task::{Notified, Schedule, Task};

pub(crate) struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        // Blocking tasks are not in an owned-tasks list.
        None
    }

    fn schedule(&self, _task: Notified<Self>) {
        // A blocking task's future never returns `Pending`, so no waker exists; abort of a queued
        // task only sets CANCELLED (it is already NOTIFIED) and never schedules.
        unreachable!("blocking tasks are never woken")
    }
}
