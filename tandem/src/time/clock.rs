//! The public controls of the paused clock: `pause`, `resume`, `advance` (the clock itself is
//! the engine's, `rt/time/clock.rs`).

use crate::rt::time::TimeHandle;
use std::time::Duration;

/// Keeps auto-advance off while it lives.
struct InhibitGuard(TimeHandle);

impl Drop for InhibitGuard {
    fn drop(&mut self) {
        self.0.allow_auto_advance();
    }
}

/// The current runtime's time driver, for `pause`, `resume` and `advance`.
#[track_caller]
fn clock_handle() -> TimeHandle {
    if crate::runtime::Handle::try_current().is_err() {
        panic!("time cannot be frozen from outside the Tokio runtime");
    }
    crate::rt::time::current()
}

/// Pauses time: the clock of the current runtime stands still from now on.
///
/// While time is paused, [`Instant::now()`](super::Instant::now) keeps returning the same
/// instant, and timers fire only when time moves: through [`advance`], or by *auto-advance*:
/// whenever the runtime has no work to do, its clock jumps to the next timer's deadline, so a
/// test of a 10-minute timeout takes no time at all.
///
/// Only the current-thread runtime can pause time (the runtime of `#[tandem::test]`, where
/// `#[tandem::test(start_paused = true)]` starts it paused).
///
/// # Panics
///
/// Outside a runtime, on a multi-thread runtime, without the time driver, or if time is
/// already paused.
///
/// ```
/// use std::time::Duration;
/// use tandem::time::{self, Instant};
///
/// # tandem::runtime::Builder::new_current_thread().enable_time().build().unwrap()
/// # .block_on(async {
/// time::pause();
/// let start = Instant::now();
/// time::sleep(Duration::from_secs(3600)).await; // returns at once: time jumps
/// // (to the millisecond tick at or after the deadline)
/// assert!(start.elapsed() >= Duration::from_secs(3600));
/// assert!(start.elapsed() < Duration::from_millis(3_600_001));
/// # });
/// ```
#[track_caller]
pub fn pause() {
    let rt = crate::runtime::Handle::try_current()
        .unwrap_or_else(|_| panic!("time cannot be frozen from outside the Tokio runtime"));
    if rt.runtime_flavor() != crate::runtime::RuntimeFlavor::CurrentThread {
        // Tokio's words, unbalanced backtick and all: users' tests match on them.
        panic!(
            "`time::pause()` requires the `current_thread` Tokio runtime. \
             This is the default Runtime used by `#[tokio::test]."
        );
    }
    let handle = clock_handle();
    if let Err(msg) = handle.clock().pause() {
        panic!("{msg}");
    }
    // A driver asleep until a deadline on the running clock must jump to it instead.
    handle.unpark_driver();
}

/// Resumes time: the clock runs again, from the instant it was paused at (plus any advances).
///
/// # Panics
///
/// Outside a runtime, or if time is not paused.
#[track_caller]
pub fn resume() {
    let handle = clock_handle();
    if let Err(msg) = handle.clock().resume() {
        panic!("{msg}");
    }
    // A driver asleep with no deadline (a frozen clock reaches none) must now sleep until one.
    handle.unpark_driver();
}

/// Moves paused time forward by `duration`, at once.
///
/// Every timer with a deadline up to the new time is due: they complete "at the same time" and
/// may be polled in any order. This function does not wait for them; it yields once, so the
/// runtime fires them before the caller continues. To wait for a timer, `sleep` instead and let
/// auto-advance move the clock.
///
/// # Panics
///
/// Outside a runtime, if time is not paused, or if the clock would pass the latest instant
/// `Instant` can represent (`Duration::MAX` does; as with Tokio's `advance`).
///
/// ```
/// use std::time::Duration;
/// use tandem::time::{self, Instant};
///
/// # tandem::runtime::Builder::new_current_thread().enable_time().build().unwrap()
/// # .block_on(async {
/// time::pause();
/// let start = Instant::now();
/// time::advance(Duration::from_millis(250)).await;
/// assert_eq!(start.elapsed(), Duration::from_millis(250));
/// # });
/// ```
pub async fn advance(duration: Duration) {
    let handle = clock_handle();
    // No auto-advance until the runtime has had a turn to fire what this advance made due.
    handle.inhibit_auto_advance();
    let guard = InhibitGuard(handle);
    if let Err(msg) = guard.0.clock().advance(duration) {
        panic!("{msg}");
    }
    // Timers are due now: a driver asleep with no deadline (called from off the runtime's
    // thread) must fire them.
    guard.0.unpark_driver();
    crate::task::yield_now().await;
    drop(guard);
}
