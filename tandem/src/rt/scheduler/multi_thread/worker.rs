//! A worker: the loop that runs tasks on one thread.
//!
//! A worker's mutable state is its `WorkerCore` (run queue, LIFO slot, parker, tick countdowns).
//! The core is not tied to a thread: `block_in_place` hands it to a new thread so the queue keeps
//! moving while this thread blocks. While a task is polled the core sits in the thread's
//! `WorkerContext`, so code running inside the task (spawn, wake) can reach the local queue.
//!
//! # The loop
//! 1. `tick`; reap the ring's completions, no more than the queue has room for and into its
//!    back, not the LIFO slot (and push cancels queued from other threads). Every
//!    `event_interval` ticks instead: submit the ring's queued entries, poll the driver without
//!    sleeping (I/O events and due timers, unless another worker holds it), wake the tasks that
//!    yielded, and check for shutdown.
//! 2. Take a task: first what the last fairness tick took from the injection queue; every
//!    `global_queue_interval` ticks a new such batch; else the LIFO slot, the local queue, then
//!    a batch from the injection queue.
//! 3. None: search (steal half of a random victim's queue), limited to half the workers.
//! 4. Nothing found: park. The last searcher to park re-checks all queues first (see
//!    `idle.rs` for why no wake-up is lost).
//!
//! # Fairness
//! - Tasks woken while running go to the back of the queue, not the LIFO slot.
//! - A task that calls `yield_now` waits in `yielded` (the notification its harness makes as the
//!   poll ends: no waker involved) until the worker has nothing else to run or visits the
//!   driver, like the wakers in `defer`; then it goes to the back of the queue.
//! - At most `MAX_LIFO_POLLS_PER_TICK` tasks run through the LIFO slot per tick, and only while
//!   the cooperative budget lasts; then the LIFO slot is disabled until the next tick.
//! - Every `global_queue_interval` ticks, a fairness tick takes a batch of up to
//!   `INTERVAL_BATCH` tasks from the injection queue into `WorkerCore::injected`, and runs them
//!   before anything else, however full the local queue is. A task in the injection queue thus
//!   waits at most for the tasks ahead of it there, served at `INTERVAL_BATCH` per
//!   `global_queue_interval` local polls at the least, and a task never goes back to it
//!   without having run in between: no task waits without bound.
//! - The driver's I/O events may overflow the queue (up to `max_io_events_per_tick` a turn):
//!   the older half of a full queue moves to the back of the injection queue, under the bound
//!   above. Under load the queue then holds the connections that became ready last, whose
//!   memory is still in cache, while the others wait their turn in the injection queue: at
//!   -c10000 that serves ~1.1x the requests per second of a policy that took no more events
//!   than the queue had room for (every connection in turn, each one's memory gone cold),
//!   with a p99 still 0.5-0.7x Tokio's (BENCHMARKS.md, "c10000: a hot queue and a served
//!   backlog").
//! - Ring completions wake no more tasks than the queue has room for (`WorkerCore::io_room`):
//!   the rest wait in the CQ, in order (measured faster for io_uring networking than
//!   overflowing). They wake into the back of the queue: the ring is reaped on every tick that
//!   finds some, and a LIFO slot filled by each reap would serve the newest request first
//!   every tick (`tests/uring_completion_order.rs`).
//!
//! # Shutdown
//! 1. `MultiThreadHandle::shutdown` closes the injection queue and unparks everyone.
//! 2. Each worker notices (maintenance or after park), leaves the loop, cancels the tasks of the
//!    owned list (all workers help, starting at different shards), and hands in its core.
//! 3. The last core handed in drains every queue.

use super::handle::MultiThreadHandle;
use super::queue;
use crate::loom::sync::Arc;
use crate::rt::driver::{TurnLimits, WorkerParker};
use crate::rt::scheduler;
use crate::rt::scheduler::metrics::BusyClock;
use crate::rt::scheduler::{Defer, SchedulerContext, SchedulerHandle};
use crate::rt::task::Notified;
use crate::rt::uring::{self, LocalRing};
use crate::rt::{context, coop};
use crate::util::atomic_cell::AtomicCell;
use crate::util::rand::FastRand;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// LIFO-slot polls per tick before the slot is bypassed: bounds ping-pong starvation.
const MAX_LIFO_POLLS_PER_TICK: usize = 3;

