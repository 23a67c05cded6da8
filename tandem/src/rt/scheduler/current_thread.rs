//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! The scheduler's state (`CurrentThreadCore`: run queue, parker, tick) is taken by whichever
//! thread enters `block_on`; a second thread calling `block_on` at the same time polls only its
//! own future, and takes the core over when the first one returns it. Tasks woken on the core's
//! thread go to its local queue; tasks woken elsewhere go to the injection queue and unpark the
//! core's thread.
//!
//! Shutdown (dropping the runtime):
//! 1. Close the injection queue, so wake-ups from other threads are dropped.
//! 2. Cancel every task through the owned list (destructors run on the dropping thread).
//! 3. Drop the queued notifications.

use crate::loom::sync::{Arc, Mutex};
use crate::rt::blocking;
use crate::rt::coop;
use crate::rt::driver::{Driver, DriverHandle, DriverUnpark, TurnLimits};
use crate::rt::scheduler::context;
use crate::rt::scheduler::inject::Inject;
use crate::rt::scheduler::metrics::{BusyClock, WorkerMetrics};
use crate::rt::scheduler::{Config, Defer, SchedulerContext, SchedulerHandle};
use crate::rt::task::list::OwnedTasks;
use crate::rt::task::{Id, JoinHandle, Notified, Schedule, Task};
use crate::rt::uring;
use crate::util::atomic_cell::AtomicCell;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Wake, Waker};

/// The scheduler owned by a `Runtime`.
pub(crate) struct CurrentThread {
    core: AtomicCell<CurrentThreadCore>,
    /// Threads in `block_on` waiting for the core.
    core_waiters: Mutex<Vec<Waker>>,
}

/// Shared with tasks and other threads.
pub(crate) struct CurrentThreadHandle {
    inject: Inject<Arc<CurrentThreadHandle>>,
    owned: OwnedTasks<Arc<CurrentThreadHandle>>,
    root: std::sync::Arc<RootWaker>,
    pub(crate) config: Config,
    pub(crate) blocking_spawner: blocking::Spawner,
    pub(crate) driver: DriverHandle,
    /// The one worker's counters (the thread in `block_on` is the worker).
    pub(crate) metrics: WorkerMetrics,
}

/// The `block_on` future's waker: flags the root future and unparks the thread.
struct RootWaker {
    woken: AtomicBool,
    unpark: DriverUnpark,
}

impl Wake for RootWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // Release: the waker's writes are visible to the poll that follows the swap in block_on.
        self.woken.store(true, Ordering::Release);
        self.unpark.unpark();
    }
}

/// The state that moves with the thread driving the scheduler.
pub(crate) struct CurrentThreadCore {
    tasks: VecDeque<Notified<Arc<CurrentThreadHandle>>>,
    tick: u32,
    /// Taken while the thread sleeps in it.
    driver: Option<Driver>,
    /// The runtime's one worker ring (`None` without io_uring). Taken while it is reaped.
    ring: Option<crate::rt::uring::LocalRing>,
    busy: BusyClock,
}

/// The per-thread context while a thread drives the scheduler.
pub(crate) struct CurrentThreadContext {
    handle: Arc<CurrentThreadHandle>,
    core: RefCell<Option<Box<CurrentThreadCore>>>,
    /// Tasks that yielded, woken when the run queue runs dry.
    pub(crate) defer: Defer,
}

impl CurrentThread {
    pub(crate) fn new(
        config: Config,
        blocking_spawner: blocking::Spawner,
        driver: Driver,
        driver_handle: DriverHandle,
    ) -> (CurrentThread, Arc<CurrentThreadHandle>) {
        let handle = Arc::new(CurrentThreadHandle {
            inject: Inject::new(),
            owned: OwnedTasks::new(1),
            root: std::sync::Arc::new(RootWaker {
                woken: AtomicBool::new(false),
                unpark: driver_handle.unpark.clone(),
            }),
            config,
            blocking_spawner,
            driver: driver_handle,
            metrics: WorkerMetrics::default(),
        });
        // The core's holder sleeps in the driver: a cancel from another thread wakes it there.
        let unpark = handle.driver.unpark.clone();
        let ring = handle.driver.uring.take_local(0, move || unpark.unpark());
        let core = Box::new(CurrentThreadCore {
            tasks: VecDeque::with_capacity(64),
            tick: 0,
            driver: Some(driver),
            ring,
            busy: BusyClock::start(),
        });
        let scheduler = CurrentThread {
            core: AtomicCell::new(Some(core)),
            core_waiters: Mutex::new(Vec::new()),
        };
        (scheduler, handle)
    }

