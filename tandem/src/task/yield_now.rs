//! `yield_now`: give the worker to other tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the scheduler once: the task is rescheduled behind the other
/// runnable tasks.
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
            // Waking while running sets NOTIFIED; the harness then reschedules the task with
            // `Schedule::yield_now`, at the back of the queue.
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    YieldNow { yielded: false }.await
}