/// Tasks taken from the injection queue on a fairness tick (see `next_task`): with the default
/// `global_queue_interval` of 61, about a third of a saturated worker's polls. Measured at
/// -c10000 on epoll: 16 left the injected connections' p99 above Tokio's, 64 served so many
/// connections in turn that their memory went cold and throughput fell back to fair service's.
const INTERVAL_BATCH: usize = 32;

/// A worker's identity: its handle, index and (when no thread runs it) its core.
pub(crate) struct Worker {
    pub(super) handle: Arc<MultiThreadHandle>,
    pub(crate) index: usize,
    /// The core while no thread owns it (before launch, or during a `block_in_place` hand-off).
    pub(super) core: AtomicCell<WorkerCore>,
}

/// A worker's mutable state.
pub(crate) struct WorkerCore {
    /// Ticks until the next driver check (`event_interval`)...
    event_countdown: Countdown,
    /// ...and until the next fairness tick (`global_queue_interval`).
    inject_countdown: Countdown,
    pub(super) lifo_slot: Option<Notified<Arc<MultiThreadHandle>>>,
    pub(super) lifo_enabled: bool,
    /// During a ring turn: a task woken into the queue does not unpark a sleeping worker by
    /// itself; the turn does once, if it left more than one task (as a turn of the driver).
    pub(super) defer_notify: bool,
    pub(super) run_queue: queue::Local<Arc<MultiThreadHandle>>,
    /// The batch the last fairness tick took from the injection queue, run before the LIFO
    /// slot and the queue. Not stealable: at most `INTERVAL_BATCH` tasks, which were in the
    /// injection queue, open to every worker, until a moment ago.
    injected: VecDeque<Notified<Arc<MultiThreadHandle>>>,
    /// Whether `injected` stops the fairness countdown while it runs (see `next_task`).
    injected_holds_countdown: bool,
    is_searching: bool,
    is_shutdown: bool,
    /// Taken while the worker is parked.
    pub(super) park: Option<WorkerParker>,
    /// This worker's io_uring ring (`None` without io_uring). Taken while it is reaped.
    pub(super) ring: Option<LocalRing>,
    rand: FastRand,
    /// Since when the worker has been busy (`RuntimeMetrics::worker_total_busy_duration`).
    busy: BusyClock,
}

/// The per-thread context of a running worker.
pub(crate) struct WorkerContext {
    pub(crate) worker: Arc<Worker>,
    pub(crate) core: RefCell<Option<Box<WorkerCore>>>,
    /// Wakers deferred by `yield_now` (of tasks other than the one running here, e.g. a
    /// `LocalSet`'s), woken when the worker runs out of other work.
    pub(crate) defer: Defer,
    /// Tasks of this runtime that yielded, in the same role as `defer` but without a waker:
    /// `yield_now` notes a request that the task's harness turns into its notification as the
    /// poll ends (see `request_yield`), which saves the waker's clone, its wake and its drop.
    yielded: RefCell<Vec<Notified<Arc<MultiThreadHandle>>>>,
    /// The header of the task being polled on this thread, for `request_yield`.
    running: Cell<*const ()>,
    /// Set by `request_yield` during the poll of `running`; consumed when its notification
    /// is scheduled.
    yield_requested: Cell<bool>,
}

/// How a worker visits the driver.
#[derive(Clone, Copy)]
enum Park {
    /// Collect ready I/O events and due timers, without sleeping (maintenance, deferred yields).
    PollOnly,
    /// Sleep until unparked (nothing to run).
    Sleep,
}

/// What a worker does with its ring.
#[derive(Clone, Copy)]
enum RingTurn {
    /// Reap completions (no syscall).
    Reap,
    /// Submit pending entries in one enter, then reap.
    Submit,
    /// Submit, reap, and arm the ring's fd in epoll if operations remain in flight.
    BeforePark,
}

/// Says yes once every `n` calls: the worker's periodic checks without a division per tick.
struct Countdown {
    left: u32,
    every: u32,
}

impl Countdown {
    fn every(n: u32) -> Countdown {
        let every = n.max(1);
        Countdown { left: every, every }
    }

    fn tick(&mut self) -> bool {
        self.left -= 1;
        if self.left == 0 {
            self.left = self.every;
            return true;
        }
        false
    }

    /// The `n` it says yes once every.
    fn interval(&self) -> usize {
        self.every as usize
    }
}