    #[track_caller]
    pub(crate) fn block_on<F: Future>(&self, sched: &SchedulerHandle, future: F) -> F::Output {
        let SchedulerHandle::CurrentThread(handle) = sched else {
            unreachable!("a current-thread runtime has a current-thread handle")
        };
        let _enter = context::enter_runtime(sched, false);
        let mut future = pin!(future);
        // Made only if another thread holds the core, then reused for every wait.
        let mut waiter = None;
        loop {
            if let Some(core) = self.core.take() {
                let guard = CoreGuard {
                    scheduler: self,
                    core: Some(core),
                };
                return guard.block_on(handle, future);
            }
            // Another thread drives the scheduler: poll our own future, and wait for either its
            // waker or the core to come back.
            let (parker, waker) = waiter.get_or_insert_with(|| {
                let parker = crate::rt::driver::Parker::new();
                let waker = parker.waker();
                (parker, waker)
            });
            self.core_waiters.lock().push(waker.clone());
            if let Poll::Ready(out) = future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
            {
                return out;
            }
            parker.park_shared();
        }
    }

    /// Cancels every task and drops the queues. Runs on the thread dropping the runtime.
    pub(crate) fn shutdown(&self, handle: &Arc<CurrentThreadHandle>) {
        handle.inject.close();
        handle.owned.close_and_shutdown_all(0);
        while let Some(task) = handle.inject.pop() {
            drop(task);
        }
        // With the core here (no other thread in `block_on`), drop its queue and shut the
        // drivers down, after the tasks so their resources deregister first.
        if let Some(mut core) = self.core.take() {
            core.tasks.clear();
            let deadline = handle.driver.uring.shutdown_deadline();
            if let Some(ring) = core.ring.take() {
                ring.shutdown(deadline);
            }
            handle.driver.uring.shutdown_shared(deadline);
            if let Some(driver) = core.driver.as_mut() {
                driver.shutdown(&handle.driver);
            }
            self.core.set(core);
        }
    }
}

/// Gives the core back (and tells waiting `block_on` callers) however `block_on` exits.
struct CoreGuard<'a> {
    scheduler: &'a CurrentThread,
    core: Option<Box<CurrentThreadCore>>,
}

impl Drop for CoreGuard<'_> {
    fn drop(&mut self) {
        if let Some(core) = self.core.take() {
            self.scheduler.core.set(core);
            let waiters = std::mem::take(&mut *self.scheduler.core_waiters.lock());
            for waiter in waiters {
                waiter.wake();
            }
        }
    }
}

impl CoreGuard<'_> {
    fn block_on<F: Future>(
        mut self,
        handle: &Arc<CurrentThreadHandle>,
        mut future: std::pin::Pin<&mut F>,
    ) -> F::Output {
        let mut core = self.core.take().expect("core present");
        // Busy from now until the thread parks or gives the core back.
        core.busy = BusyClock::start();
        let cx = SchedulerContext::CurrentThread(CurrentThreadContext {
            handle: handle.clone(),
            core: RefCell::new(Some(core)),
            defer: Defer::default(),
        });
        let SchedulerContext::CurrentThread(inner) = &cx else {
            unreachable!("just built as CurrentThread")
        };
        // Takes the core back from the context when `run` returns, and also when a panic (the
        // root future's, a hook's, a refused `block_in_place`) unwinds through it: the guard
        // then hands the core on, and the runtime stays usable, as Tokio's.
        let taken_back = TakeBack {
            guard: &mut self,
            cx: inner,
        };
        // Operations started here reach the core's ring through the slot `uring` defines.
        let out = context::set_scheduler(&cx, || {
            uring::set_host(inner, || inner.run(future.as_mut()))
        });
        drop(taken_back);
        if let Some(core) = &self.core {
            handle.metrics.end_busy(&core.busy);
        }
        out
    }
}

/// Moves the core from a `block_on`'s context back into its `CoreGuard` when dropped.
struct TakeBack<'g, 'a> {
    guard: &'g mut CoreGuard<'a>,
    cx: &'g CurrentThreadContext,
}

