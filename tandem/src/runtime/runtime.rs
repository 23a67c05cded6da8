//! `Runtime`: owns the scheduler and the blocking pool.

use super::handle::{EnterGuard, Handle};
use crate::rt::blocking::BlockingPool;
use crate::rt::scheduler::{
    self, current_thread::CurrentThread, multi_thread::MultiThread, SchedulerHandle,
};
use crate::rt::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

/// The Tandem runtime: a scheduler (current-thread or multi-thread), the blocking pool, and
/// the driver its idle threads park on: the I/O reactor, the timers and the io_uring rings, as
/// the builder enabled them.
///
/// ```
/// let rt = tandem::runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let a = tandem::spawn(async { 1 });
///     let b = tandem::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
pub struct Runtime {
    scheduler: Scheduler,
    handle: Handle,
    blocking_pool: BlockingPool,
    /// Set by `shutdown_timeout`: the drop that follows has nothing left to wait for.
    pool_shut_down: bool,
}

pub(super) enum Scheduler {
    CurrentThread(CurrentThread),
    MultiThread(MultiThread),
}

/// Which scheduler a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread in `block_on`.
    CurrentThread,
    /// Tasks run on a pool of work-stealing worker threads.
    MultiThread,
}

impl Runtime {
    pub(super) fn from_parts(
        scheduler: Scheduler,
        handle: Handle,
        blocking_pool: BlockingPool,
    ) -> Runtime {
        Runtime {
            scheduler,
            handle,
            blocking_pool,
            pool_shut_down: false,
        }
    }

    /// A multi-thread runtime with default settings (one worker per CPU, I/O and time enabled).
    pub fn new() -> io::Result<Runtime> {
        super::Builder::new_multi_thread().enable_all().build()
    }

    /// Runs a future to completion on this thread, driving the runtime as needed.
    ///
    /// On a current-thread runtime this thread also runs the spawned tasks until the future
    /// completes; on a multi-thread runtime they run on the workers.
    ///
    /// # Panics
    /// Inside a runtime (from a task): blocking there would stall the tasks of that thread.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.scheduler {
            Scheduler::CurrentThread(ct) => ct.block_on(&self.handle.inner, future),
            // The workers run the tasks: this thread only polls `future` (as `Handle::block_on`).
            Scheduler::MultiThread(_) => self.handle.block_on(future),
        }
    }

    /// Spawns a task on this runtime. See [`crate::spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool. See
    /// [`crate::task::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime, usable from any thread.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The runtime's counters (the same as `handle().metrics()`), as Tokio's `Runtime::metrics`.
    ///
    /// ```
    /// let rt = tandem::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .enable_all()
    ///     .build()
    ///     .unwrap();
    /// let uring = rt.metrics().io_uring();
    /// if uring.enabled {
    ///     assert_eq!(uring.rings.len(), 3); // one per worker, and the shared ring
    /// }
    /// ```
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.handle.metrics()
    }

    /// Makes this runtime the current one for the guard's lifetime, so `tandem::spawn` works on
    /// this thread.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `duration` for blocking tasks. Tasks are cancelled as on
    /// drop; blocking threads still running after the timeout are left to finish on their own.
    /// io_uring operations still in flight are cancelled and waited for at most `duration` too
    /// (10 s on drop); any left then go to a reaper thread that frees them at their completions
    /// (never before: the kernel may still write them) and then closes their rings.
    pub fn shutdown_timeout(mut self, duration: Duration) {
        self.handle
            .inner
            .driver()
            .uring
            .limit_shutdown_drain(duration);
        self.shutdown_scheduler();
        self.shutdown_blocking_pool(Some(duration));
    }

    /// Shuts the blocking pool down, waiting for its threads at most `timeout`.
    ///
    /// # Panics
    /// If that could wait (`timeout` is not zero) on a thread that drives a runtime (a task,
    /// `block_on`): it would stall that runtime's tasks, or deadlock. Tokio refuses with this
    /// panic (not while already panicking); the pool's threads are then left to finish on their
    /// own, as after `shutdown_background`. The scheduler was shut down first, as in Tokio.
    #[track_caller]
    fn shutdown_blocking_pool(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.pool_shut_down, true) {
            return;
        }
        if timeout != Some(Duration::ZERO)
            && crate::rt::context::is_entered()
            && !std::thread::panicking()
        {
            self.blocking_pool.shutdown(Some(Duration::ZERO));
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed. \
                 This happens when a runtime is dropped from within an asynchronous context."
            );
        }
        // A limit too far out for a deadline (`Duration::MAX`) is no limit.
        let timeout = timeout.filter(|t| std::time::Instant::now().checked_add(*t).is_some());
        self.blocking_pool.shutdown(timeout);
    }

    /// Shuts down without waiting for blocking tasks (as `shutdown_timeout(Duration::ZERO)`).
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown_scheduler(&mut self) {
        match &self.scheduler {
            Scheduler::CurrentThread(ct) => {
                let SchedulerHandle::CurrentThread(handle) = &self.handle.inner else {
                    unreachable!("flavours match")
                };
                // Task destructors may use the runtime (spawn, handles): enter it.
                let _enter = scheduler::context::set_current(&self.handle.inner);
                ct.shutdown(handle);
            }
            Scheduler::MultiThread(mt) => {
                let SchedulerHandle::MultiThread(handle) = &self.handle.inner else {
                    unreachable!("flavours match")
                };
                mt.shutdown(handle);
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown_scheduler();
        // Waits for the workers (which finish cancelling tasks) and blocking tasks.
        self.shutdown_blocking_pool(None);
    }
}

/// True if `err` is the error an I/O resource returns because the runtime it was registered
/// with has shut down (Tokio's message, kind `Other`, no source): the resource is unusable, and
/// the caller may want to tell that apart from a failure of the operation itself.
///
/// ```
/// use tandem::net::TcpListener;
///
/// let rt1 = tandem::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let rt2 = tandem::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let listener = rt1.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
/// drop(rt1);
/// rt2.block_on(async {
///     let err = listener.accept().await.unwrap_err();
///     assert!(tandem::runtime::is_rt_shutdown_err(&err));
/// });
/// assert!(!tandem::runtime::is_rt_shutdown_err(&std::io::Error::other("other")));
/// ```
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    let Some(inner) = err.get_ref() else {
        return false;
    };
    err.kind() == io::ErrorKind::Other
        && inner.source().is_none()
        && inner.to_string() == crate::rt::reactor::SHUTDOWN_MSG
}

// Unwind-safe as Tokio's: the runtime is robust to panics (see `SchedulerHandle`'s impls in
// `rt/scheduler/mod.rs`); the scheduler's and the blocking pool's own cells are behind the same
// guards.
impl std::panic::UnwindSafe for Runtime {}
impl std::panic::RefUnwindSafe for Runtime {}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .finish_non_exhaustive()
    }
}