/// `Err` means this thread no longer owns the core (handed off by `block_in_place`).
type RunResult = Result<Box<WorkerCore>, ()>;

impl WorkerCore {
    /// How many tasks ring completions may wake into this queue now: its free slots, less one
    /// if the LIFO slot is taken (a task woken then pushes the slot's task into the queue).
    /// Completions beyond this wait in the CQ for a later turn. (A full queue with the LIFO
    /// slot taken has no room: saturate, never wrap.)
    fn io_room(&self) -> usize {
        let taken = usize::from(self.lifo_slot.is_some());
        self.run_queue.remaining_slots().saturating_sub(taken)
    }

    pub(super) fn new(
        run_queue: queue::Local<Arc<MultiThreadHandle>>,
        park: WorkerParker,
        ring: Option<LocalRing>,
        seed: u64,
        config: &crate::rt::scheduler::Config,
    ) -> WorkerCore {
        WorkerCore {
            event_countdown: Countdown::every(config.event_interval),
            inject_countdown: Countdown::every(config.global_queue_interval),
            lifo_slot: None,
            lifo_enabled: true,
            defer_notify: false,
            run_queue,
            injected: VecDeque::with_capacity(INTERVAL_BATCH),
            injected_holds_countdown: false,
            is_searching: false,
            is_shutdown: false,
            park: Some(park),
            ring,
            rand: FastRand::new(seed),
            busy: BusyClock::start(),
        }
    }

    fn next_task(&mut self, worker: &Worker) -> Option<Notified<Arc<MultiThreadHandle>>> {
        if let Some(task) = self.injected.pop_front() {
            if !self.injected_holds_countdown {
                // (A yes here, with an interval shorter than the batch, is dropped: the next
                // batch then comes an interval later.)
                self.inject_countdown.tick();
            }
            return Some(task);
        }
        if self.inject_countdown.tick() {
            // Fairness: a batch from the injection queue goes first, kept beside the local
            // queue rather than in it, so that a queue kept full (by I/O, by a task always in
            // the LIFO slot) admits the whole batch, not one task per interval, and the tasks
            // the queue sends back to the injection queue when it overflows are ones that
            // have not run since they last came out of it.
            worker
                .handle
                .take_batch_from_inject(&mut self.injected, INTERVAL_BATCH);
            // A worker with more queued than it runs between two batches is overloaded (at
            // -c10000, by I/O): the batch then runs beside `global_queue_interval` local polls,
            // a third of the worker's polls, which keeps the queue's tasks hot (half served
            // every connection in turn, each one's memory cold: BENCHMARKS.md). Otherwise the
            // countdown runs on through the batch, half the polls, and remote spawns beside
            // busy local work come in at the rate they did when the batch went into the queue
            // (`sched/spawn_many_remote_busy2`).
            self.injected_holds_countdown =
                self.run_queue.len() >= self.inject_countdown.interval();
            return self.injected.pop_front().or_else(|| self.next_local_task());
        }
        if let Some(task) = self.next_local_task() {
            return Some(task);
        }
        // Local work is gone: take a fair share of the injection queue.
        worker
            .handle
            .take_from_inject(&mut self.run_queue, queue::CAPACITY / 2)
    }

    fn next_local_task(&mut self) -> Option<Notified<Arc<MultiThreadHandle>>> {
        self.lifo_slot.take().or_else(|| self.run_queue.pop())
    }

    fn steal_work(&mut self, worker: &Worker) -> Option<Notified<Arc<MultiThreadHandle>>> {
        if !self.transition_to_searching(worker) {
            return None;
        }
        let remotes = &worker.handle.shared.remotes;
        let num = remotes.len();
        let start = self.rand.below(num as u32) as usize;
        for i in 0..num {
            let victim = (start + i) % num;
            if victim == worker.index {
                continue;
            }
            if let Some(task) = remotes[victim].steal.steal_into(&mut self.run_queue) {
                return Some(task);
            }
        }
        worker.handle.next_remote_task()
    }

    fn transition_to_searching(&mut self, worker: &Worker) -> bool {
        if !self.is_searching {
            self.is_searching = worker.handle.shared.idle.transition_worker_to_searching();
        }
        self.is_searching
    }

