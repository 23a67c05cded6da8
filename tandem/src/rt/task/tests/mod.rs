//! Loom models of the task system (built only with `RUSTFLAGS="--cfg loom"`).
//!
//! - `loom_task`: the state machine of one task (poll, wake, join, abort, shutdown).
//! - `loom_list`: `OwnedTasks::bind` racing `OwnedTasks::close_and_shutdown_all`.
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p tandem
//! --release --lib loom`.
//!
//! The models use real tasks: `OwnedTasks::bind` with [`TestSched`], a scheduler that only queues
//! notifications, which the model then runs. The task's future is a [`Gate`]'s future: pending
//! until the gate opens, then ready with an [`Output`]. The gate counts the future's destructor
//! runs and the outputs made and dropped, and the scheduler and gate are loom `Arc`s held by the
//! task, so a leaked task makes loom report a leaked `Arc`.
//!
//! The task harness catches panics (a future's, a waker's, an output destructor's), which would
//! also swallow a panic loom raises on a detected data race; [`model`] therefore installs a panic
//! hook that counts every panic on this thread, and fails the model if any happened.

mod loom_list;
mod loom_task;

use super::list::OwnedTasks;
use super::{JoinError, JoinHandle, Notified, Schedule, Task};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub(super) use crate::loom::model::model;
pub(super) use crate::rt::task::id_in_shard;

/// A scheduler that owns an `OwnedTasks` list and queues notifications for the model to run.
#[derive(Clone)]
pub(super) struct TestSched(Arc<SchedInner>);

pub(super) struct SchedInner {
    owned: OwnedTasks<TestSched>,
    shards: usize,
    queue: Mutex<VecDeque<Notified<TestSched>>>,
    /// Polls still to report as yields (`take_yield_request`), as `yield_now` on a worker does.
    yields: AtomicUsize,
}

impl Schedule for TestSched {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.0.queue.lock().push_back(task);
    }

    fn take_yield_request(&self, _header: std::ptr::NonNull<super::Header>) -> bool {
        // Only the polling thread reads and writes it: a model of a thread-local flag.
        let left = self.0.yields.load(SeqCst);
        if left == 0 {
            return false;
        }
        self.0.yields.store(left - 1, SeqCst);
        true
    }
}

impl TestSched {
    /// `shards`: a power of two.
    pub(super) fn new(shards: usize) -> TestSched {
        TestSched(Arc::new(SchedInner {
            owned: OwnedTasks::new(shards),
            shards,
            queue: Mutex::new(VecDeque::new()),
            yields: AtomicUsize::new(0),
        }))
    }

    /// The next `n` polls that return `Pending` report a yield (`take_yield_request`).
    pub(super) fn yield_next_polls(&self, n: usize) {
        self.0.yields.store(n, SeqCst);
    }

    /// Spawns `gate`'s future into shard `shard` of the owned list, as `SchedulerHandle::spawn`
    /// does (without scheduling it).
    pub(super) fn bind(
        &self,
        gate: &Arc<Gate>,
        shard: usize,
    ) -> (JoinHandle<Output>, Option<Notified<TestSched>>) {
        let id = id_in_shard(shard, self.0.shards);
        self.0
            .owned
            .bind(GatedFuture(gate.clone()), self.clone(), id)
    }

    /// As `bind` into shard 0, but the list must be open.
    pub(super) fn spawn(&self, gate: &Arc<Gate>) -> (JoinHandle<Output>, Notified<TestSched>) {
        let (join, notified) = self.bind(gate, 0);
        (join, notified.expect("the list is open"))
    }

    /// Runs queued notifications until the queue is empty. Returns how many ran.
    pub(super) fn run_queued(&self) -> usize {
        let mut n = 0;
        loop {
            let task = self.0.queue.lock().pop_front();
            let Some(task) = task else { return n };
            task.run();
            n += 1;
        }
    }

    /// Closes the list and shuts every task down, walking the shards from `start` (each worker
    /// of a runtime starts at its own index).
    pub(super) fn close_and_shutdown_all(&self, start: usize) {
        self.0.owned.close_and_shutdown_all(start);
    }

    /// The end of a model: nothing may be left queued or listed.
    pub(super) fn assert_idle(&self) {
        assert!(
            self.0.queue.lock().is_empty(),
            "notifications left in the queue"
        );
        assert!(self.0.owned.is_empty(), "tasks left in the owned list");
    }
}

