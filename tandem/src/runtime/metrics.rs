//! `RuntimeMetrics`: counters describing a runtime.

use crate::rt::scheduler::SchedulerHandle;
use crate::rt::uring::UringStats;

/// A view of a runtime's counters, from [`Handle::metrics`](super::Handle::metrics).
///
/// ```
/// let rt = tandem::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// assert_eq!(rt.handle().metrics().num_workers(), 2);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    pub(super) handle: SchedulerHandle,
}

impl RuntimeMetrics {
    /// The number of worker threads (1 for a current-thread runtime).
    pub fn num_workers(&self) -> usize {
        match &self.handle {
            SchedulerHandle::CurrentThread(_) => 1,
            SchedulerHandle::MultiThread(h) => h.num_workers(),
        }
    }

    /// How many times worker `worker` (`0..num_workers()`) went to sleep for want of work.
    ///
    /// # Panics
    /// If `worker` is not a worker's index.
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.handle.worker_metrics(worker).park_count()
    }

    /// How many times worker `worker` went to sleep or woke up: odd while it sleeps, even while
    /// it works. Two reads that differ tell that it slept (or woke) in between.
    ///
    /// # Panics
    /// If `worker` is not a worker's index.
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.handle.worker_metrics(worker).park_unpark_count()
    }

    /// How long worker `worker` has been busy (not asleep waiting for work), counted each time
    /// it goes to sleep, and when it stops (a current-thread runtime's worker: whenever its
    /// `block_on` returns).
    ///
    /// # Panics
    /// If `worker` is not a worker's index.
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> std::time::Duration {
        self.handle.worker_metrics(worker).busy_duration()
    }

    /// How many times worker `worker` found its run queue full and moved tasks to the
    /// injection queue (half its queue at once), where they wait behind everything queued
    /// there. Always 0 on a current-thread runtime, whose queue has no bound.
    ///
    /// # Panics
    /// If `worker` is not a worker's index.
    #[track_caller]
    pub fn worker_overflow_count(&self, worker: usize) -> u64 {
        match &self.handle {
            SchedulerHandle::CurrentThread(_) => {
                assert_eq!(worker, 0, "a current-thread runtime has one worker, 0");
                0
            }
            SchedulerHandle::MultiThread(h) => {
                assert!(
                    worker < h.num_workers(),
                    "worker index {worker} out of range: the runtime has {} workers",
                    h.num_workers()
                );
                h.worker_overflow_count(worker)
            }
        }
    }

    /// The io_uring backend's counters: per ring (operations submitted, completed, cancelled,
    /// `io_uring_enter` calls) and operations sent to the blocking pool, by cause.
    ///
    /// ```
    /// use tandem::runtime::{Builder, FallbackCause, UringMode};
    ///
    /// let rt = Builder::new_multi_thread().io_uring(UringMode::Off).enable_all().build().unwrap();
    /// let stats = rt.handle().metrics().io_uring();
    /// assert!(!stats.enabled);
    /// assert_eq!(stats.fallbacks(FallbackCause::Disabled), 0);
    /// ```
    pub fn io_uring(&self) -> UringStats {
        self.handle.driver().uring.stats()
    }

    /// The number of tasks in the runtime's injection queue: spawned or woken from outside its
    /// workers, or moved there when a worker's own queue overflowed, and not yet taken by a
    /// worker.
    pub fn global_queue_depth(&self) -> usize {
        match &self.handle {
            SchedulerHandle::CurrentThread(h) => h.global_queue_depth(),
            SchedulerHandle::MultiThread(h) => h.global_queue_depth(),
        }
    }

    /// The number of tasks spawned and not yet completed.
    pub fn num_alive_tasks(&self) -> usize {
        match &self.handle {
            SchedulerHandle::CurrentThread(h) => h.num_alive_tasks(),
            SchedulerHandle::MultiThread(h) => h.num_alive_tasks(),
        }
    }
}

impl std::fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .finish()
    }
}