    fn transition_from_searching(&mut self, worker: &Worker) {
        if !self.is_searching {
            return;
        }
        self.is_searching = false;
        if worker.handle.shared.idle.transition_worker_from_searching() {
            // We were the last searcher and found work: there may be more, keep someone looking.
            worker.handle.notify_parked();
        }
    }

    fn has_tasks(&self) -> bool {
        self.lifo_slot.is_some() || !self.run_queue.is_empty() || !self.injected.is_empty()
    }

    /// Prepares to sleep. Returns false if there is local work after all.
    fn transition_to_parked(&mut self, worker: &Worker) -> bool {
        if self.has_tasks() || self.is_shutdown {
            return false;
        }
        let shared = &worker.handle.shared;
        let is_last_searcher = {
            let mut synced = shared.synced.lock();
            shared.idle.transition_worker_to_parked(
                &mut synced.idle,
                worker.index,
                self.is_searching,
            )
        };
        self.is_searching = false;
        if is_last_searcher {
            worker.handle.notify_if_work_pending();
        }
        true
    }

    /// After waking: returns true if the worker should run again (it was notified, or has work).
    fn transition_from_parked(&mut self, worker: &Worker) -> bool {
        let shared = &worker.handle.shared;
        let mut synced = shared.synced.lock();
        if self.has_tasks() {
            // Work arrived locally while we slept: leave the sleepers list ourselves.
            self.is_searching = !shared
                .idle
                .unpark_worker_by_id(&mut synced.idle, worker.index);
            return true;
        }
        if shared.idle.is_parked(&synced.idle, worker.index) {
            // Spurious wake-up, or a wake for shutdown (checked by the caller).
            return false;
        }
        // A notifier removed us from the list and counted us as searching.
        self.is_searching = true;
        true
    }

    fn maintenance(&mut self, worker: &Worker) {
        if !self.is_shutdown {
            self.is_shutdown = worker.handle.shared.inject.is_closed();
        }
    }

    /// Drops every queued notification (shutdown already cancelled the tasks).
    pub(super) fn drain(&mut self) {
        drop(self.lifo_slot.take());
        self.injected.clear();
        while let Some(task) = self.run_queue.pop() {
            drop(task);
        }
    }

    /// Shutdown: cancel the ring's operations and wait for their completions (bounded).
    pub(super) fn shutdown_ring(&mut self, deadline: std::time::Instant) {
        if let Some(ring) = self.ring.take() {
            ring.shutdown(deadline);
        }
    }
}

/// The body of a worker thread (a mandatory blocking-pool task).
pub(crate) fn run(worker: Arc<Worker>) {
    // The core may have been taken back already (a `block_in_place` that finished first).
    let Some(core) = worker.core.take() else {
        return;
    };
    let handle = SchedulerHandle::MultiThread(worker.handle.clone());
    let _enter = scheduler::context::enter_runtime(&handle, true);
    let cx = SchedulerContext::MultiThread(WorkerContext {
        worker,
        core: RefCell::new(None),
        defer: Defer::default(),
        yielded: RefCell::new(Vec::new()),
        running: Cell::new(std::ptr::null()),
        yield_requested: Cell::new(false),
    });
    scheduler::context::set_scheduler(&cx, || {
        let SchedulerContext::MultiThread(cx) = &cx else {
            unreachable!("just built as MultiThread")
        };
        // Operations started here reach the core's ring through the slot `uring` defines.
        uring::set_host(cx, || {
            // `Err` when the loop ends: shutdown handed the core in, or `block_in_place` took it.
            let _ = cx.run(core);
            // Tasks that yielded just before the core left this thread still need their wake-up.
            cx.wake_deferred();
        });
    });
}

impl uring::RingHost for WorkerContext {
    /// Runs `f` with the core's ring, if this thread holds the core and the ring is in it.
    /// The flag: no task waits in this core's queue, its LIFO slot or the injection queue.
    fn with_ring(&self, f: &mut dyn FnMut(&mut LocalRing, bool)) {
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return;
        };
        let Some(core) = core.as_mut() else {
            return;
        };
        // Tasks in the injection queue are work for this worker too (it takes them when its
        // own queue runs dry): with any there, an operation is not alone.
        let idle = !core.has_tasks() && self.worker.handle.shared.inject.is_empty();
        if let Some(ring) = core.ring.as_mut() {
            f(ring, idle);
        }
    }
}

impl WorkerContext {
    /// True while this thread holds the worker's core (so deferred tasks will be woken here).
    pub(crate) fn has_core(&self) -> bool {
        self.core.borrow().is_some()
    }

