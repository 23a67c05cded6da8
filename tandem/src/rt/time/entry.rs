//! A timer as a `Sleep` holds it: [`TimerEntry`].
//!
//! The entry registers lazily: creating and dropping a `Sleep` that was never polled touches
//! no lock. The first poll puts a clone of the task's waker in the wheel of the polling
//! thread's shard, and nothing else: whether the timer has fired is read from the time
//! driver's `processed` tick, not from a per-timer word, so a registration allocates nothing
//! beyond the wheel's arena cell and a poll of a pending timer reads one shared atomic. A
//! later poll with a waker that would not wake the registered one (the `Sleep` moved to
//! another task) takes the entry out of the wheel and registers anew.

use super::handle::{Insert, Reschedule, Slot, TimeHandle, TimeRef};
use std::fmt;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The runtime shut down while the timer was pending (or before it registered).
#[derive(Debug)]
pub(crate) struct Shutdown;

/// A timer owned by a `Sleep`.
pub(crate) struct TimerEntry {
    driver: TimeRef,
    deadline: Instant,
    /// Where the current registration sits: `Some` iff a clone of `registered`'s waker was put
    /// in the wheel for the current deadline and this entry has not taken it out since. It may
    /// have fired since: the driver's `processed` tick reaching `tick` says so.
    slot: Option<Slot>,
    /// The tick the current registration fires at (meaningful while `slot` is `Some`).
    tick: u64,
    /// The registered waker's identity (its data and vtable pointers), to tell a poll with the
    /// same waker from one with another without reading the wheel. The wheel's clone keeps
    /// the waker alive while `slot` is `Some` and the timer has not fired, so the pointers
    /// cannot be reused by another waker while they are compared.
    registered: WakerId,
    /// The timer completed without a registration (its deadline was known to have passed).
    elapsed: bool,
    /// The deadline is known to have passed (the caller read the clock): the next poll
    /// completes without looking at the wheel.
    due: bool,
}

/// The addresses `Waker::will_wake` compares (its data and vtable pointers), kept as numbers:
/// they are compared, never followed.
#[derive(Clone, Copy, PartialEq, Eq)]
struct WakerId(usize, usize);

impl WakerId {
    const NONE: WakerId = WakerId(0, 0);

    fn of(waker: &Waker) -> WakerId {
        WakerId(
            waker.data() as usize,
            std::ptr::from_ref(waker.vtable()) as usize,
        )
    }
}

impl TimerEntry {
    pub(crate) fn new(driver: impl Into<TimeRef>, deadline: Instant) -> TimerEntry {
        TimerEntry {
            driver: driver.into(),
            deadline,
            slot: None,
            tick: 0,
            registered: WakerId::NONE,
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
    pub(crate) fn handle(&self) -> &TimeHandle {
        self.driver.get()
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the timer has completed (fired, found its deadline passed when polled, or
    /// taken out by the runtime's shutdown).
    pub(crate) fn is_elapsed(&self) -> bool {
        self.elapsed || (self.slot.is_some() && (self.has_fired() || self.handle().is_shutdown()))
    }

    /// The registration has left the wheel by its deadline. Only meaningful while `slot` is
    /// `Some`.
    fn has_fired(&self) -> bool {
        self.handle().has_processed(self.tick)
    }

    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown>> {
        if let Some(slot) = self.slot {
            if self.has_fired() {
                return Poll::Ready(Ok(()));
            }
            if self.handle().is_shutdown() {
                // Shutdown took every entry out of the wheel and woke it.
                return Poll::Ready(Err(Shutdown));
            }
            if self.registered == WakerId::of(cx.waker()) {
                // The lock-free path: firing wakes the waker we registered.
                return Poll::Pending;
            }
            // Polled from another task: leave the wheel, and register with the new waker.
            self.slot = None;
            if !self.handle().remove(slot) {
                // It left the wheel by its deadline meanwhile (`process` is between taking it
                // out and publishing `processed`): it has fired.
                return Poll::Ready(Ok(()));
            }
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
        match self.handle().insert(tick, waker) {
            Insert::Armed(slot) => {
                self.slot = Some(slot);
                self.tick = tick;
                self.registered = WakerId::of(waker);
                Poll::Pending
            }
            Insert::Due => {
                self.elapsed = true;
                Poll::Ready(Ok(()))
            }
            Insert::Shutdown => Poll::Ready(Err(Shutdown)),
        }
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
        if self.has_fired() {
            // Its wake-up is under way or done; the next poll registers the new deadline.
            return;
        }
        if !reregister {
            self.handle().remove(slot);
            return;
        }
        let tick = self.handle().tick_of_deadline(deadline);
        if self.handle().has_processed(tick) {
            if let Some(waker) = self.handle().take(slot) {
                self.elapsed = true;
                waker.wake();
            }
            // Else it fired meanwhile, which wakes the task: the next poll completes.
            return;
        }
        match self.handle().reschedule(slot, tick) {
            Reschedule::Armed(slot) => {
                self.slot = Some(slot);
                self.tick = tick;
            }
            Reschedule::Due(waker) => {
                self.elapsed = true;
                waker.wake();
            }
            // It fired meanwhile, which wakes the task: the next poll registers anew.
            Reschedule::Gone => {}
        }
    }

    /// Moves the deadline to `deadline`, which the caller knows has passed: the next poll
    /// completes. A pending registration leaves the wheel and its task is woken.
    pub(crate) fn reset_due(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.elapsed = false;
        self.due = true;
        if let Some(slot) = self.slot.take() {
            if !self.has_fired() {
                if let Some(waker) = self.handle().take(slot) {
                    waker.wake();
                }
            }
        }
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        // Cancel: O(1), and lock-free if the timer already fired.
        if let Some(slot) = self.slot.take() {
            if !self.has_fired() {
                self.handle().remove(slot);
            }
        }
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
