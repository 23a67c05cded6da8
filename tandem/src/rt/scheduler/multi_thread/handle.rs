//! The shared side of the multi-thread scheduler: spawning, scheduling from anywhere, waking
//! sleepers, and the shutdown rendezvous.

use super::idle::{self, Idle};
use super::queue;
use super::worker::{WorkerContext, WorkerCore};
use crate::loom::sync::{Arc, Mutex};
use crate::rt::blocking;
use crate::rt::driver::{SharedDriver, WorkerUnparker};
use crate::rt::scheduler::inject::Inject;
use crate::rt::scheduler::metrics::WorkerMetrics;
use crate::rt::scheduler::{Config, SchedulerContext};
use crate::rt::task::list::OwnedTasks;
use crate::rt::task::{Id, JoinHandle, Notified, Schedule, Task};
use std::collections::VecDeque;
use std::future::Future;

/// Everything workers share. `Arc<MultiThreadHandle>` is the `Schedule` of every task on this
/// runtime.
pub(crate) struct MultiThreadHandle {
    pub(crate) shared: Shared,
    pub(crate) blocking_spawner: blocking::Spawner,
    /// The I/O and time drivers, parked on by one idle worker at a time.
    pub(crate) driver: std::sync::Arc<SharedDriver>,
}

pub(crate) struct Shared {
    /// Per worker: the steal end of its queue and its unparker.
    pub(super) remotes: Box<[Remote]>,
    pub(super) inject: Inject<Arc<MultiThreadHandle>>,
    pub(super) idle: Idle,
    pub(super) owned: OwnedTasks<Arc<MultiThreadHandle>>,
    pub(super) synced: Mutex<Synced>,
    pub(crate) config: Config,
    /// Per worker: its counters (`RuntimeMetrics`).
    pub(crate) worker_metrics: Box<[WorkerMetrics]>,
}

pub(crate) struct Synced {
    pub(super) idle: idle::Synced,
    /// Cores of workers that finished their part of shutdown.
    #[allow(clippy::vec_box)] // cores move between threads as boxes; unboxing would copy them
    pub(super) shutdown_cores: Vec<Box<WorkerCore>>,
}

pub(super) struct Remote {
    pub(super) steal: queue::Steal<Arc<MultiThreadHandle>>,
    pub(super) unpark: WorkerUnparker,
}

impl MultiThreadHandle {
    pub(super) fn new(
        remotes: Box<[Remote]>,
        idle: Idle,
        idle_synced: idle::Synced,
        config: Config,
        blocking_spawner: blocking::Spawner,
        driver: std::sync::Arc<SharedDriver>,
    ) -> MultiThreadHandle {
        let workers = remotes.len();
        MultiThreadHandle {
            shared: Shared {
                remotes,
                inject: Inject::new(),
                idle,
                owned: OwnedTasks::new(workers * 4),
                synced: Mutex::new(Synced {
                    idle: idle_synced,
                    shutdown_cores: Vec::with_capacity(workers),
                }),
                config,
                worker_metrics: (0..workers).map(|_| WorkerMetrics::default()).collect(),
            },
            blocking_spawner,
            driver,
        }
    }

