//! `LocalSet` and `spawn_local`: tasks that need not be `Send`, run on the thread that polls the
//! set.
//!
//! The machinery (queues, ticks, the rules that keep a `!Send` future on its thread) is the
//! engine's local scheduler, `rt/scheduler/local.rs`; this file is its public face.

use crate::rt::scheduler::local::{self, LocalEnterGuard as EngineGuard, LocalScheduler};
use crate::rt::task::JoinHandle;
use crate::runtime::Runtime;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A set of tasks that all run on the same thread, so their futures need not be `Send`.
///
/// Tasks spawned with [`LocalSet::spawn_local`] (or [`spawn_local`] inside the set) run while the
/// set is driven: by [`run_until`](LocalSet::run_until), [`block_on`](LocalSet::block_on), or by
/// awaiting the set itself, which completes once all of its tasks have. Their wakers may be woken
/// from any thread. Dropping the set cancels its tasks: their futures are dropped on this thread,
/// and their `JoinHandle`s yield a cancelled [`JoinError`](crate::task::JoinError).
///
/// ```
/// use std::rc::Rc;
/// use tandem::task::{self, LocalSet};
///
/// let rt = tandem::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let local = LocalSet::new();
/// let shared = Rc::new(41);
/// let out = local.block_on(&rt, async move {
///     let shared2 = shared.clone();
///     task::spawn_local(async move { *shared2 + 1 }).await.unwrap()
/// });
/// assert_eq!(out, 42);
/// ```
pub struct LocalSet {
    scheduler: LocalScheduler,
}

/// Returned by [`LocalSet::enter`]: `spawn_local` spawns onto the set until it is dropped.
#[must_use = "dropping the guard leaves the set at once"]
pub struct LocalEnterGuard {
    _guard: EngineGuard,
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            scheduler: LocalScheduler::new(None),
        }
    }

    /// Makes this the set that [`spawn_local`] spawns onto, until the guard drops. Tasks spawned
    /// so run when the set is next driven.
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _guard: self.scheduler.enter(),
        }
    }

    /// Spawns a `!Send` future onto this set. It runs when the set is driven.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.scheduler.spawn_local(future)
    }

    /// Runs `future` to completion on `rt`, driving this set's tasks meanwhile.
    ///
    /// # Panics
    /// Inside a runtime, as [`Runtime::block_on`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Drives this set's tasks while `future` runs; completes with `future`'s output (the tasks
    /// left stay in the set).
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| self.scheduler.poll_run_until(future.as_mut(), cx)).await
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl Future for LocalSet {
    type Output = ();

    /// Ready once every task of the set has completed.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.scheduler.poll_all(cx)
    }
}

/// Spawns a `!Send` future onto the [`LocalSet`] (or [`LocalRuntime`](crate::runtime::LocalRuntime))
/// running or entered on this thread.
///
/// # Panics
/// Outside a `LocalSet` or `LocalRuntime`.
///
/// ```
/// use std::rc::Rc;
///
/// let rt = tandem::runtime::LocalRuntime::new().unwrap();
/// let value = Rc::new(7);
/// let out = rt.block_on(async move {
///     tandem::task::spawn_local(async move { *value }).await.unwrap()
/// });
/// assert_eq!(out, 7);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    local::spawn_local(future)
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.scheduler.len())
            .finish()
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish()
    }
}
