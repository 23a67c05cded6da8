//! The schedulers: which thread runs which task, and when.
//!
//! Both flavours share the task system (`crate::task`), the injection queue and the owned-tasks
//! list; they differ in who polls: one thread inside `block_on` (`current_thread`), or N
//! work-stealing workers (`multi_thread`).
//!
//! | file | responsibility |
//! |---|---|
//! | `context.rs` | the thread-local slot: the runtime this thread is in, the scheduler context running here |
//! | `config.rs` | the loop's tick intervals, I/O event caps and park hooks, from the builder, the same for both flavours |
//! | `metrics.rs` | per-worker counters (parks, unparks, busy time) behind `RuntimeMetrics` |
//! | `inject.rs` | the injection queue: tasks scheduled from outside a worker (intrusive FIFO behind a mutex) |
//! | `defer.rs` | the wakers of tasks that yielded, woken once the thread has nothing else to run and at every driver check |
//! | `local.rs` | the local scheduler of `LocalSet` and `LocalRuntime`: `!Send` tasks polled on their owner thread, woken from any |
//! | `current_thread.rs` | the scheduler driven by the thread in `block_on` |
//! | `multi_thread/` | the work-stealing workers: local queues, idle registry, the worker loop |

mod config;
pub(crate) mod context;
pub(crate) mod current_thread;
mod defer;
pub(crate) mod inject;
pub(crate) mod local;
pub(crate) mod metrics;
pub(crate) mod multi_thread;

pub(crate) use config::Config;
pub(crate) use defer::Defer;

use crate::loom::sync::Arc;
use crate::rt::task::{Id, JoinHandle};
use current_thread::{CurrentThreadContext, CurrentThreadHandle};
use multi_thread::{MultiThreadHandle, WorkerContext};
use std::future::Future;

/// A handle to either scheduler: what `Handle::current()` finds in the thread-local context.
#[derive(Clone)]
pub(crate) enum SchedulerHandle {
    CurrentThread(Arc<CurrentThreadHandle>),
    MultiThread(Arc<MultiThreadHandle>),
}

// A runtime is robust to panics by design, as Tokio's: a panicking task is caught by its harness
// (its `JoinHandle` gets the panic), a panicking `block_on` future or hook unwinds through guards
// that give the core back and restore the thread's context, and the interior mutability a handle
// reaches (the queues' cells, the driver's `TryLock`, the task list's links, the thread-name and
// hook closures, which are only called) is guarded by locks and atomic protocols that a panic
// elsewhere cannot leave half-done. So a handle observed after a caught panic is in a valid state,
// which is what `UnwindSafe` promises; `Handle` and `RuntimeMetrics` get it from here.
impl std::panic::UnwindSafe for SchedulerHandle {}
impl std::panic::RefUnwindSafe for SchedulerHandle {}

/// The per-thread state of a thread that drives a scheduler.
pub(crate) enum SchedulerContext {
    CurrentThread(CurrentThreadContext),
    MultiThread(WorkerContext),
}

impl SchedulerHandle {
    pub(crate) fn spawn<F>(&self, future: F, id: Id) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            SchedulerHandle::CurrentThread(h) => CurrentThreadHandle::spawn(h, future, id),
            SchedulerHandle::MultiThread(h) => MultiThreadHandle::spawn(h, future, id),
        }
    }

    pub(crate) fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.blocking_spawner().spawn_blocking(self, f)
    }

    /// As `spawn_blocking`, but the closure runs even if the runtime shuts down first.
    pub(crate) fn spawn_blocking_must_run<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.blocking_spawner().spawn_must_run(self, f)
    }

    /// The name given with `Builder::name`, if any.
    pub(crate) fn name(&self) -> Option<&str> {
        self.config().name.as_deref()
    }

    pub(crate) fn config(&self) -> &Config {
        match self {
            SchedulerHandle::CurrentThread(h) => &h.config,
            SchedulerHandle::MultiThread(h) => &h.shared.config,
        }
    }

    /// The counters of worker `index`.
    ///
    /// # Panics
    /// If there is no such worker.
    #[track_caller]
    pub(crate) fn worker_metrics(&self, index: usize) -> &metrics::WorkerMetrics {
        match self {
            SchedulerHandle::CurrentThread(h) => {
                assert_eq!(index, 0, "a current-thread runtime has one worker, 0");
                &h.metrics
            }
            SchedulerHandle::MultiThread(h) => &h.shared.worker_metrics[index],
        }
    }

    pub(crate) fn driver(&self) -> &crate::rt::driver::DriverHandle {
        match self {
            SchedulerHandle::CurrentThread(h) => &h.driver,
            SchedulerHandle::MultiThread(h) => &h.driver.handle,
        }
    }

    /// The reactor of this runtime.
    ///
    /// # Panics
    /// If the runtime was built without `enable_io`, with Tokio's message.
    #[track_caller]
    pub(crate) fn io_handle(&self) -> &crate::rt::reactor::IoHandle {
        self.driver().io.as_ref().expect(
            "A Tokio 1.x context was found, but IO is disabled. Call `enable_io` on the runtime \
             builder to enable IO.",
        )
    }

    /// The time driver of this runtime, if `enable_time` was called.
    pub(crate) fn time_handle(&self) -> Option<&crate::rt::driver::TimeHandle> {
        self.driver().time.as_ref()
    }

    pub(crate) fn blocking_spawner(&self) -> &crate::rt::blocking::Spawner {
        match self {
            SchedulerHandle::CurrentThread(h) => &h.blocking_spawner,
            SchedulerHandle::MultiThread(h) => &h.blocking_spawner,
        }
    }
}

/// Defers waking `waker` until the scheduler running on this thread runs out of other work, or
/// wakes it at once if no scheduler runs here (see `defer.rs`).
pub(crate) fn defer_or_wake(waker: &std::task::Waker) {
    context::with_scheduler(|cx| match cx {
        Some(SchedulerContext::MultiThread(cx)) if cx.has_core() => {
            // The running task's own waker: the harness notifies it as the poll ends (no
            // wake here); any other waker waits in `defer`.
            if !cx.request_yield(waker) {
                cx.defer.defer(waker);
            }
        }
        Some(SchedulerContext::CurrentThread(cx)) => cx.defer.defer(waker),
        _ => waker.wake_by_ref(),
    });
}

/// The index of the worker running on this thread: a multi-thread worker's, or 0 on the thread
/// that drives a current-thread runtime (in its `block_on`). `None` elsewhere (a blocking
/// thread, a multi-thread runtime's `block_on`, a `block_on` waiting for another thread's).
pub(crate) fn worker_index() -> Option<usize> {
    context::with_scheduler(|cx| match cx {
        Some(SchedulerContext::MultiThread(cx)) => Some(cx.worker.index),
        Some(SchedulerContext::CurrentThread(_)) => Some(0),
        None => None,
    })
}
