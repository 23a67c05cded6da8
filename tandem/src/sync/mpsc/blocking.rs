//! `blocking_send` and `blocking_recv`: drive one of the channel's futures on a thread that is
//! not running asynchronous tasks, sleeping between wake-ups.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the blocked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread.
///
/// # Panics
/// Inside a runtime's thread (a worker, or a `block_on`): blocking there would stall the tasks
/// it runs, perhaps the very one this waits for.
#[track_caller]
pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    if crate::rt::context::is_entered() {
        panic!(
            "Cannot block the current thread from within a runtime. This happens because a \
             function attempted to block the current thread while the thread is being used to \
             drive asynchronous tasks."
        );
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
