//! `LocalRuntime`: a current-thread runtime whose `block_on` also runs `!Send` tasks
//! (`spawn_local`), and `LocalOptions`, what `Builder::build_local` takes.
//!
//! It is a current-thread `Runtime` plus the engine's local scheduler (`rt/scheduler/local.rs`,
//! the machinery of `task::LocalSet`), which `block_on` drives around its future and keeps entered
//! for the whole call, so `task::spawn_local` works in it, also from `Send` tasks running on this
//! thread. Local tasks run only inside `block_on`. Dropping the runtime drops the local tasks
//! first (on this thread, with the runtime entered, so their I/O resources deregister), then
//! shuts the runtime down as `Runtime`'s drop does.

use super::handle::{EnterGuard, Handle};
use super::runtime::Runtime;
use crate::rt::scheduler::local::LocalScheduler;
use crate::rt::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::time::Duration;

/// Options for [`Builder::build_local`](super::Builder::build_local). None yet; `!Send` as
/// Tokio's.
#[derive(Default, Debug)]
#[non_exhaustive]
pub struct LocalOptions {
    _not_send: PhantomData<*mut u8>,
}

/// A current-thread runtime that can also run futures that are not `Send`.
///
/// `LocalRuntime` is `!Send` and `!Sync`: it lives on the thread that built it, which runs all
/// its tasks inside [`block_on`](LocalRuntime::block_on). [`crate::spawn`] still spawns `Send`
/// tasks, and [`handle`](LocalRuntime::handle) reaches the runtime from other threads.
///
/// ```
/// use std::rc::Rc;
///
/// let rt = tandem::runtime::LocalRuntime::new().unwrap();
/// let shared = Rc::new(5);
/// let handle = rt.spawn_local({
///     let shared = shared.clone();
///     async move { *shared * 2 }
/// });
/// assert_eq!(rt.block_on(handle).unwrap(), 10);
/// ```
pub struct LocalRuntime {
    // Dropped first: local tasks go before the runtime they use (see the module docs).
    local: LocalScheduler,
    rt: Runtime,
}

impl LocalRuntime {
    /// A local runtime with the I/O and time drivers enabled.
    pub fn new() -> io::Result<LocalRuntime> {
        super::Builder::new_current_thread()
            .enable_all()
            .build_local(LocalOptions::default())
    }

    pub(super) fn from_runtime(rt: Runtime) -> LocalRuntime {
        LocalRuntime {
            local: LocalScheduler::new(Some(rt.handle().inner.clone())),
            rt,
        }
    }

    /// A handle to the runtime (it spawns `Send` tasks only).
    pub fn handle(&self) -> &Handle {
        self.rt.handle()
    }

    /// Spawns a `!Send` future. It runs inside [`block_on`](LocalRuntime::block_on).
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn_local(future)
    }

    /// Spawns a `Send` task on the runtime. See [`crate::spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.spawn(future)
    }

    /// Runs a blocking closure on the runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.rt.spawn_blocking(f)
    }

    /// Runs `future` (which need not be `Send`) to completion on this thread, running the
    /// runtime's tasks, local and `Send`, meanwhile.
    ///
    /// # Panics
    /// Inside a runtime, as [`Runtime::block_on`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _local = self.local.enter();
        let mut future = std::pin::pin!(future);
        self.rt.block_on(std::future::poll_fn(|cx| {
            self.local.poll_run_until(future.as_mut(), cx)
        }))
    }

    /// Enters the runtime (for [`crate::spawn`]) and its local scheduler (for
    /// [`task::spawn_local`](crate::task::spawn_local)) until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        let mut guard = self.rt.enter();
        guard._local = Some(self.local.enter());
        guard
    }

    /// Shuts down, waiting at most `duration` for blocking tasks (see
    /// [`Runtime::shutdown_timeout`]). Local tasks are dropped first, on this thread.
    pub fn shutdown_timeout(self, duration: Duration) {
        let LocalRuntime { local, rt } = self;
        drop(local);
        rt.shutdown_timeout(duration);
    }

    /// Shuts down without waiting for blocking tasks.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    /// The runtime's counters (`Send` tasks only).
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.rt.metrics()
    }
}

// Unwind-safe as Tokio's and as `Runtime`: a local task's panic is caught by its harness, and
// the local scheduler's cells (its queue, the entered flag) are restored by guards on unwind.
impl std::panic::UnwindSafe for LocalRuntime {}
impl std::panic::RefUnwindSafe for LocalRuntime {}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime")
            .field("local_tasks", &self.local.len())
            .finish_non_exhaustive()
    }
}
