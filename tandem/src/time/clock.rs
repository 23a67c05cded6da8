//! The runtime's clock, which tests can pause: `pause`, `resume`, `advance`.
//!
//! A clock reads the OS's monotonic clock until it is first paused. From then on it is
//! `base + (time since unfrozen)`: while frozen (`unfrozen == None`) it stands still at `base`
//! and moves only through `advance` or the driver's auto-advance; `resume` lets it run again
//! from where it stands. Pausing is a current-thread-runtime feature, as in Tokio's test-util.

use super::Handle;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

/// Clocks of this process that have ever been paused. While it is 0, `Instant::now` reads the
/// OS clock without looking for the current runtime. (A plain std atomic: a process-wide
/// counter, not part of any protocol a loom model checks.)
static PAUSED_CLOCKS: AtomicUsize = AtomicUsize::new(0);

/// A runtime's clock.
pub(crate) struct Clock {
    /// False until the first `pause`: `now` then needs no lock.
    ever_paused: AtomicBool,
    state: Mutex<ClockState>,
}

struct ClockState {
    /// The clock's reading when it was last frozen or resumed (plus any advances).
    base: Instant,
    /// When the clock last resumed (OS time); `None` while it is frozen.
    unfrozen: Option<Instant>,
    /// Reasons auto-advance must not happen now (an `advance` in progress, blocking tasks).
    inhibit: usize,
}

impl Clock {
    pub(crate) fn new(start_paused: bool) -> Clock {
        let now = Instant::now();
        let clock = Clock {
            ever_paused: AtomicBool::new(false),
            state: Mutex::new(ClockState {
                base: now,
                unfrozen: Some(now),
                inhibit: 0,
            }),
        };
        if start_paused {
            clock.pause().expect("a new clock is running");
        }
        clock
    }

    /// The clock's current reading.
    pub(crate) fn now(&self) -> Instant {
        // Acquire: pairs with the Release in `pause`, so a thread that sees the clock paused
        // also sees its state (which it then reads under the lock anyway).
        if !self.ever_paused.load(Ordering::Acquire) {
            return Instant::now();
        }
        self.state.lock().now()
    }

    /// Stops the clock where it stands.
    pub(crate) fn pause(&self) -> Result<(), &'static str> {
        let mut state = self.state.lock();
        let Some(_) = state.unfrozen else {
            return Err("time is already frozen");
        };
        state.base = state.now();
        state.unfrozen = None;
        if !self.ever_paused.swap(true, Ordering::Release) {
            // Relaxed: only ever compared with zero, by the thread that paused or a later one.
            PAUSED_CLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Lets a frozen clock run again from its current reading.
    pub(crate) fn resume(&self) -> Result<(), &'static str> {
        let mut state = self.state.lock();
        if state.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        state.unfrozen = Some(Instant::now());
        Ok(())
    }

    /// Moves a frozen clock forward by `duration`.
    pub(crate) fn advance(&self, duration: Duration) -> Result<(), &'static str> {
        let mut state = self.state.lock();
        if state.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        state.base = state.base.checked_add(duration).ok_or("time overflowed")?;
        Ok(())
    }

    /// Moves a frozen clock forward to `target`, if it stands before it (auto-advance).
    pub(crate) fn advance_to(&self, target: Instant) {
        let mut state = self.state.lock();
        if state.unfrozen.is_none() && target > state.base {
            state.base = target;
        }
    }

    /// True while the clock stands still.
    pub(crate) fn is_frozen(&self) -> bool {
        self.ever_paused.load(Ordering::Acquire) && self.state.lock().unfrozen.is_none()
    }

    /// True if the clock stands still and nothing forbids jumping it to the next timer.
    pub(crate) fn can_auto_advance(&self) -> bool {
        if !self.ever_paused.load(Ordering::Acquire) {
            return false;
        }
        let state = self.state.lock();
        state.unfrozen.is_none() && state.inhibit == 0
    }

    pub(crate) fn inhibit_auto_advance(&self) {
        self.state.lock().inhibit += 1;
    }

    /// Ends one `inhibit_auto_advance`. If that was the last one and the clock stands still,
    /// the driver may be asleep with no deadline, waiting for exactly this: the caller must wake
    /// it (step 1 of "Paused clock" in the module docs).
    pub(crate) fn allow_auto_advance(&self) -> AutoAdvance {
        let mut state = self.state.lock();
        state.inhibit = state
            .inhibit
            .checked_sub(1)
            .expect("allow_auto_advance without inhibit_auto_advance");
        if state.inhibit == 0 && state.unfrozen.is_none() {
            AutoAdvance::NowAllowed
        } else {
            AutoAdvance::Unchanged
        }
    }
}

/// What ending an inhibition of auto-advance asks of the caller.
#[must_use]
pub(crate) enum AutoAdvance {
    /// The clock stands still and nothing inhibits auto-advance any more: wake the driver, which
    /// may sleep with no deadline because it could not jump.
    NowAllowed,
    /// Auto-advance is still inhibited, or the clock runs: nothing to do.
    Unchanged,
}

impl ClockState {
    fn now(&self) -> Instant {
        match self.unfrozen {
            Some(since) => self.base + since.elapsed(),
            None => self.base,
        }
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        if self.ever_paused.load(Ordering::Acquire) {
            PAUSED_CLOCKS.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// `Instant::now` for [`super::Instant`]: the current runtime's clock if some clock of this
/// process has been paused, else the OS clock.
pub(crate) fn now() -> Instant {
    if PAUSED_CLOCKS.load(Ordering::Relaxed) == 0 {
        return Instant::now();
    }
    match super::handle::try_current() {
        Some(handle) => handle.now(),
        None => Instant::now(),
    }
}

/// Keeps auto-advance off while it lives.
struct InhibitGuard(Handle);

impl Drop for InhibitGuard {
    fn drop(&mut self) {
        self.0.allow_auto_advance();
    }
}

/// The current runtime's time driver, for `pause`, `resume` and `advance`.
#[track_caller]
fn clock_handle() -> Handle {
    if crate::runtime::Handle::try_current().is_err() {
        panic!("time cannot be frozen from outside the Tandem runtime");
    }
    super::handle::current()
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
        .unwrap_or_else(|_| panic!("time cannot be frozen from outside the Tandem runtime"));
    if rt.runtime_flavor() != crate::runtime::RuntimeFlavor::CurrentThread {
        panic!(
            "`time::pause()` requires the `current_thread` Tandem runtime. \
             This is the default Runtime used by `#[tandem::test]`."
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
