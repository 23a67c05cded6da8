//! A timer as a `Sleep` holds it (`TimerEntry`), and the part it shares with the wheel
//! (`TimerShared`).
//!
//! The entry registers lazily: creating and dropping a `Sleep` that was never polled touches
//! no lock and allocates nothing. The first poll allocates the `TimerShared` (state word and
//! waker) and puts a reference to it in the wheel of the polling thread's shard. Later polls
//! read the state word only, unless the waker changed (the `Sleep` moved to another task), in
//! which case the entry leaves the wheel and registers anew with the new waker.

use super::handle::{Handle, Insert, Reschedule, Slot, TimeRef};
use super::state::TimerState;
use crate::loom::sync::Arc;
use std::fmt;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// What a registration shares with the wheel.
pub(crate) struct TimerShared {
    pub(super) state: TimerState,
    /// Woken when the timer fires; fixed for the life of a registration.
    pub(super) waker: Waker,
}

impl TimerShared {
    fn new(waker: &Waker) -> TimerShared {
        TimerShared {
            state: TimerState::new(),
            waker: waker.clone(),
        }
    }
}

/// The runtime shut down while the timer was pending (or before it registered).
#[derive(Debug)]
pub(crate) struct Shutdown;

/// A timer owned by a `Sleep`.
pub(crate) struct TimerEntry {
    driver: TimeRef,
    deadline: Instant,
    /// The last registration's allocation, kept to be re-armed in place when nobody else holds
    /// it any more.
    shared: Option<Arc<TimerShared>>,
    /// `Some` iff `shared` was put in the wheel for the current deadline and this entry has not
    /// taken it out since. It may have fired: `shared.state` says.
    slot: Option<Slot>,
    /// The timer completed without a registration (its deadline was known to have passed).
    elapsed: bool,
    /// The deadline is known to have passed (the caller read the clock): the next poll
    /// completes without looking at the wheel.
    due: bool,
}

impl TimerEntry {
    pub(crate) fn new(driver: impl Into<TimeRef>, deadline: Instant) -> TimerEntry {
        TimerEntry {
            driver: driver.into(),
            deadline,
            shared: None,
            slot: None,
            elapsed: false,
            due: false,
        }
    }

    /// A timer whose `deadline` the caller knows has passed: its first poll completes.
    pub(crate) fn new_due(driver: impl Into<TimeRef>, deadline: Instant) -> TimerEntry {
        let mut entry = TimerEntry::new(driver, deadline);
        entry.due = true;
        entry
    }

