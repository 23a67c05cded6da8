//! `sleep`, `sleep_until` and the `Sleep` future.

use super::Instant;
use crate::rt::coop;
use crate::rt::time::{self as handle, Shutdown, TimeRef, TimerEntry};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// Waits until `duration` has elapsed.
///
/// Equivalent to `sleep_until(Instant::now() + duration)`. The timer has millisecond
/// resolution and never completes early: the deadline is rounded up to the next millisecond.
/// A duration longer than about 30 years sleeps for about 30 years (as Tokio's).
///
/// No work is done until the returned future is first polled.
///
/// # Panics
///
/// Outside a Tandem runtime, or on a runtime built without `enable_time`.
///
/// ```
/// use std::time::Duration;
/// use tandem::time::{sleep, Instant};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let start = Instant::now();
/// sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let driver = TimeRef::current();
    let deadline = handle::deadline_after(driver.get().now(), duration);
    let entry = if duration.is_zero() {
        // Due already: complete at the first poll, without waiting for the driver's turn.
        TimerEntry::new_due(driver, deadline)
    } else {
        TimerEntry::new(driver, deadline)
    };
    Sleep::with_entry(entry)
}

/// Waits until `deadline` is reached. A deadline in the past completes as soon as the runtime
/// has noticed (usually at the first poll, at the latest at the driver's next turn).
///
/// # Panics
///
/// Outside a Tandem runtime, or on a runtime built without `enable_time`.
///
/// ```
/// use std::time::Duration;
/// use tandem::time::{sleep_until, Instant};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::with_entry(TimerEntry::new(TimeRef::current(), deadline.into_std()))
}

pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`]: completes at its deadline.
    ///
    /// It registers with the runtime's timer wheel at its first poll, and leaves it when dropped
    /// (in constant time). It is `!Unpin`, as Tokio's: poll it pinned (`tandem::pin!`,
    /// `std::pin::pin!` or `Box::pin`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tandem::time::{sleep, Instant};
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let sleep = sleep(Duration::from_millis(10));
    /// tandem::pin!(sleep);
    /// // Extend the deadline before it passes.
    /// sleep.as_mut().reset(Instant::now() + Duration::from_millis(20));
    /// sleep.as_mut().await;
    /// assert!(sleep.is_elapsed());
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        entry: TimerEntry,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        // Nothing here needs the fixed address: the wheel holds a waker clone in an arena
        // slot, never a pointer to the `Sleep`.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl Sleep {
    fn with_entry(entry: TimerEntry) -> Sleep {
        Sleep {
            entry,
            _pinned: PhantomPinned,
        }
    }

    /// A sleep that completes at `deadline`, on the current runtime.
    #[track_caller]
    pub(crate) fn new_timeout(deadline: Instant) -> Sleep {
        sleep_until(deadline)
    }

    /// A sleep that (practically) never completes, on the current runtime.
    #[track_caller]
    pub(crate) fn far_future() -> Sleep {
        let driver = TimeRef::current();
        let deadline = handle::far_future(driver.get().now());
        Sleep::with_entry(TimerEntry::new(driver, deadline))
    }

    /// The instant at which the future completes.
    pub fn deadline(&self) -> Instant {
        Instant::from_std(self.entry.deadline())
    }

    /// True once the sleep has completed (its deadline was reached and the runtime noticed).
    pub fn is_elapsed(&self) -> bool {
        self.entry.is_elapsed()
    }

    /// Moves the deadline to `deadline`, whether or not the sleep has completed: it completes
    /// again at the new deadline. A pending sleep moves at once, so its task is woken at the new
    /// deadline even if it does not poll the sleep in between.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().entry.reset(deadline.into_std(), true);
    }

    /// Moves the deadline; the new one is registered by the next poll (for `Interval`).
    pub(crate) fn reset_without_reregister(self: Pin<&mut Self>, deadline: Instant) {
        self.project().entry.reset(deadline.into_std(), false);
    }

    /// Moves the deadline to now: the next poll completes (for `Interval::reset_immediately`).
    pub(crate) fn reset_to_now(self: Pin<&mut Self>) {
        let entry = self.project().entry;
        let now = entry.handle().now();
        entry.reset_due(now);
    }

    /// The runtime's clock reading, through this sleep's time driver.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_std(self.entry.handle().now())
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        match self.project().entry.poll_elapsed(cx) {
            Poll::Ready(Ok(())) => {
                coop.made_progress();
                Poll::Ready(())
            }
            Poll::Ready(Err(Shutdown)) => {
                panic!("A Tokio 1.x context was found, but it is being shutdown.")
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("is_elapsed", &self.is_elapsed())
            .finish()
    }
}
