//! Deadlines computed from huge user-supplied durations saturate instead of overflowing the
//! clock (ports of Tokio's `time_interval`, `time_sleep` and `time_timeout` overflow tests).
//!
//! As Tokio: `sleep` and `Interval` cap a delay at about 30 years (Tokio's "far future"),
//! `timeout` with an unrepresentable deadline never fires, and only explicit arithmetic
//! (`Instant + Duration`, `advance`) panics on overflow, as `std` does.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tandem::time::{self, Instant};

/// Tokio's "far future": 30 years of 365 days.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(std::task::Waker::noop()))
}

// time_interval.rs

#[tandem::test]
async fn reset_doesnt_panic_max_duration() {
    let mut interval = time::interval(Duration::MAX);
    interval.reset();
}

#[tandem::test]
async fn reset_after_doesnt_panic_max_duration() {
    let mut interval = time::interval(ms(1));
    interval.reset_after(Duration::MAX);
}

#[tandem::test(start_paused = true)]
async fn interval_doesnt_panic_max_duration_when_polling() {
    let mut interval = time::interval(Duration::MAX);
    assert!(std::future::poll_fn(|cx| interval.poll_tick(cx))
        .await
        .elapsed()
        .is_zero());
}

/// As Tokio's, the period is capped at 30 years: every later tick is then representable.
#[tandem::test(start_paused = true)]
async fn a_huge_period_is_thirty_years() {
    let start = Instant::now();
    let mut interval = time::interval(Duration::MAX);
    assert_eq!(interval.period(), FAR);
    assert_eq!(interval.tick().await, start);
    assert_eq!(interval.tick().await, start + FAR);
    assert_eq!(interval.tick().await, start + FAR * 2);
    interval.reset();
    assert_eq!(interval.tick().await, start + FAR * 3);
}

/// `reset_after` with a huge delay: the next tick is 30 years away, no sooner, no panic.
#[tandem::test(start_paused = true)]
async fn reset_after_a_huge_delay_ticks_in_thirty_years() {
    let start = Instant::now();
    let mut interval = time::interval(ms(1));
    interval.tick().await;
    interval.reset_after(Duration::MAX);
    assert_eq!(interval.tick().await, start + FAR);
    assert_eq!(interval.tick().await, start + FAR + ms(1));
}

// time_sleep.rs

#[tandem::test]
async fn exactly_max() {
    time::pause();
    time::sleep(Duration::MAX).await;
}

#[tandem::test]
async fn issue_5183() {
    time::pause();
    let big = Duration::from_secs(u64::MAX / 10);
    // Awaiting `sleep(big)` alone would take 30 (paused) years.
    tandem::select! {
        biased;
        _ = time::sleep(big) => {}
        _ = time::sleep(Duration::from_nanos(1)) => {}
    }
}

#[tandem::test]
async fn no_out_of_bounds_close_to_max() {
    time::pause();
    time::sleep(Duration::MAX - ms(1)).await;
}

#[tandem::test(start_paused = true)]
async fn long_wait_sleep_does_not_break_other_timers() {
    tandem::spawn(time::sleep(ms(10 << 36)));
    time::advance(ms((1 << 30) - 1)).await;
    let start = Instant::now();
    time::sleep(ms(10)).await;
    assert_eq!(start.elapsed(), ms(10));
}

/// As Tokio's, a sleep longer than 30 years is a sleep of 30 years, whether or not the sum
/// would have overflowed.
#[tandem::test(start_paused = true)]
async fn a_huge_sleep_is_thirty_years() {
    for huge in [Duration::from_secs(u64::MAX / 10), Duration::MAX] {
        let start = Instant::now();
        let sleep = time::sleep(huge);
        assert_eq!(sleep.deadline(), start + FAR);
        sleep.await;
        assert_eq!(start.elapsed(), FAR);
    }
}

// time_timeout.rs

#[tandem::test]
async fn very_large_timeout() {
    time::pause();
    let (tx, rx) = tandem::sync::oneshot::channel::<()>();
    let mut fut = pin!(time::timeout(Duration::MAX, rx));
    assert!(poll_once(fut.as_mut()).is_pending());
    time::advance(Duration::from_secs(86_400 * 365 * 10)).await;
    assert!(poll_once(fut.as_mut()).is_pending());
    tx.send(()).unwrap();
    assert!(matches!(poll_once(fut.as_mut()), Poll::Ready(Ok(Ok(())))));
}

// The clock's own arithmetic.

/// `advance` past what `Instant` represents panics, as Tokio's does; the panic leaves the clock
/// usable (auto-advance is not left inhibited).
#[tandem::test(start_paused = true)]
async fn advance_past_the_end_of_time_panics_and_leaves_the_clock_usable() {
    let err = tandem::spawn(time::advance(Duration::MAX))
        .await
        .unwrap_err();
    assert!(err.is_panic());
    let start = Instant::now();
    time::sleep(ms(5)).await;
    assert_eq!(start.elapsed(), ms(5));
}

/// With the clock advanced to within 30 years of the last instant `Instant` represents, timers
/// that should never fire are still made (their deadline saturates) instead of panicking.
#[tandem::test(start_paused = true)]
async fn never_firing_timers_near_the_end_of_time_do_not_panic() {
    let now = Instant::now();
    // The longest advance the clock can take, to within a second.
    let (mut lo, mut hi) = (0u64, u64::MAX);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if now.checked_add(Duration::from_secs(mid)).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let room = Duration::from_secs(86_400 * 365);
    time::advance(Duration::from_secs(lo) - room).await;
    let (_tx, rx) = tandem::sync::oneshot::channel::<()>();
    let timeout = pin!(time::timeout(Duration::MAX, rx));
    let _ = poll_once(timeout);
    let sleep = pin!(time::sleep(Duration::MAX));
    assert!(sleep.deadline() <= Instant::now() + room);
    let _ = poll_once(sleep);
    let mut interval = time::interval(Duration::MAX);
    assert!(std::future::poll_fn(|cx| interval.poll_tick(cx))
        .await
        .elapsed()
        .is_zero());
    interval.reset();
    interval.reset_after(Duration::MAX);
}
