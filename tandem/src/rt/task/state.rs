//! The task state word: the only place that does read-modify-write on it.
//!
//! | bits  | name          | meaning                                                              |
//! |-------|---------------|----------------------------------------------------------------------|
//! | 0     | RUNNING       | a thread holds the right to touch the future (polling or cancelling) |
//! | 1     | COMPLETE      | the output (or error) is stored; once set, never unset               |
//! | 2     | NOTIFIED      | a `Notified` for this task exists in some run queue (or will)        |
//! | 3     | CANCELLED     | abort or shutdown asked; once set, never unset                       |
//! | 4     | JOIN_INTEREST | a `JoinHandle` exists; cleared when it is dropped                    |
//! | 5     | JOIN_WAKER    | the join waker slot holds a waker the runtime may read               |
//! | 6..   | refcount      | number of `Task`/`Notified`/`Waker`/handle references                |
//!
//! Who may touch what:
//! - The future/output slot (`Stage`) belongs to whoever set RUNNING, until COMPLETE is set; after
//!   that, to the `JoinHandle` while JOIN_INTEREST is set, else to the completing thread.
//! - The join waker slot belongs to the `JoinHandle` while JOIN_WAKER is clear and COMPLETE is
//!   clear; while JOIN_WAKER is set the runtime may read it; once COMPLETE is set the runtime may
//!   clear JOIN_WAKER, after which the slot belongs to whichever side still has interest.
//!
//! Orderings: every transition is an `AcqRel` read-modify-write, so each one sees the writes that
//! the previous owner of the stage or waker slot made before its own transition. The reference
//! count decrement is `AcqRel` too, so the last reference sees everything before deallocating.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::fmt;

const RUNNING: usize = 0b00_0001;
const COMPLETE: usize = 0b00_0010;
const NOTIFIED: usize = 0b00_0100;
const CANCELLED: usize = 0b00_1000;
const JOIN_INTEREST: usize = 0b01_0000;
const JOIN_WAKER: usize = 0b10_0000;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !(REF_ONE - 1);

/// The atomic state word of one task.
pub(crate) struct State {
    val: AtomicUsize,
}

/// A snapshot of the state word.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the caller of [`State::transition_to_running`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// The task was cancelled: drop the future and complete with a cancellation error.
    Cancelled,
    /// Someone else runs it or it is complete; the notification's reference was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: deallocate.
    Dealloc,
}

/// What the caller of [`State::transition_to_idle`] must do.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Nothing: the task waits for a wake-up (the poll's reference was released).
    Ok,
    /// Woken while polled: reschedule it; the poll's reference now belongs to the new notification.
    OkNotified,
    /// Idle and that was the last reference: deallocate.
    OkDealloc,
    /// Cancelled while polled: the caller still holds RUNNING and must cancel the task.
    Cancelled,
}

/// What a waker must do after [`State::transition_to_notified_by_val`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByVal {
    /// Nothing to schedule; the waker's reference was released.
    DoNothing,
    /// Schedule the task; the waker's reference moved into the notification.
    Submit,
    /// Nothing to schedule and that was the last reference: deallocate.
    Dealloc,
}

/// What a waker must do after [`State::transition_to_notified_by_ref`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByRef {
    DoNothing,
    /// Schedule the task; a new reference was created for the notification.
    Submit,
}

impl State {
    /// A new task: referenced `refs` times (list/handle/notification), notified once, with a
    /// `JoinHandle`.
    pub(crate) fn new(refs: usize) -> State {
        State {
            val: AtomicUsize::new((refs * REF_ONE) | NOTIFIED | JOIN_INTEREST),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// A notification is being run: claim the future.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            assert!(next.is_notified(), "running a task that was not notified");
            if next.is_running() || next.is_complete() {
                // The notification is stale; drop its reference.
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            next.0 &= !NOTIFIED;
            next.0 |= RUNNING;
            let action = if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// The poll returned `Pending`: release the future. With `notify`, the task is notified in
    /// the same step (it yielded), and the poll's reference becomes the notification.
    pub(crate) fn transition_to_idle(&self, notify: bool) -> TransitionToIdle {
        self.fetch_update_action(|mut next| {
            assert!(
                next.is_running(),
                "transition_to_idle on a task that is not running"
            );
            if next.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            next.0 &= !RUNNING;
            if notify {
                // The poll asked to run again (`yield_now`): as a wake by reference during the
                // poll would, in the same read-modify-write.
                next.0 |= NOTIFIED;
            }
            if next.is_notified() {
                // The poll's reference is handed to the new notification.
                return (TransitionToIdle::OkNotified, Some(next));
            }
            next.ref_dec();
            let action = if next.ref_count() == 0 {
                TransitionToIdle::OkDealloc
            } else {
                TransitionToIdle::Ok
            };
            (action, Some(next))
        })
    }

    /// The output is stored: set COMPLETE and clear RUNNING. Returns the new snapshot.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        const DELTA: usize = RUNNING | COMPLETE;
        let prev = Snapshot(self.val.fetch_xor(DELTA, AcqRel));
        assert!(prev.is_running(), "completing a task that is not running");
        assert!(!prev.is_complete(), "completing a task twice");
        Snapshot(prev.0 ^ DELTA)
    }

    /// Drop `count` references after completion. Returns true if the task must be deallocated.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A waker consumed by `wake()` (owning one reference) notifies the task.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotifiedByVal {
        self.fetch_update_action(|mut next| {
            if next.is_running() {
                // The poller will see NOTIFIED and reschedule; the running reference keeps the
                // task alive, so this cannot be the last reference.
                next.0 |= NOTIFIED;
                next.ref_dec();
                assert!(next.ref_count() > 0);
                (TransitionToNotifiedByVal::DoNothing, Some(next))
            } else if next.is_complete() || next.is_notified() {
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToNotifiedByVal::Dealloc
                } else {
                    TransitionToNotifiedByVal::DoNothing
                };
                (action, Some(next))
            } else {
                next.0 |= NOTIFIED;
                (TransitionToNotifiedByVal::Submit, Some(next))
            }
        })
    }

