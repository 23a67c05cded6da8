//! The thread-local runtime context: which runtime this thread is in (for `spawn` and
//! `Handle::current`), whether it is driving one (so `block_on` can refuse to nest), the worker
//! context of the scheduler running here, the running task's id, and its cooperative budget.

use crate::rt::scheduler;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::num::NonZeroU64;

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

struct Context {
    /// The handle set by `Runtime::enter`/`Handle::enter` (and by the runtime's own threads).
    current: RefCell<Option<scheduler::Handle>>,
    /// Depth of nested `enter` guards, to catch guards dropped out of order.
    depth: Cell<usize>,
    /// The scheduler's per-thread context while a worker or `block_on` drives it here.
    scheduler: Cell<*const scheduler::Context>,
    /// True while this thread drives a runtime (a worker, or inside `block_on`).
    entered: Cell<bool>,
    /// True while `block_in_place` may be called here (a multi-thread worker).
    allow_block_in_place: Cell<bool>,
    /// The running task's id (`rt::task::Id`'s value: this file sits below the task).
    task_id: Cell<Option<NonZeroU64>>,
    budget: Cell<Budget>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            current: RefCell::new(None),
            depth: Cell::new(0),
            scheduler: Cell::new(std::ptr::null()),
            entered: Cell::new(false),
            allow_block_in_place: Cell::new(false),
            task_id: Cell::new(None),
            budget: Cell::new(Budget::unconstrained()),
        }
    };
}

/// The handle of the runtime this thread is in, if any.
pub(crate) fn try_current() -> Result<scheduler::Handle, TryCurrentErrorKind> {
    CONTEXT
        .try_with(|ctx| ctx.current.borrow().clone())
        .map_err(|_| TryCurrentErrorKind::ThreadLocalDestroyed)?
        .ok_or(TryCurrentErrorKind::NoContext)
}

/// Runs `f` with the handle of the runtime this thread is in, without cloning it; `None` if
/// there is none.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&scheduler::Handle>) -> R) -> R {
    let mut f = Some(f);
    CONTEXT
        .try_with(|ctx| (f.take().expect("called once"))(ctx.current.borrow().as_ref()))
        .unwrap_or_else(|_| (f.take().expect("not called"))(None))
}

/// The handle of the runtime this thread is in.
///
/// # Panics
/// Outside a runtime (with the message of `runtime::TryCurrentError`).
#[track_caller]
pub(crate) fn current() -> scheduler::Handle {
    match try_current() {
        Ok(handle) => handle,
        Err(kind) => panic!("{kind}"),
    }
}

/// Why there is no current runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryCurrentErrorKind {
    NoContext,
    ThreadLocalDestroyed,
}

impl fmt::Display for TryCurrentErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryCurrentErrorKind::NoContext => f.write_str(
                "there is no reactor running, must be called from the context of a Tandem runtime",
            ),
            TryCurrentErrorKind::ThreadLocalDestroyed => {
                f.write_str("the Tandem context thread-local variable has been destroyed")
            }
        }
    }
}

/// Restores the previous current handle when dropped.
pub(crate) struct SetCurrentGuard {
    prev: Option<scheduler::Handle>,
    depth: usize,
}

pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    CONTEXT.with(|ctx| {
        let prev = ctx.current.borrow_mut().replace(handle.clone());
        let depth = ctx.depth.get() + 1;
        ctx.depth.set(depth);
        SetCurrentGuard { prev, depth }
    })
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| {
            if ctx.depth.get() != self.depth && !std::thread::panicking() {
                panic!(
                    "`EnterGuard` values dropped out of order. Guards returned by \
                     `tandem::runtime::Handle::enter()` must be dropped in the reverse \
                     order as they were acquired."
                );
            }
            *ctx.current.borrow_mut() = self.prev.take();
            ctx.depth.set(self.depth - 1);
        });
    }
}

/// Marks this thread as driving a runtime for the guard's lifetime.
pub(crate) struct EnterRuntimeGuard {
    _current: SetCurrentGuard,
    prev_allow: bool,
    prev_budget: Budget,
}

/// Enters a runtime to drive it.
///
/// # Panics
/// If this thread already drives a runtime: blocking here would stall the tasks it runs.
#[track_caller]
pub(crate) fn enter_runtime(
    handle: &scheduler::Handle,
    allow_block_in_place: bool,
) -> EnterRuntimeGuard {
    let entered = CONTEXT.with(|ctx| ctx.entered.replace(true));
    if entered {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function \
             (like `block_on`) attempted to block the current thread while the thread is \
             being used to drive asynchronous tasks."
        );
    }
    let current = set_current(handle);
    CONTEXT.with(|ctx| EnterRuntimeGuard {
        _current: current,
        prev_allow: ctx.allow_block_in_place.replace(allow_block_in_place),
        prev_budget: ctx.budget.replace(Budget::unconstrained()),
    })
}

impl Drop for EnterRuntimeGuard {
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

pub(crate) fn allows_block_in_place() -> bool {
    CONTEXT
        .try_with(|ctx| ctx.allow_block_in_place.get())
        .unwrap_or(false)
}

/// Runs `f` with `cx` as this thread's scheduler context, restoring the previous one after.
pub(crate) fn set_scheduler<R>(cx: &scheduler::Context, f: impl FnOnce() -> R) -> R {
    struct Reset(*const scheduler::Context);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CONTEXT.try_with(|ctx| ctx.scheduler.set(self.0));
        }
    }
    let prev = CONTEXT.with(|ctx| ctx.scheduler.replace(cx as *const _));
    let _reset = Reset(prev);
    f()
}

/// Calls `f` with this thread's scheduler context, if a scheduler runs here.
pub(crate) fn with_scheduler<R>(f: impl FnOnce(Option<&scheduler::Context>) -> R) -> R {
    let ptr = CONTEXT
        .try_with(|ctx| ctx.scheduler.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: the pointer is set only by `set_scheduler`, which borrows the context for the whole
    // time the pointer is installed and restores the previous value before returning.
    f(unsafe { ptr.as_ref() })
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