    fn run(&self, mut core: Box<WorkerCore>) -> RunResult {
        while !core.is_shutdown {
            if core.event_countdown.tick() {
                core = self.ring_turn(core, RingTurn::Submit).0;
                core = self.park_on_driver(core, Park::PollOnly);
                core.maintenance(&self.worker);
            } else if core.ring.as_ref().is_some_and(LocalRing::wants_tick) {
                // Completions are reaped on every tick: no syscall, and no other thread woken.
                // (Checked here, inline: this runs once per task, and usually finds nothing.)
                core = self.ring_turn(core, RingTurn::Reap).0;
            }
            if let Some(task) = core.next_task(&self.worker) {
                core = self.run_task(task, core)?;
                continue;
            }
            // Out of local work: submit this tick's operations in one enter; whatever completed
            // inline is work for us before we look elsewhere.
            let (next, reaped) = self.ring_turn(core, RingTurn::Submit);
            core = next;
            if reaped > 0 {
                continue;
            }
            if let Some(task) = core.steal_work(&self.worker) {
                core = self.run_task(task, core)?;
            } else if self.has_deferred() {
                // Only yielded tasks are left: wake them rather than sleep.
                core = self.park_on_driver(core, Park::PollOnly);
            } else {
                let (next, reaped) = self.ring_turn(core, RingTurn::BeforePark);
                core = next;
                if reaped == 0 {
                    core = self.park(core);
                }
            }
        }
        // Shutdown: help cancel every task, then hand in the core.
        let handle = &self.worker.handle;
        handle.shared.worker_metrics[self.worker.index].end_busy(&core.busy);
        handle
            .shared
            .owned
            .close_and_shutdown_all(self.worker.index);
        handle.shutdown_core(core);
        Err(())
    }

    fn run_task(
        &self,
        task: Notified<Arc<MultiThreadHandle>>,
        mut core: Box<WorkerCore>,
    ) -> RunResult {
        core.transition_from_searching(&self.worker);
        core.lifo_enabled = true;
        *self.core.borrow_mut() = Some(core);
        coop::budget(|| {
            self.run_one(task);
            let mut lifo_polls = 0;
            loop {
                // `None`: a `block_in_place` inside the task handed our core to another thread.
                let Some(mut core) = self.core.borrow_mut().take() else {
                    return Err(());
                };
                let Some(task) = core.lifo_slot.take() else {
                    return Ok(core);
                };
                if !coop::has_budget_remaining() {
                    // The tick's budget is spent: let the queue (and stealers) have it.
                    core.run_queue
                        .push_back_or_overflow(task, &self.worker.handle.shared.inject);
                    return Ok(core);
                }
                lifo_polls += 1;
                if lifo_polls >= MAX_LIFO_POLLS_PER_TICK {
                    core.lifo_enabled = false;
                }
                *self.core.borrow_mut() = Some(core);
                self.run_one(task);
            }
        })
    }

    fn run_one(&self, task: Notified<Arc<MultiThreadHandle>>) {
        self.running.set(task.header_ptr().as_ptr() as *const ());
        self.yield_requested.set(false);
        task.run();
        // Outside a poll (a park hook, a waker run by the driver) no yield request may be
        // noted: nothing would turn it into a notification.
        self.running.set(std::ptr::null());
    }

    /// `yield_now` in the task running here, with its waker: if that is this task's own waker,
    /// the request is noted for the harness, which notifies the task as its poll ends
    /// (`take_yield_request`) and hands the notification to `push_yielded`: no wake-up, no
    /// waker clone. False for any other waker (a combinator's, a nested executor's): those go
    /// through `defer`.
    pub(crate) fn request_yield(&self, waker: &std::task::Waker) -> bool {
        let running = self.running.get();
        if running.is_null() || !crate::rt::task::is_waker_of(waker, running) {
            return false;
        }
        self.yield_requested.set(true);
        true
    }

    /// The harness of the task at `header`, its poll just returned `Pending`: takes the task's
    /// yield request, if it made one.
    pub(super) fn take_yield_request(
        &self,
        header: std::ptr::NonNull<crate::rt::task::Header>,
    ) -> bool {
        self.yield_requested.replace(false)
            && std::ptr::eq(header.as_ptr() as *const (), self.running.get())
    }