impl Drop for TakeBack<'_, '_> {
    fn drop(&mut self) {
        // Unwinding has released every borrow of the cell by now.
        if let Ok(mut core) = self.cx.core.try_borrow_mut() {
            self.guard.core = core.take();
        }
    }
}

/// A part of the core (its driver, its ring) taken out while it works, put back when this
/// drops: also when a panic (a hook's, a waker's) unwinds through that work, so the core stays
/// whole for the next `block_on`.
struct TakenPart<'c, T> {
    cx: &'c CurrentThreadContext,
    part: Option<T>,
    slot: fn(&mut CurrentThreadCore) -> &mut Option<T>,
}

impl<T> std::ops::Deref for TakenPart<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.part.as_ref().expect("held until dropped")
    }
}

impl<T> std::ops::DerefMut for TakenPart<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.part.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for TakenPart<'_, T> {
    fn drop(&mut self) {
        let Some(part) = self.part.take() else { return };
        if let Ok(mut core) = self.cx.core.try_borrow_mut() {
            if let Some(core) = core.as_mut() {
                *(self.slot)(core) = Some(part);
            }
        }
    }
}

impl uring::RingHost for CurrentThreadContext {
    /// Runs `f` with the core's ring, if the core is here and the ring in it.
    /// The flag: no task waits in the core's queue or the injection queue.
    fn with_ring(&self, f: &mut dyn FnMut(&mut uring::LocalRing, bool)) {
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return;
        };
        let Some(core) = core.as_mut() else {
            return;
        };
        let idle = core.tasks.is_empty() && self.handle.inject.is_empty();
        if let Some(ring) = core.ring.as_mut() {
            f(ring, idle);
        }
    }
}

