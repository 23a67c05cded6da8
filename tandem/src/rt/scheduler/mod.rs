//! The schedulers: which thread runs which task, and when.
//!
//! Both flavours share the task system (`crate::task`), the injection queue and the owned-tasks
//! list; they differ in who polls: one thread inside `block_on` (`current_thread`), or N
//! work-stealing workers (`multi_thread`).
//!
//! | file | responsibility |
//! |---|---|
//! | `context.rs` | the thread-local slot: the runtime this thread is in, the scheduler context running here |
//! | `config.rs` | the loop's tick intervals, from the builder, the same for both flavours |
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

    /// The name given with `Builder::name`, if any.
    pub(crate) fn name(&self) -> Option<&str> {
        let config = match self {
            SchedulerHandle::CurrentThread(h) => &h.config,
            SchedulerHandle::MultiThread(h) => &h.shared.config,
        };
        config.name.as_deref()
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
        Some(SchedulerContext::MultiThread(cx)) if cx.has_core() => cx.defer.defer(waker),
        Some(SchedulerContext::CurrentThread(cx)) => cx.defer.defer(waker),
        _ => waker.wake_by_ref(),
    });
}
