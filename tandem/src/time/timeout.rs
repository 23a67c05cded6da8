//! `timeout`, `timeout_at` and the `Timeout` future.

use super::error::Elapsed;
use super::{Instant, Sleep};
use crate::rt::coop;
use pin_project_lite::pin_project;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Requires `future` to complete within `duration`.
///
/// Resolves to `Ok(output)` if it does, or to `Err(Elapsed)` once `duration` has elapsed, in
/// which case `future` is dropped (cancelled) with the `Timeout`. The future is polled before
/// the timer, so a future that is ready at once wins even with a zero duration.
///
/// # Panics
///
/// Outside a Tandem runtime, or on a runtime built without `enable_time`.
///
/// ```
/// use std::time::Duration;
/// use tandem::time::timeout;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (_tx, rx) = tandem::sync::oneshot::channel::<()>();
/// // Nobody sends: the receive times out.
/// assert!(timeout(Duration::from_millis(10), rx).await.is_err());
/// assert_eq!(timeout(Duration::from_millis(10), async { 7 }).await, Ok(7));
/// # });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let delay = match Instant::now().checked_add(duration) {
        Some(deadline) => Sleep::new_timeout(deadline),
        None => Sleep::far_future(),
    };
    Timeout::new(future.into_future(), delay)
}

/// Requires `future` to complete before `deadline`. See [`timeout`].
///
/// # Panics
///
/// Outside a Tandem runtime, or on a runtime built without `enable_time`.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), Sleep::new_timeout(deadline))
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        // Pinned, so `Timeout` is `!Unpin` (as Tokio's) whatever `T` is.
        #[pin]
        delay: Sleep,
    }
}

impl<T> Timeout<T> {
    fn new(value: T, delay: Sleep) -> Timeout<T> {
        Timeout { value, delay }
    }

    /// The wrapped future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Gives the wrapped future back, dropping the timer.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut me = self.project();
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(output) = me.value.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let mut poll_delay = || me.delay.as_mut().poll(cx).map(|()| Err(Elapsed::new()));
        if had_budget && !coop::has_budget_remaining() {
            // The inner future spent the last of the budget: the timer must still be able to
            // fire, or a future that is always ready would never time out.
            coop::with_unconstrained(poll_delay)
        } else {
            poll_delay()
        }
    }
}