    /// A borrowed waker (`wake_by_ref`) notifies the task.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotifiedByRef {
        self.fetch_update_action(|mut next| {
            if next.is_complete() || next.is_notified() {
                (TransitionToNotifiedByRef::DoNothing, None)
            } else if next.is_running() {
                next.0 |= NOTIFIED;
                (TransitionToNotifiedByRef::DoNothing, Some(next))
            } else {
                next.0 |= NOTIFIED;
                next.ref_inc();
                (TransitionToNotifiedByRef::Submit, Some(next))
            }
        })
    }

    /// `abort()`: mark CANCELLED. Returns true if the caller must schedule the task (it was idle,
    /// so nobody else would notice the cancellation); a reference was added for that notification.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update_action(|mut next| {
            if next.is_cancelled() || next.is_complete() {
                (false, None)
            } else if next.is_running() || next.is_notified() {
                // The poller (transition_to_idle) or the queued notification
                // (transition_to_running) will see CANCELLED.
                next.0 |= CANCELLED | NOTIFIED;
                (false, Some(next))
            } else {
                next.0 |= CANCELLED | NOTIFIED;
                next.ref_inc();
                (true, Some(next))
            }
        })
    }

    /// Runtime shutdown: mark CANCELLED, and claim RUNNING if the task is idle. Returns true if
    /// the caller claimed it and must cancel it now.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        let mut claimed = false;
        let _ = self.fetch_update(|mut next| {
            claimed = false;
            if !next.is_running() && !next.is_complete() {
                next.0 |= RUNNING;
                claimed = true;
            }
            next.0 |= CANCELLED;
            Some(next)
        });
        claimed
    }

    /// The `JoinHandle` is dropped. Returns `(drop_output, drop_waker)`: whether the handle now
    /// owns the output (the task completed) and the join waker slot (JOIN_WAKER is clear).
    pub(crate) fn transition_to_join_handle_dropped(&self) -> (bool, bool) {
        let next = self
            .fetch_update(|mut next| {
                assert!(next.is_join_interested());
                next.0 &= !JOIN_INTEREST;
                if !next.is_complete() {
                    // Before completion the handle may take the waker slot back.
                    next.0 &= !JOIN_WAKER;
                }
                Some(next)
            })
            .expect("closure always returns Some");
        // If COMPLETE and JOIN_WAKER are both still set, the completing thread has yet to call
        // `unset_waker_after_complete`; it will see no interest and drop the waker itself.
        (next.is_complete(), !next.is_join_waker_set())
    }

    /// The `JoinHandle` stored a waker in the slot: publish it. Fails (returning the snapshot) if
    /// the task completed meanwhile; the handle then still owns the slot.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut next| {
            assert!(next.is_join_interested());
            assert!(!next.is_join_waker_set());
            if next.is_complete() {
                return None;
            }
            next.0 |= JOIN_WAKER;
            Some(next)
        })
    }

    /// The `JoinHandle` wants to replace its waker: take the slot back. Fails if complete.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update(|mut next| {
            assert!(next.is_join_interested());
            if next.is_complete() {
                // The completing thread may already have cleared JOIN_WAKER
                // (`unset_waker_after_complete`), so check COMPLETE before asserting it.
                return None;
            }
            assert!(next.is_join_waker_set());
            next.0 &= !JOIN_WAKER;
            Some(next)
        })
    }

    /// After completion and waking the join waker, the runtime gives the slot back.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel));
        assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self
            .val
            .fetch_add(REF_ONE, std::sync::atomic::Ordering::Relaxed);
        // Relaxed: a new reference is made from an existing one, which already synchronises
        // with the task's creation (as `Arc::clone`). Overflow would be a use-after-free.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference. Returns true if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }

    /// Drops two references (a notification that is also the owned reference). True if last.
    pub(crate) fn ref_dec_twice(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(2 * REF_ONE, AcqRel));
        assert!(prev.ref_count() >= 2, "task reference count underflow");
        prev.ref_count() == 2
    }

    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (output, next) = f(curr);
            let Some(next) = next else { return output };
            match self.val.compare_exchange(curr.0, next.0, AcqRel, Acquire) {
                Ok(_) => return output,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    fn fetch_update(
        &self,
        mut f: impl FnMut(Snapshot) -> Option<Snapshot>,
    ) -> Result<Snapshot, Snapshot> {
        let mut curr = self.load();
        loop {
            let Some(next) = f(curr) else {
                return Err(curr);
            };
            match self.val.compare_exchange(curr.0, next.0, AcqRel, Acquire) {
                Ok(_) => return Ok(next),
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}