/// The shared state of one test future: its gate, waker slot and drop counters.
pub(super) struct Gate {
    open: AtomicBool,
    /// The first poll returns `Pending` without registering a waker: a `yield_now` whose only
    /// wake-up is the harness's (`TestSched::yield_next_polls`).
    yield_first: AtomicBool,
    waker: Mutex<Option<Waker>>,
    future_drops: AtomicUsize,
    outputs_made: AtomicUsize,
    outputs_dropped: AtomicUsize,
}

/// Pending until its gate opens. Holds the gate, so a leaked future leaks a loom `Arc`.
pub(super) struct GatedFuture(Arc<Gate>);

/// The future's output; counts its drops.
pub(super) struct Output(Arc<Gate>);

impl Gate {
    pub(super) fn new(open: bool) -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(open),
            yield_first: AtomicBool::new(false),
            waker: Mutex::new(None),
            future_drops: AtomicUsize::new(0),
            outputs_made: AtomicUsize::new(0),
            outputs_dropped: AtomicUsize::new(0),
        })
    }

    /// As `new`, but the first poll yields (see `yield_first`).
    pub(super) fn yielding(open: bool) -> Arc<Gate> {
        let gate = Gate::new(open);
        gate.yield_first.store(true, SeqCst);
        gate
    }

    /// Opens the gate and wakes the registered waker, if any, by value or by reference.
    pub(super) fn open(&self, by_val: bool) {
        let waker = {
            let mut slot = self.waker.lock();
            self.open.store(true, SeqCst);
            slot.take()
        };
        if let Some(waker) = waker {
            if by_val {
                waker.wake();
            } else {
                waker.wake_by_ref();
                drop(waker);
            }
        }
    }

    /// The end of a model: drops a waker the future registered but nobody woke (a cancelled
    /// task's), which would otherwise keep the task alive through a cycle, and checks that the
    /// future was dropped exactly once and every output made was dropped.
    pub(super) fn finish(&self) {
        let waker = self.waker.lock().take();
        drop(waker);
        assert_eq!(
            self.future_drops.load(SeqCst),
            1,
            "the future was not dropped exactly once"
        );
        let made = self.outputs_made.load(SeqCst);
        assert!(made <= 1, "the future completed twice");
        assert_eq!(
            self.outputs_dropped.load(SeqCst),
            made,
            "an output was leaked or double-dropped"
        );
    }

    pub(super) fn outputs_made(&self) -> usize {
        self.outputs_made.load(SeqCst)
    }
}

impl Future for GatedFuture {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let gate = &self.0;
        if gate.yield_first.swap(false, SeqCst) {
            return Poll::Pending;
        }
        // The lock orders this check against `open`, so no wake-up falls between them.
        let mut slot = gate.waker.lock();
        if gate.open.load(SeqCst) {
            gate.outputs_made.fetch_add(1, SeqCst);
            return Poll::Ready(Output(gate.clone()));
        }
        *slot = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for GatedFuture {
    fn drop(&mut self) {
        self.0.future_drops.fetch_add(1, SeqCst);
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.outputs_dropped.fetch_add(1, SeqCst);
    }
}

/// What a `JoinHandle` may yield: the output, or a cancellation if `may_cancel`. Never a panic.
pub(super) fn check_result(res: Result<Output, JoinError>, may_cancel: bool) -> bool {
    match res {
        Ok(output) => {
            drop(output);
            true
        }
        Err(err) => {
            assert!(err.is_cancelled(), "unexpected join error: {err:?}");
            assert!(
                may_cancel,
                "the task was cancelled but nothing cancelled it"
            );
            false
        }
    }
}

/// Runs `future` to completion on this loom thread, parking it while the future is pending.
/// A wake-up that never comes leaves every thread blocked, which loom reports as a deadlock.
pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(loom::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(loom::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        loom::thread::park();
    }
}

/// Polls a `JoinHandle` once with `waker`.
pub(super) fn poll_join(
    join: &mut JoinHandle<Output>,
    waker: &Waker,
) -> Poll<Result<Output, JoinError>> {
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

/// A waker that only records that it was woken; distinct from loom's `block_on` waker, so that
/// re-registering with `block_on` exercises the join-waker swap.
pub(super) struct FlagWaker(AtomicBool);

impl FlagWaker {
    pub(super) fn new_waker() -> Waker {
        Waker::from(std::sync::Arc::new(FlagWaker(AtomicBool::new(false))))
    }
}

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}