    /// The time driver this timer registers with.
    pub(crate) fn handle(&self) -> &Handle {
        self.driver.get()
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the timer has completed (fired, or found its deadline passed when polled).
    pub(crate) fn is_elapsed(&self) -> bool {
        self.elapsed || (self.slot.is_some() && self.shared().state.load().is_fired())
    }

    fn shared(&self) -> &Arc<TimerShared> {
        self.shared
            .as_ref()
            .expect("a registered entry keeps its allocation")
    }

    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown>> {
        if let Some(slot) = self.slot {
            let shared = self.shared();
            let state = shared.state.load();
            if state.is_fired() {
                return Poll::Ready(if state.is_shutdown() {
                    Err(Shutdown)
                } else {
                    Ok(())
                });
            }
            if shared.waker.will_wake(cx.waker()) {
                // The lock-free path: firing wakes the waker we registered.
                return Poll::Pending;
            }
            // Polled from another task: leave the wheel, and register with the new waker.
            self.slot = None;
            self.handle().remove(slot);
        } else if self.elapsed {
            return Poll::Ready(Ok(()));
        }
        self.register(cx.waker())
    }

    /// Registers the current deadline with `waker`, unless it has already been processed.
    fn register(&mut self, waker: &Waker) -> Poll<Result<(), Shutdown>> {
        debug_assert!(self.slot.is_none());
        if self.handle().is_shutdown() {
            return Poll::Ready(Err(Shutdown));
        }
        let tick = self.handle().tick_of_deadline(self.deadline);
        if self.due || self.handle().has_processed(tick) {
            // Known to have passed, or fired for everyone else: no need for the lock.
            self.due = false;
            self.elapsed = true;
            return Poll::Ready(Ok(()));
        }
        let shared = self.arm(waker);
        let outcome = self.handle().insert(tick, &shared);
        self.shared = Some(shared);
        match outcome {
            Insert::Armed(slot) => {
                self.slot = Some(slot);
                Poll::Pending
            }
            Insert::Due => {
                self.elapsed = true;
                Poll::Ready(Ok(()))
            }
            Insert::Shutdown => Poll::Ready(Err(Shutdown)),
        }
    }

    /// A fresh registration for `waker`: the previous allocation if nobody else holds it (the
    /// wheel dropped its reference when the timer fired or was removed), else a spare one of
    /// this thread, else a new one.
    fn arm(&mut self, waker: &Waker) -> Arc<TimerShared> {
        let reusable = match self.shared.take() {
            Some(shared) => Some(shared),
            None => spare::take(),
        };
        if let Some(mut shared) = reusable {
            if let Some(unique) = Arc::get_mut(&mut shared) {
                unique.state.reset();
                unique.waker.clone_from(waker);
                return shared;
            }
        }
        Arc::new(TimerShared::new(waker))
    }

    /// Moves the deadline. A pending registration moves with it at once (keeping its waker, so
    /// the task is woken at the new deadline even if it does not poll in between; at once if
    /// that deadline has passed). Otherwise, or without `reregister`, the next poll registers.
    pub(crate) fn reset(&mut self, deadline: Instant, reregister: bool) {
        self.deadline = deadline;
        self.elapsed = false;
        self.due = false;
        let Some(slot) = self.slot.take() else {
            return;
        };
        if self.shared().state.load().is_fired() {
            // Its wake-up is under way or done; the next poll registers the new deadline.
            return;
        }
        if !reregister {
            self.handle().remove(slot);
            return;
        }
        let tick = self.handle().tick_of_deadline(deadline);
        if self.handle().has_processed(tick) {
            self.handle().remove(slot);
            self.elapsed = true;
            self.shared().waker.wake_by_ref();
            return;
        }
        match self.handle().reschedule(slot, tick) {
            Reschedule::Armed(slot) => self.slot = Some(slot),
            Reschedule::Due => {
                self.elapsed = true;
                self.shared().waker.wake_by_ref();
            }
            // It fired meanwhile, which wakes the task: the next poll registers anew.
            Reschedule::Gone => {}
        }
    }
}

impl TimerEntry {
    /// Moves the deadline to `deadline`, which the caller knows has passed: the next poll
    /// completes. A pending registration leaves the wheel and its task is woken.
    pub(crate) fn reset_due(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.elapsed = false;
        self.due = true;
        if let Some(slot) = self.slot.take() {
            if !self.shared().state.load().is_fired() {
                self.handle().remove(slot);
                self.shared().waker.wake_by_ref();
            }
        }
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        // Cancel: O(1), and lock-free if the timer already fired.
        if let Some(slot) = self.slot.take() {
            if !self.shared().state.load().is_fired() {
                self.handle().remove(slot);
            }
        }
        if let Some(shared) = self.shared.take() {
            spare::put(shared);
        }
    }
}

/// A few `TimerShared` allocations kept per thread, so that the common life of a timeout
/// (create, register, cancel) does not go through the allocator every time.
#[cfg(not(loom))]
mod spare {
    use super::TimerShared;
    use crate::loom::sync::Arc;
    use std::cell::RefCell;
    use std::task::Waker;

    /// Spare allocations per thread.
    const MAX: usize = 32;

    thread_local! {
        static SPARE: RefCell<Vec<Arc<TimerShared>>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn take() -> Option<Arc<TimerShared>> {
        SPARE.try_with(|s| s.borrow_mut().pop()).ok().flatten()
    }

    /// Keeps `shared` if nobody else holds it (else just drops this reference).
    pub(super) fn put(mut shared: Arc<TimerShared>) {
        let Some(unique) = Arc::get_mut(&mut shared) else {
            return;
        };
        // The task the waker belongs to must not be kept alive by a spare.
        unique.waker = Waker::noop().clone();
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < MAX {
                s.push(shared);
            }
        });
    }
}

/// Under loom, model objects must not outlive an execution: no spares.
#[cfg(loom)]
mod spare {
    use super::TimerShared;
    use crate::loom::sync::Arc;

    pub(super) fn take() -> Option<Arc<TimerShared>> {
        None
    }

    pub(super) fn put(shared: Arc<TimerShared>) {
        drop(shared);
    }
}

impl fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerEntry")
            .field("deadline", &self.deadline)
            .field("registered", &self.slot.is_some())
            .field("elapsed", &self.is_elapsed())
            .finish()
    }
}