    /// A task that yielded waits here until the worker runs dry or visits the driver.
    pub(super) fn push_yielded(&self, task: Notified<Arc<MultiThreadHandle>>) {
        self.yielded.borrow_mut().push(task);
    }

    fn has_deferred(&self) -> bool {
        !self.defer.is_empty() || !self.yielded.borrow().is_empty()
    }

    /// Wakes the deferred wakers and queues the tasks that yielded: into this worker's queue if
    /// the core is here, else into the injection queue. (The wakers run first and with no
    /// borrow held: they may defer again. Queueing runs no foreign code, so the list stays
    /// borrowed, and keeps its capacity, while it drains.)
    pub(crate) fn wake_deferred(&self) {
        self.defer.wake();
        let mut yielded = self.yielded.borrow_mut();
        if yielded.is_empty() {
            return;
        }
        let handle = &self.worker.handle;
        match self.core.borrow_mut().as_mut() {
            Some(core) => {
                for task in yielded.drain(..) {
                    core.run_queue
                        .push_back_or_overflow(task, &handle.shared.inject);
                }
            }
            None => {
                handle.shared.inject.push_batch(yielded.drain(..));
                handle.notify_parked();
            }
        }
    }

    /// Works the ring with the core installed in the context, so completions wake their tasks
    /// into this worker's queue. Returns the number of completions reaped.
    fn ring_turn(&self, mut core: Box<WorkerCore>, turn: RingTurn) -> (Box<WorkerCore>, usize) {
        // The common case, no io_uring work, costs two loads and moves nothing.
        let needed = core.ring.as_ref().is_some_and(|ring| match turn {
            RingTurn::Reap => ring.wants_tick(),
            RingTurn::Submit => ring.wants_submit(),
            RingTurn::BeforePark => true,
        });
        if !needed {
            return (core, 0);
        }
        let mut ring = core.ring.take().expect("checked above");
        // Each completion may wake a task into our queue: reap no more than it has room for,
        // and into the back of the queue, not the LIFO slot. (The ring is reaped on every tick
        // that finds completions: with networking on io_uring, a LIFO slot filled by each reap
        // would run the newest request's task every tick, and the queue behind it would starve.
        // `run_task` enables the slot again for wakes from the next task.)
        ring.set_reap_limit(core.io_room());
        core.lifo_enabled = false;
        // Each completion's task goes to the back of the queue, which would unpark a sleeping
        // worker every time: one reply of a ping-pong then woke the other worker, which stole
        // it, and every round trip crossed threads (80 us against 8 on epoll, two workers).
        // Share only what one worker cannot run next, as after a turn of the driver.
        core.defer_notify = true;
        *self.core.borrow_mut() = Some(core);
        let reaped = match turn {
            RingTurn::Reap => ring.tick(),
            RingTurn::Submit => ring.submit_and_reap(),
            RingTurn::BeforePark => ring.before_park(),
        };
        let mut core = self
            .core
            .borrow_mut()
            .take()
            .expect("the core is returned after a ring turn");
        core.ring = Some(ring);
        core.defer_notify = false;
        if reaped > 0 && !core.is_searching && core.run_queue.len() > 1 {
            self.worker.handle.notify_parked();
        }
        (core, reaped)
    }

    fn park(&self, mut core: Box<WorkerCore>) -> Box<WorkerCore> {
        let config = &self.worker.handle.shared.config;
        // Without the core in the context: what the hook spawns goes to the injection queue and
        // wakes a sleeper (or us, through the last searcher's check before parking).
        if let Some(before_park) = &config.before_park {
            before_park();
        }
        let metrics = &self.worker.handle.shared.worker_metrics[self.worker.index];
        if core.transition_to_parked(&self.worker) {
            while !core.is_shutdown {
                metrics.about_to_park(&core.busy);
                core = self.park_on_driver(core, Park::Sleep);
                metrics.unparked(&mut core.busy);
                core.maintenance(&self.worker);
                // A thread that dropped an operation of this worker's ring queued its cancel
                // and unparked us to push it (`IORING_OP_ASYNC_CANCEL` only reaches requests
                // of its own ring, which only this core submits to). Push it before sleeping
                // again, or the operation keeps its fd and buffer, and a FIFO read swallows
                // bytes nobody waits for. Completions reaped here wake tasks into our queue,
                // which `transition_from_parked` then finds.
                if core.ring.as_ref().is_some_and(LocalRing::wants_submit) {
                    core = self.ring_turn(core, RingTurn::BeforePark).0;
                }
                if core.transition_from_parked(&self.worker) {
                    break;
                }
            }
        }
        if let Some(after_unpark) = &config.after_unpark {
            after_unpark();
        }
        core
    }