    pub(crate) fn spawn<F>(me: &Arc<MultiThreadHandle>, future: F, id: Id) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (join, notified) = me.shared.owned.bind(future, me.clone(), id);
        if let Some(notified) = notified {
            me.schedule_task(notified, false);
        }
        join
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.shared.inject.len()
    }

    pub(crate) fn worker_overflow_count(&self, worker: usize) -> u64 {
        self.shared.remotes[worker].steal.overflow_count()
    }

    /// Schedules `task`: into the current worker's LIFO slot or queue if this thread is one of
    /// our workers holding its core, else into the injection queue.
    pub(super) fn schedule_task(&self, task: Notified<Arc<MultiThreadHandle>>, is_yield: bool) {
        let task = crate::rt::scheduler::context::with_scheduler(|cx| {
            if let Some(SchedulerContext::MultiThread(cx)) = cx {
                if std::ptr::eq(self, &*cx.worker.handle) {
                    if let Some(core) = cx.core.borrow_mut().as_mut() {
                        self.schedule_local(cx, core, task, is_yield);
                        return None;
                    }
                }
            }
            Some(task)
        });
        if let Some(task) = task {
            self.shared.inject.push(task);
            self.notify_parked();
        }
    }

    fn schedule_local(
        &self,
        _cx: &WorkerContext,
        core: &mut WorkerCore,
        task: Notified<Arc<MultiThreadHandle>>,
        is_yield: bool,
    ) {
        let should_notify = if is_yield || !core.lifo_enabled {
            core.run_queue
                .push_back_or_overflow(task, &self.shared.inject);
            true
        } else {
            // The newest task runs next (cache-hot, and a message's receiver runs right after
            // its sender); the one it displaces becomes stealable.
            match core.lifo_slot.replace(task) {
                Some(prev) => {
                    core.run_queue
                        .push_back_or_overflow(prev, &self.shared.inject);
                    true
                }
                None => false,
            }
        };
        // While the worker is parked (`park` is taken), it will notify after waking; during a
        // ring turn, the turn does (`WorkerCore::defer_notify`).
        if should_notify && core.park.is_some() && !core.defer_notify {
            self.notify_parked();
        }
    }

    /// Wakes one sleeping worker if no worker is searching.
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify(&self.shared) {
            self.shared.remotes[index].unpark.unpark();
        }
    }

    /// Called by the last searcher before it sleeps: wake someone if any queue has work.
    pub(super) fn notify_if_work_pending(&self) {
        let pending = self.shared.remotes.iter().any(|r| !r.steal.is_empty())
            || !self.shared.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    pub(super) fn next_remote_task(&self) -> Option<Notified<Arc<MultiThreadHandle>>> {
        self.shared.inject.pop()
    }

    /// Moves up to `max` tasks (at most a fair share: the queue's length over the number of
    /// workers) from the injection queue into a worker's `run_queue` in one lock acquisition,
    /// returning the first to run now.
    pub(super) fn take_from_inject(
        &self,
        run_queue: &mut queue::Local<Arc<MultiThreadHandle>>,
        max: usize,
    ) -> Option<Notified<Arc<MultiThreadHandle>>> {
        let inject = &self.shared.inject;
        if inject.is_empty() {
            return None;
        }
        let fair_share = self.inject_fair_share();
        // Bounded by the free slots, so the pushes below never overflow (which would take the
        // injection queue's lock, held during `pop_batch`): stealers only ever free slots.
        let n = fair_share.min(max).min(run_queue.remaining_slots()).max(1);
        let mut first = None;
        inject.pop_batch(n, |task| match first {
            None => first = Some(task),
            Some(_) => run_queue.push_back_or_overflow(task, inject),
        });
        first
    }

    /// Moves up to `max` tasks (at most a fair share, as `take_from_inject`) from the injection
    /// queue to the back of `batch`, in one lock acquisition.
    pub(super) fn take_batch_from_inject(
        &self,
        batch: &mut VecDeque<Notified<Arc<MultiThreadHandle>>>,
        max: usize,
    ) {
        let inject = &self.shared.inject;
        if inject.is_empty() {
            return;
        }
        inject.pop_batch(self.inject_fair_share().min(max), |task| {
            batch.push_back(task)
        });
    }

    /// One worker's share of the injection queue: its length over the number of workers.
    fn inject_fair_share(&self) -> usize {
        self.shared.inject.len() / self.shared.remotes.len() + 1
    }

    /// Starts shutdown: closes the injection queue and wakes every worker, each of which then
    /// cancels its share of the tasks and hands in its core. Idempotent.
    pub(crate) fn shutdown(&self) {
        if self.shared.inject.close() {
            for remote in self.shared.remotes.iter() {
                remote.unpark.unpark();
            }
        }
    }

    /// A worker hands in its core. The last one drains every queue (tasks were already cancelled
    /// through the owned list, so these are just references being dropped).
    pub(super) fn shutdown_core(&self, core: Box<WorkerCore>) {
        let mut synced = self.shared.synced.lock();
        synced.shutdown_cores.push(core);
        if synced.shutdown_cores.len() != self.shared.remotes.len() {
            return;
        }
        let mut cores = std::mem::take(&mut synced.shutdown_cores);
        drop(synced);
        for core in &mut cores {
            core.drain();
        }
        // Tasks are gone; operations they left in flight are cancelled and awaited, ring by
        // ring, before the rings close with the runtime.
        let deadline = self.driver.handle.uring.shutdown_deadline();
        for core in &mut cores {
            core.shutdown_ring(deadline);
        }
        self.driver.handle.uring.shutdown_shared(deadline);
        drop(cores);
        while let Some(task) = self.shared.inject.pop() {
            drop(task);
        }
        debug_assert!(self.shared.owned.is_empty(), "tasks survived shutdown");
        // Last, so that tasks were dropped while their resources were still registered.
        self.driver.shutdown();
    }
}

impl Schedule for Arc<MultiThreadHandle> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.shared.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.schedule_task(task, false);
    }

    fn yield_now(&self, task: Notified<Self>) {
        self.schedule_task(task, true);
    }

    fn take_yield_request(&self, header: std::ptr::NonNull<crate::rt::task::Header>) -> bool {
        crate::rt::scheduler::context::with_scheduler(|cx| match cx {
            Some(SchedulerContext::MultiThread(cx)) => cx.take_yield_request(header),
            _ => false,
        })
    }

    fn defer_yield(&self, task: Notified<Self>) {
        let task = crate::rt::scheduler::context::with_scheduler(|cx| {
            if let Some(SchedulerContext::MultiThread(cx)) = cx {
                if Arc::ptr_eq(self, &cx.worker.handle) && cx.has_core() {
                    cx.push_yielded(task);
                    return None;
                }
            }
            Some(task)
        });
        if let Some(task) = task {
            // Not on one of our workers holding its core any more (`block_in_place` handed it
            // off during the poll): behind the others, from the injection queue.
            self.schedule_task(task, true);
        }
    }
}