impl CurrentThreadContext {
    fn run<F: Future>(&self, mut future: std::pin::Pin<&mut F>) -> F::Output {
        let handle = &self.handle;
        let root_waker = Waker::from(handle.root.clone());
        let mut root_cx = std::task::Context::from_waker(&root_waker);
        // The root future is polled first.
        handle.root.woken.store(true, Ordering::Relaxed);
        loop {
            // Acquire pairs with the Release in `RootWaker::wake_by_ref`.
            if handle.root.woken.swap(false, Ordering::Acquire) {
                if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut root_cx)) {
                    // Entries still queued (a detached close rides along with the next enter)
                    // would wait for the next `block_on`, which may never come: submit them.
                    self.submit_ring();
                    return out;
                }
            }
            let mut ran_out = false;
            self.ring_turn(false);
            // A batch of tasks between two polls of the root, even when the root is woken
            // already: a root that is always ready (it wakes itself whenever its budget runs
            // out) would otherwise starve every spawned task.
            for _ in 0..handle.config.event_interval {
                let task = self.with_core(|core| {
                    core.tick = core.tick.wrapping_add(1);
                    if core.tick % handle.config.global_queue_interval == 0 {
                        handle.inject.pop().or_else(|| core.tasks.pop_front())
                    } else {
                        core.tasks.pop_front().or_else(|| handle.inject.pop())
                    }
                });
                match task {
                    Some(task) => coop::budget(|| task.run()),
                    None => {
                        ran_out = true;
                        break;
                    }
                }
            }
            // Out of tasks: sleep. Otherwise let the drivers (timers, I/O) in between batches.
            let idle =
                ran_out && !handle.root.woken.load(Ordering::Acquire) && self.defer.is_empty();
            self.park(idle);
        }
    }

    /// Works the ring with the core in the context, so completions wake tasks into its queue.
    /// `before_park`: submit, reap and arm; else reap only. Returns the completions reaped.
    fn ring_turn(&self, before_park: bool) -> usize {
        let needed = self.with_core(|core| {
            core.ring
                .as_ref()
                .is_some_and(|ring| before_park || ring.wants_tick())
        });
        if !needed {
            return 0;
        }
        let mut ring = self.take_part(|core| &mut core.ring);
        if before_park {
            ring.before_park()
        } else {
            ring.tick()
        }
    }

    /// Submits whatever the ring holds, before the core leaves this thread.
    fn submit_ring(&self) {
        let queued = self.with_core(|core| {
            core.ring
                .as_ref()
                .is_some_and(crate::rt::uring::LocalRing::wants_submit)
        });
        if !queued {
            return;
        }
        let mut ring = self.take_part(|core| &mut core.ring);
        // Completions reaped here wake tasks into the core's queue, run by the next `block_on`.
        while ring.submit_all() > 0 && ring.wants_submit() {}
    }

    /// Takes the part `slot` picks out of the core, which must hold it, until the guard drops.
    fn take_part<T>(&self, slot: fn(&mut CurrentThreadCore) -> &mut Option<T>) -> TakenPart<'_, T> {
        let part = self.with_core(|core| slot(core).take().expect("the core holds its parts"));
        TakenPart {
            cx: self,
            part: Some(part),
            slot,
        }
    }

    fn with_core<R>(&self, f: impl FnOnce(&mut CurrentThreadCore) -> R) -> R {
        let mut core = self.core.borrow_mut();
        f(core
            .as_mut()
            .expect("the core is present while the scheduler runs"))
    }

    /// Sleeps in the driver (`block`), or just collects ready events and timers.
    fn park(&self, block: bool) {
        // Submit what the tasks pushed; what completed inline is work, not a reason to sleep.
        let reaped = self.ring_turn(true);
        let mut driver = self.take_part(|core| &mut core.driver);
        let has_work = reaped > 0
            || self.with_core(|core| !core.tasks.is_empty())
            || !self.handle.inject.is_empty()
            || !self.defer.is_empty();
        // The core stays in the context while we sleep: tasks woken by I/O events or timers are
        // pushed straight into its queue.
        // The run queue is unbounded (nothing overflows): the caps are the builder's only.
        let config = &self.handle.config;
        if block && !has_work {
            let slept = self.park_with_hooks(&mut driver);
            if !slept {
                // The hook made work (woke the root future, spawned a task): do not sleep, but
                // still turn the driver, or a runtime driven by short `block_on` calls whose
                // hook always wakes its future would never see its timers (Tokio's #8212).
                driver.park_timeout(
                    &self.handle.driver,
                    std::time::Duration::ZERO,
                    TurnLimits::both(config.max_io_events_per_busy_tick),
                );
            }
            if let Some(after_unpark) = &config.after_unpark {
                after_unpark();
            }
        } else {
            driver.park_timeout(
                &self.handle.driver,
                std::time::Duration::ZERO,
                TurnLimits::both(config.max_io_events_per_busy_tick),
            );
        }
        drop(driver);
        self.defer.wake();
    }

    /// Runs the `on_thread_park` hook, then sleeps in the driver unless the hook made work.
    /// Returns whether it slept.
    fn park_with_hooks(&self, driver: &mut Driver) -> bool {
        let config = &self.handle.config;
        if let Some(before_park) = &config.before_park {
            // The core is in the context: what the hook spawns lands in its queue.
            before_park();
            let has_work = self.with_core(|core| !core.tasks.is_empty())
                || !self.handle.inject.is_empty()
                || !self.defer.is_empty()
                || self.handle.root.woken.load(Ordering::Acquire);
            if has_work {
                return false;
            }
        }
        let metrics = &self.handle.metrics;
        self.with_core(|core| metrics.about_to_park(&core.busy));
        driver.park(
            &self.handle.driver,
            TurnLimits::both(config.max_io_events_per_tick),
        );
        self.with_core(|core| metrics.unparked(&mut core.busy));
        true
    }
}

impl CurrentThreadHandle {
    pub(crate) fn spawn<F>(
        me: &Arc<CurrentThreadHandle>,
        future: F,
        id: Id,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (join, notified) = me.owned.bind(future, me.clone(), id);
        if let Some(notified) = notified {
            me.schedule(notified);
        }
        join
    }

    pub(crate) fn num_alive_tasks(&self) -> usize {
        self.owned.len()
    }

    pub(crate) fn global_queue_depth(&self) -> usize {
        self.inject.len()
    }
}

impl Schedule for Arc<CurrentThreadHandle> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        let task = context::with_scheduler(|cx| {
            if let Some(SchedulerContext::CurrentThread(cx)) = cx {
                if Arc::ptr_eq(self, &cx.handle) {
                    if let Some(core) = cx.core.borrow_mut().as_mut() {
                        core.tasks.push_back(task);
                        return None;
                    }
                }
            }
            Some(task)
        });
        if let Some(task) = task {
            self.inject.push(task);
            self.root.unpark.unpark();
        }
    }
}
