//! What the blocking pool's threads are made with: the builder's name function, stack size and
//! start/stop callbacks.

use std::sync::Arc;

/// A thread start or stop callback (`Builder::on_thread_start`, `on_thread_stop`).
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;
/// Names each new thread (`Builder::thread_name`, `thread_name_fn`).
pub(crate) type ThreadNameFn = Arc<dyn Fn() -> String + Send + Sync>;

/// What the blocking pool needs from the builder.
pub(crate) struct ThreadHooks {
    pub(crate) thread_name: ThreadNameFn,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    /// Worker threads also live in the pool; they do not count against `max_blocking_threads`.
    pub(crate) worker_threads: usize,
}