    fn park_on_driver(&self, mut core: Box<WorkerCore>, how: Park) -> Box<WorkerCore> {
        let mut park = core.park.take().expect("a worker's parker is present");
        // Tasks the driver wakes go into our queue: events up to the builder's cap (they may
        // overflow it, see "Fairness"), completions no more than it has room for.
        let config = &self.worker.handle.shared.config;
        let cap = match how {
            Park::PollOnly => config.max_io_events_per_busy_tick,
            Park::Sleep => config.max_io_events_per_tick,
        };
        park.set_limits(TurnLimits {
            events: cap,
            completions: core.io_room().min(cap),
        });
        // The core stays reachable while we sleep, for schedulers that run on this thread.
        *self.core.borrow_mut() = Some(core);
        match how {
            Park::PollOnly => park.poll_driver(),
            Park::Sleep => park.park(),
        }
        self.wake_deferred();
        let mut core = self
            .core
            .borrow_mut()
            .take()
            .expect("the core is returned after parking");
        core.park = Some(park);
        // Work that arrived while parked (tasks woken on this thread): share it.
        if !core.is_searching && core.run_queue.len() + usize::from(core.lifo_slot.is_some()) > 1 {
            self.worker.handle.notify_parked();
        }
        core
    }
}

/// Hands the current worker's core to a new thread so that `f` may block this one.
#[track_caller]
pub(crate) fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    /// On the way out, take the core back if the replacement thread has not picked it up.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            scheduler::context::with_scheduler(|cx| {
                if let Some(SchedulerContext::MultiThread(cx)) = cx {
                    if let Some(core) = cx.worker.core.take() {
                        *cx.core.borrow_mut() = Some(core);
                    }
                }
            });
        }
    }

    /// Whether this thread may block, as the context below says. The panic is raised outside
    /// that closure so `#[track_caller]` names the caller of `block_in_place`.
    #[derive(PartialEq)]
    enum Verdict {
        Block,
        HandedOff,
        Refused,
    }
    let verdict = scheduler::context::with_scheduler(|cx| match cx {
        Some(SchedulerContext::MultiThread(cx)) => {
            // A `LocalSet` running on this worker forbids it: its tasks cannot move threads.
            if !context::allows_block_in_place() {
                return Verdict::Refused;
            }
            if !cx.has_core() {
                // Already handed off (nested `block_in_place`): blocking is fine.
                return Verdict::Block;
            }
            // Tasks that yielded wait for this thread to run out of work, which it will not
            // for as long as `f` blocks: wake them now, into the queue the new thread takes.
            cx.wake_deferred();
            let Some(mut core) = cx.core.borrow_mut().take() else {
                unreachable!("checked above; waking does not take the core")
            };
            // The LIFO task must not wait for us.
            if let Some(task) = core.lifo_slot.take() {
                core.run_queue
                    .push_back_or_overflow(task, &cx.worker.handle.shared.inject);
            }
            cx.worker.core.set(core);
            let worker = cx.worker.clone();
            let handle = SchedulerHandle::MultiThread(worker.handle.clone());
            let spawner = worker.handle.blocking_spawner.clone();
            drop(spawner.spawn_mandatory(&handle, move || run(worker)));
            Verdict::HandedOff
        }
        Some(SchedulerContext::CurrentThread(_)) => Verdict::Refused,
        None if context::is_entered() && !context::allows_block_in_place() => Verdict::Refused,
        None => Verdict::Block,
    });
    if verdict == Verdict::Refused {
        panic!("can call blocking only when running on the multi-threaded runtime");
    }
    let _reset = (verdict == Verdict::HandedOff).then_some(Reset);
    let _exit = context::exit_runtime();
    // A blocking section is not a task poll: the budget of the task (or of `block_on`'s future)
    // that called us must not constrain it. A future driven to completion in `f` by another
    // executor would otherwise see every budgeted resource return `Pending` once the budget is
    // spent, and, woken at once each time, spin forever (Tokio: `coop::stop` here too).
    coop::with_unconstrained(f)
}
