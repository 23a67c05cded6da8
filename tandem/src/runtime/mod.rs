//! The runtime: its builder, the owning `Runtime`, and the cloneable `Handle`.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `id.rs` | `Id`: what tells runtimes apart (`Handle::id`) |
//! | `metrics.rs` | `RuntimeMetrics`: worker count, alive tasks, injection queue depth, parks, busy time, io_uring counts |
//! | `block_on.rs` | a thread polls a future and sleeps between wake-ups (`block_on` outside a current-thread runtime's own) |
//! | `handle.rs` | `Handle`: the cloneable reference to a runtime (`current`, `spawn`, `block_on`, `enter`) |
//! | `runtime.rs` | `Runtime`: owns the scheduler and the blocking pool; shutdown on drop; `is_rt_shutdown_err` |
//! | `local_runtime.rs` | `LocalRuntime`, `LocalOptions`: a current-thread runtime that also runs `!Send` tasks |
//! | `builder.rs` | `Builder`: flavour, workers, drivers, io_uring mode, thread hooks; builds the engine |
//!
//! A `Runtime` owns a scheduler (current-thread or multi-thread) and a blocking pool. Dropping it
//! shuts the scheduler down (every task's future is dropped, on a worker or the dropping
//! thread), then the blocking pool (waiting for running blocking tasks, as Tokio documents).
//!
//! ```
//! use tandem::runtime::Builder;
//!
//! let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
//! let answer = rt.block_on(async {
//!     tandem::spawn(async { 40 + 2 }).await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```

pub(crate) mod block_on;
pub(crate) mod builder;
mod handle;
mod id;
mod local_runtime;
mod metrics;
#[allow(clippy::module_inception)]
mod runtime;

#[cfg(feature = "io-poll-delay")]
pub use crate::rt::reactor::poll_delay::{io_poll_delay, IoPollDelay};
pub use crate::rt::uring::{FallbackCause, RingStats, UringStats};
pub use crate::rt::uring::{ParseUringModeError, UringMode, URING_ENV_VAR};
pub(crate) use block_on::block_on_thread;
pub use builder::{Builder, NET_URING_ENV_VAR};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use id::Id;
pub use local_runtime::{LocalOptions, LocalRuntime};
pub use metrics::RuntimeMetrics;
pub use runtime::{is_rt_shutdown_err, Runtime, RuntimeFlavor};

use crate::rt::task::JoinHandle;
use std::future::Future;

/// Spawns a task on the current runtime.
///
/// The task starts running in the background at once, on any worker; the returned
/// [`JoinHandle`] awaits its output. Dropping the handle detaches the task.
///
/// # Panics
/// Outside a runtime (see [`Handle::enter`] to enter one from a plain thread).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = tandem::spawn(async { "hello" });
/// assert_eq!(handle.await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Handle::current().spawn(future)
}

/// The index of the runtime worker this code runs on, if it runs on one: `0..num_workers` on a
/// multi-thread runtime's workers (the index [`RuntimeMetrics`]' per-worker counters take), `0`
/// on the thread driving a current-thread runtime (inside its `block_on`). `None` elsewhere:
/// outside a runtime, on a blocking thread, in a multi-thread runtime's `block_on`.
///
/// ```
/// let rt = tandem::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(rt.block_on(async { tandem::runtime::worker_index() }), Some(0));
/// assert_eq!(tandem::runtime::worker_index(), None);
/// ```
pub fn worker_index() -> Option<usize> {
    crate::rt::scheduler::worker_index()
}
