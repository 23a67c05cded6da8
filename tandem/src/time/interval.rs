//! `interval`, `interval_at`, `Interval` and `MissedTickBehavior`.

use super::{sleep, sleep_until, Instant, Sleep};
use crate::rt::time::FAR_FUTURE;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// How late a tick may be before it counts as missed (and `MissedTickBehavior` applies).
const MISSED_TICK_TOLERANCE: Duration = Duration::from_millis(5);

/// An [`Interval`] that ticks at once, then every `period`.
///
/// Missed ticks (when the task was busy past a tick) are handled as
/// [`MissedTickBehavior::Burst`] unless [`Interval::set_missed_tick_behavior`] says otherwise.
/// A period longer than about 30 years is taken as 30 years (as Tokio's).
///
/// # Panics
///
/// If `period` is zero; outside a Tandem runtime; without the time driver.
///
/// ```
/// use std::time::Duration;
/// use tandem::time::{interval, Instant};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let start = Instant::now();
/// let mut ticks = interval(Duration::from_millis(10));
/// ticks.tick().await; // at once
/// ticks.tick().await; // 10 ms after the first
/// ticks.tick().await; // 20 ms after the first
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval::new(sleep(Duration::ZERO), period)
}

/// An [`Interval`] that first ticks at `start`, then every `period`.
///
/// # Panics
///
/// If `period` is zero; outside a Tandem runtime; without the time driver.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval::new(sleep_until(start), period)
}

/// What an [`Interval`] does about ticks it could not deliver on time, because its task did not
/// call [`Interval::tick`] for longer than a period.
///
/// A tick counts as missed when it is delivered more than 5 ms after its scheduled instant.
/// In the examples, the period is 100 ms, ticks are due at 0, 100, 200, ... ms, and the task is
/// busy from 0 to 350 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Deliver the missed ticks at once, one per call, until caught up; the schedule is kept.
    ///
    /// Ticks are delivered at 0, 350 (for 100), 350 (for 200), 350 (for 300), 400, 500 ms.
    /// Good when the number of ticks matters more than their spacing.
    #[default]
    Burst,
    /// Deliver one tick now and shift the schedule: the next tick is a period after this one.
    ///
    /// Ticks are delivered at 0, 350 (for 100), 450, 550 ms. Good when ticks must be at least
    /// a period apart.
    Delay,
    /// Deliver one tick now and skip the missed ones: the next tick is the next one of the
    /// original schedule.
    ///
    /// Ticks are delivered at 0, 350 (for 100), 400, 500 ms. Good when ticks should stay
    /// aligned to the original schedule.
    Skip,
}

impl MissedTickBehavior {
    /// When the tick after one `scheduled` for earlier, but delivered at `now`, is due.
    fn next_timeout(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        let next = match self {
            MissedTickBehavior::Burst => scheduled.checked_add(period),
            MissedTickBehavior::Delay => now.checked_add(period),
            MissedTickBehavior::Skip => {
                // How far into its current period the schedule is at `now`.
                let into = (now - scheduled).as_nanos() % period.as_nanos();
                let into = Duration::from_nanos(u64::try_from(into).expect("below the period"));
                now.checked_add(period - into)
            }
        };
        next.unwrap_or_else(Instant::far_future)
    }
}

/// A stream of ticks, one per period: see [`interval`] and [`interval_at`].
///
/// The first tick is due at the start instant; each later one a period after the previous
/// one's scheduled instant, adjusted by the [`MissedTickBehavior`] when ticks are missed.
#[derive(Debug)]
pub struct Interval {
    /// Boxed: `Sleep` is `!Unpin` (as Tokio's), and `Interval` is `Unpin` (as Tokio's), so that
    /// `poll_tick` can take `&mut self`.
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn new(delay: Sleep, period: Duration) -> Interval {
        Interval {
            delay: Box::pin(delay),
            // As Tokio: a period past about 30 years is 30 years, so that a tick's deadline
            // (the last one plus a period) never overflows the clock.
            period: period.min(FAR_FUTURE),
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel-safe: if the future is dropped before completing, no tick is consumed.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready(scheduled instant)` once it is due. A `Pending` result
    /// wakes the task of `cx` when the tick is due.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.delay.as_mut().poll(cx));
        let scheduled = self.delay.deadline();
        let now = self.delay.now();
        let missed = scheduled
            .checked_add(MISSED_TICK_TOLERANCE)
            .is_some_and(|late| now > late);
        let next = if missed {
            self.missed_tick_behavior
                .next_timeout(scheduled, now, self.period)
        } else {
            scheduled
                .checked_add(self.period)
                .unwrap_or_else(Instant::far_future)
        };
        // Registered at the next poll, which is when it is needed.
        self.delay.as_mut().reset_without_reregister(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is due a period from now.
    pub fn reset(&mut self) {
        let next = self.delay.now().add_capped(self.period);
        self.delay.as_mut().reset(next);
    }

    /// Restarts the schedule: the next tick is due now.
    pub fn reset_immediately(&mut self) {
        self.delay.as_mut().reset_to_now();
    }

    /// Restarts the schedule: the next tick is due `after` from now (at most about 30 years
    /// from now, as Tokio's).
    pub fn reset_after(&mut self, after: Duration) {
        let next = self.delay.now().add_capped(after);
        self.delay.as_mut().reset(next);
    }

    /// Restarts the schedule: the next tick is due at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// How missed ticks are handled.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets how missed ticks are handled.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// The period between ticks (at most about 30 years: see [`interval`]).
    pub fn period(&self) -> Duration {
        self.period
    }
}
