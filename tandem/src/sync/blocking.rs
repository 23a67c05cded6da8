//! The `blocking_*` methods' common step (`blocking_recv`, `blocking_send`, `blocking_lock`,
//! ...): wait for a future on this thread, which must not be driving a runtime.

use std::future::Future;

/// Runs `future` to completion on this thread, sleeping between wake-ups.
///
/// # Panics
/// If this thread drives a runtime (a worker, or inside `block_on`): it would stall the tasks
/// that could complete the future. Tokio's message; the location is the caller's.
#[track_caller]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    if crate::rt::context::is_entered() {
        panic!(
            "Cannot block the current thread from within a runtime. This happens because a \
             function attempted to block the current thread while the thread is being used to \
             drive asynchronous tasks."
        );
    }
    crate::runtime::block_on_thread(future)
}
