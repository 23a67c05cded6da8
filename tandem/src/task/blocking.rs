//! `spawn_blocking`: a closure on the blocking pool.

use super::JoinHandle;

/// Runs a blocking closure on a thread where blocking is acceptable, returning a handle to its
/// result.
///
/// The closure starts at once if a pool thread is idle, on a new thread if fewer than
/// `max_blocking_threads` exist, and otherwise waits in a queue. It cannot be aborted once
/// started; `abort` before it starts cancels it.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let n = tandem::task::spawn_blocking(|| {
///     std::fs::read_dir(".").map(|dir| dir.count()).unwrap_or(0)
/// })
/// .await
/// .unwrap();
/// println!("{n} entries");
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::runtime::Handle::current().spawn_blocking(f)
}
