//! The scheduler's thread-local slot: which runtime this thread is in (for `spawn`,
//! `Handle::current` and the engine's lookups of the current runtime), and the per-thread
//! context of the scheduler running here. The leaf state beside it (the entered flags, the
//! running task's id, its budget) is `rt/context.rs`'s, which also hands the lookups down to
//! the layers below the scheduler (the one place a lower layer reaches up).

use crate::rt::context::{self as leaf, EnteredGuard};
use crate::rt::scheduler::{SchedulerContext, SchedulerHandle};
use std::cell::{Cell, RefCell};
use std::fmt;

struct Slot {
    /// The handle set by `Runtime::enter`/`Handle::enter` (and by the runtime's own threads).
    current: RefCell<Option<SchedulerHandle>>,
    /// Depth of nested `enter` guards, to catch guards dropped out of order.
    depth: Cell<usize>,
    /// The scheduler's per-thread context while a worker or `block_on` drives it here.
    scheduler: Cell<*const SchedulerContext>,
}

thread_local! {
    static SLOT: Slot = const {
        Slot {
            current: RefCell::new(None),
            depth: Cell::new(0),
            scheduler: Cell::new(std::ptr::null()),
        }
    };
}

/// The handle of the runtime this thread is in, if any.
pub(crate) fn try_current() -> Result<SchedulerHandle, TryCurrentErrorKind> {
    SLOT.try_with(|slot| slot.current.borrow().clone())
        .map_err(|_| TryCurrentErrorKind::ThreadLocalDestroyed)?
        .ok_or(TryCurrentErrorKind::NoContext)
}

/// Runs `f` with the handle of the runtime this thread is in, without cloning it; `None` if
/// there is none.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&SchedulerHandle>) -> R) -> R {
    let mut f = Some(f);
    SLOT.try_with(|slot| (f.take().expect("called once"))(slot.current.borrow().as_ref()))
        .unwrap_or_else(|_| (f.take().expect("not called"))(None))
}

/// The handle of the runtime this thread is in.
///
/// # Panics
/// Outside a runtime (with the message of `runtime::TryCurrentError`).
#[track_caller]
pub(crate) fn current() -> SchedulerHandle {
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
                "there is no reactor running, must be called from the context of a Tokio 1.x runtime",
            ),
            TryCurrentErrorKind::ThreadLocalDestroyed => {
                f.write_str("the Tandem context thread-local variable has been destroyed")
            }
        }
    }
}

/// Restores the previous current handle when dropped.
pub(crate) struct SetCurrentGuard {
    prev: Option<SchedulerHandle>,
    depth: usize,
}

/// During thread-local destruction (a runtime kept in a `thread_local!`), the slot may be gone:
/// the guard then sets and restores nothing.
pub(crate) fn set_current(handle: &SchedulerHandle) -> SetCurrentGuard {
    SLOT.try_with(|slot| {
        let prev = slot.current.borrow_mut().replace(handle.clone());
        let depth = slot.depth.get() + 1;
        slot.depth.set(depth);
        SetCurrentGuard { prev, depth }
    })
    // Lazily: an unused guard would still run its `Drop`.
    .unwrap_or_else(|_| SetCurrentGuard {
        prev: None,
        depth: 0,
    })
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let _ = SLOT.try_with(|slot| {
            if slot.depth.get() != self.depth && !std::thread::panicking() {
                panic!(
                    "`EnterGuard` values dropped out of order. Guards returned by \
                     `tandem::runtime::Handle::enter()` must be dropped in the reverse \
                     order as they were acquired."
                );
            }
            *slot.current.borrow_mut() = self.prev.take();
            slot.depth.set(self.depth - 1);
        });
    }
}

/// Marks this thread as driving a runtime, with it current, for the guard's lifetime.
pub(crate) struct EnterRuntimeGuard {
    // Fields drop in order: the leaf flags and budget first, then the current handle.
    _entered: EnteredGuard,
    _current: SetCurrentGuard,
}

/// Enters a runtime to drive it.
///
/// # Panics
/// If this thread already drives a runtime: blocking here would stall the tasks it runs.
#[track_caller]
pub(crate) fn enter_runtime(
    handle: &SchedulerHandle,
    allow_block_in_place: bool,
) -> EnterRuntimeGuard {
    let entered = leaf::enter_runtime(allow_block_in_place);
    EnterRuntimeGuard {
        _entered: entered,
        _current: set_current(handle),
    }
}

/// Runs `f` with `cx` as this thread's scheduler context, restoring the previous one after.
pub(crate) fn set_scheduler<R>(cx: &SchedulerContext, f: impl FnOnce() -> R) -> R {
    struct Reset(*const SchedulerContext);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = SLOT.try_with(|slot| slot.scheduler.set(self.0));
        }
    }
    let prev = SLOT.with(|slot| slot.scheduler.replace(cx as *const _));
    let _reset = Reset(prev);
    f()
}

/// Calls `f` with this thread's scheduler context, if a scheduler runs here.
pub(crate) fn with_scheduler<R>(f: impl FnOnce(Option<&SchedulerContext>) -> R) -> R {
    let ptr = SLOT
        .try_with(|slot| slot.scheduler.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: the pointer is set only by `set_scheduler`, which borrows the context for the whole
    // time the pointer is installed and restores the previous value before returning.
    f(unsafe { ptr.as_ref() })
}
