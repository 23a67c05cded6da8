//! `yield_now`: give the worker to other tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the scheduler once: the task runs again after the other tasks that
/// are ready on its worker (and after the worker checked the shared queue and the drivers).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// for _ in 0..3 {
///     tandem::task::yield_now().await;
/// }
/// # });
/// ```
pub async fn yield_now() {
    struct YieldNow {
        yielded: bool,
    }

    impl Future for YieldNow {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.yielded {
                return Poll::Ready(());
            }
            self.yielded = true;
            // The wake-up is deferred until the worker has run everything else that is ready
            // (see `scheduler/defer.rs`); outside a scheduler it happens at once.
            crate::rt::scheduler::defer_or_wake(cx.waker());
            Poll::Pending
        }
    }

    YieldNow { yielded: false }.await
}
