//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use super::runtime::RuntimeFlavor;
use crate::rt::scheduler::{context, context::TryCurrentErrorKind, SchedulerHandle};
use crate::rt::task::{Id, JoinHandle};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

/// A handle to a runtime: spawn onto it, enter it, or block on it from outside.
///
/// ```
/// let rt = tandem::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// std::thread::spawn(move || {
///     let out = handle.block_on(handle.spawn(async { 7 })).unwrap();
///     assert_eq!(out, 7);
/// })
/// .join()
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: SchedulerHandle,
}

/// Returned by [`Handle::enter`]: the runtime stays current until it is dropped.
#[must_use = "dropping the guard leaves the runtime at once"]
pub struct EnterGuard<'a> {
    // Dropped first: a `LocalRuntime`'s local scheduler was entered last.
    pub(super) _local: Option<crate::rt::scheduler::local::LocalEnterGuard>,
    pub(super) _guard: context::SetCurrentGuard,
    pub(super) _handle: PhantomData<&'a Handle>,
}

/// There is no current runtime.
#[derive(Debug)]
pub struct TryCurrentError {
    kind: TryCurrentErrorKind,
}

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    /// Outside a runtime. [`Handle::try_current`] returns an error instead.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime this thread is in, or an error outside any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_current()
            .map(|inner| Handle { inner })
            .map_err(|kind| TryCurrentError { kind })
    }

    /// Makes this runtime the current one for the guard's lifetime. Guards must be dropped in
    /// reverse order of creation.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _local: None,
            _guard: context::set_current(&self.inner),
            _handle: PhantomData,
        }
    }

    /// Spawns a task on this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future, Id::next())
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(f)
    }

    /// Runs a future to completion on this thread, with this runtime entered.
    ///
    /// On a current-thread runtime, the calling thread drives the scheduler if no other thread
    /// does; otherwise it only polls `future`, which may await tasks running elsewhere.
    ///
    /// # Panics
    /// Inside a runtime (from a task).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.inner {
            SchedulerHandle::MultiThread(_) => {
                let _enter = context::enter_runtime(&self.inner, true);
                super::block_on::block_on_thread(future)
            }
            SchedulerHandle::CurrentThread(handle) => {
                // Without the `CurrentThread` (owned by the `Runtime`) this thread cannot run
                // tasks; it polls the future while the runtime's own `block_on`, if any, runs
                // them. Its file operations go to the shared ring, which no driver reaps while
                // nobody is in `Runtime::block_on`: it reaps them itself. It drives no scheduler,
                // so blocking here stalls no task: `block_in_place` may just run its closure
                // (as in Tokio).
                let _enter = context::enter_runtime(&self.inner, true);
                super::block_on::block_on_thread_reaping(future, Some(&handle.driver.uring))
            }
        }
    }

    /// Which scheduler the runtime uses.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match &self.inner {
            SchedulerHandle::CurrentThread(_) => RuntimeFlavor::CurrentThread,
            SchedulerHandle::MultiThread(_) => RuntimeFlavor::MultiThread,
        }
    }

    /// The runtime's name, if the builder gave it one (`Builder::name`, or `name = "..."` in
    /// `#[tandem::main]`/`#[tandem::test]`).
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The runtime's id: the same for every handle of one runtime, different between runtimes.
    pub fn id(&self) -> super::Id {
        super::Id::from_u64(self.inner.config().id)
    }

    /// Counters describing the runtime.
    pub fn metrics(&self) -> super::RuntimeMetrics {
        super::RuntimeMetrics {
            handle: self.inner.clone(),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .finish()
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish()
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for TryCurrentError {}

impl TryCurrentError {
    /// True if no runtime was entered on this thread.
    pub fn is_missing_context(&self) -> bool {
        self.kind == TryCurrentErrorKind::NoContext
    }

    /// True if the thread is being torn down.
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.kind == TryCurrentErrorKind::ThreadLocalDestroyed
    }
}
