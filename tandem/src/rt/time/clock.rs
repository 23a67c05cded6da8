//! The runtime's clock, which tests can pause: `pause`, `resume`, `advance`.
//!
//! A clock reads the OS's monotonic clock until it is first paused. From then on it is
//! `base + (time since unfrozen)`: while frozen (`unfrozen == None`) it stands still at `base`
//! and moves only through `advance` or the driver's auto-advance; `resume` lets it run again
//! from where it stands. Pausing is a current-thread-runtime feature, as in Tokio's test-util.

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

/// `Instant::now` for [`Instant`](crate::time::Instant): the current runtime's clock if some clock of this
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
