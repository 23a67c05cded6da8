//! The thread-local leaf state: whether this thread drives a runtime (so `block_on` can refuse to
//! nest), whether `block_in_place` may be called here, the running task's id, and its
//! cooperative budget. It names nothing above it.
//!
//! And the hub, the one place a lower layer reaches up: which runtime this thread is in lives in
//! the scheduler's slot (`rt/scheduler/context.rs`); the reactor, the time driver and io_uring
//! operations find it through the lookups re-exported here, without naming the scheduler.

use std::cell::Cell;
use std::num::NonZeroU64;

/// The hub: the current runtime's handle, for the layers below the scheduler.
pub(crate) use crate::rt::scheduler::context::{current, try_current, with_current};
/// The hub: a wake-up deferred until the scheduler running here has polled its driver.
pub(crate) use crate::rt::scheduler::defer_or_wake;

/// Units per task poll: as Tokio, enough to amortise a reschedule, small enough for fairness.
pub(crate) const INITIAL: u8 = 128;

/// The cooperative budget of the running task (`coop.rs` spends it): `None` is unconstrained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(pub(crate) Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }

    pub(crate) fn is_exhausted(self) -> bool {
        self.0 == Some(0)
    }
}

struct ThreadContext {
    /// True while this thread drives a runtime (a worker, or inside `block_on`).
    entered: Cell<bool>,
    /// True while `block_in_place` may be called here (a multi-thread worker).
    allow_block_in_place: Cell<bool>,
    /// The running task's id (`rt::task::Id`'s value: this file sits below the task).
    task_id: Cell<Option<NonZeroU64>>,
    budget: Cell<Budget>,
}

thread_local! {
    static CONTEXT: ThreadContext = const {
        ThreadContext {
            entered: Cell::new(false),
            allow_block_in_place: Cell::new(false),
            task_id: Cell::new(None),
            budget: Cell::new(Budget::unconstrained()),
        }
    };
}

/// Marks this thread as driving a runtime for the guard's lifetime (the scheduler's
/// `enter_runtime` also makes the runtime current).
pub(crate) struct EnteredGuard {
    prev_allow: bool,
    prev_budget: Budget,
}

/// Marks this thread as driving a runtime: `block_in_place` is allowed per
/// `allow_block_in_place`, and the thread's own code runs unconstrained.
///
/// # Panics
/// If this thread already drives a runtime: blocking here would stall the tasks it runs.
#[track_caller]
pub(crate) fn enter_runtime(allow_block_in_place: bool) -> EnteredGuard {
    let entered = CONTEXT.with(|ctx| ctx.entered.replace(true));
    if entered {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function \
             (like `block_on`) attempted to block the current thread while the thread is \
             being used to drive asynchronous tasks. If you are in an async function, use \
             `.await` on the future instead of blocking on it."
        );
    }
    CONTEXT.with(|ctx| EnteredGuard {
        prev_allow: ctx.allow_block_in_place.replace(allow_block_in_place),
        prev_budget: ctx.budget.replace(Budget::unconstrained()),
    })
}

impl Drop for EnteredGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| {
            ctx.entered.set(false);
            ctx.allow_block_in_place.set(self.prev_allow);
            ctx.budget.set(self.prev_budget);
        });
    }
}

/// Temporarily leaves the runtime (for `block_in_place`): `block_on` is allowed inside.
pub(crate) struct ExitRuntimeGuard {
    was_entered: bool,
}

pub(crate) fn exit_runtime() -> ExitRuntimeGuard {
    CONTEXT.with(|ctx| ExitRuntimeGuard {
        was_entered: ctx.entered.replace(false),
    })
}

impl Drop for ExitRuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| ctx.entered.set(self.was_entered));
    }
}

pub(crate) fn is_entered() -> bool {
    CONTEXT.try_with(|ctx| ctx.entered.get()).unwrap_or(false)
}

/// Restores whether `block_in_place` may be called here when dropped.
pub(crate) struct AllowBlockInPlaceGuard(Option<bool>);

/// Forbids `block_in_place` here until the guard drops: a `LocalSet` runs on this thread, and
/// its tasks cannot move to the worker's replacement thread.
pub(crate) fn disallow_block_in_place() -> AllowBlockInPlaceGuard {
    AllowBlockInPlaceGuard(
        CONTEXT
            .try_with(|ctx| ctx.allow_block_in_place.replace(false))
            .ok(),
    )
}

impl Drop for AllowBlockInPlaceGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.0 {
            let _ = CONTEXT.try_with(|ctx| ctx.allow_block_in_place.set(prev));
        }
    }
}

pub(crate) fn allows_block_in_place() -> bool {
    CONTEXT
        .try_with(|ctx| ctx.allow_block_in_place.get())
        .unwrap_or(false)
}

/// Restores the previous task id when dropped.
pub(crate) struct TaskIdGuard {
    prev: Option<NonZeroU64>,
}

pub(crate) fn set_current_task_id(id: Option<NonZeroU64>) -> TaskIdGuard {
    let prev = CONTEXT
        .try_with(|ctx| ctx.task_id.replace(id))
        .unwrap_or(None);
    TaskIdGuard { prev }
}

impl Drop for TaskIdGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| ctx.task_id.set(self.prev));
    }
}

pub(crate) fn current_task_id() -> Option<NonZeroU64> {
    CONTEXT.try_with(|ctx| ctx.task_id.get()).unwrap_or(None)
}

pub(crate) fn budget<R>(f: impl FnOnce(&Cell<Budget>) -> R) -> Option<R> {
    CONTEXT.try_with(|ctx| f(&ctx.budget)).ok()
}
