//! The memory of one task: a single heap allocation holding the header, the scheduler handle and
//! the future or its output.
//!
//! `Cell` is `#[repr(C)]` with the header first, so a `NonNull<Header>` is also a pointer to the
//! cell; the type-erased vtable in the header recovers the concrete `Cell<T, S>`.

use super::error::JoinError;
use super::id::Id;
use super::raw::Vtable;
use super::state::State;
use crate::loom::cell::UnsafeCell;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// The whole allocation of a task.
#[repr(C)]
pub(super) struct Cell<T: Future, S> {
    pub(super) header: Header,
    pub(super) core: Core<T, S>,
}

/// The type-independent part of a task, reachable from a `NonNull<Header>`.
#[repr(C)]
pub(crate) struct Header {
    pub(super) state: State,
    /// Intrusive link for the injection queue; touched only under that queue's lock.
    pub(crate) queue_next: UnsafeCell<Option<NonNull<Header>>>,
    /// Intrusive links for the owned-tasks list; touched only under that list shard's lock.
    pub(super) owned_prev: UnsafeCell<Option<NonNull<Header>>>,
    pub(super) owned_next: UnsafeCell<Option<NonNull<Header>>>,
    pub(super) vtable: &'static Vtable,
    pub(super) id: Id,
    /// The `JoinHandle`'s waker; ownership rules in `state.rs`.
    pub(super) join_waker: UnsafeCell<Option<Waker>>,
}

/// The typed part: who schedules the task and what it computes.
pub(super) struct Core<T: Future, S> {
    pub(super) scheduler: S,
    pub(super) stage: UnsafeCell<Stage<T>>,
}

/// The future, then its output, then nothing once the output has been taken or dropped.
pub(super) enum Stage<T: Future> {
    Running(T),
    Finished(Result<T::Output, JoinError>),
    Consumed,
}

impl<T: Future, S> Cell<T, S> {
    pub(super) fn new(future: T, scheduler: S, refs: usize, id: Id) -> Box<Cell<T, S>>
    where
        S: super::Schedule,
    {
        Box::new(Cell {
            header: Header {
                state: State::new(refs),
                queue_next: UnsafeCell::new(None),
                owned_prev: UnsafeCell::new(None),
                owned_next: UnsafeCell::new(None),
                vtable: super::raw::vtable::<T, S>(),
                id,
                join_waker: UnsafeCell::new(None),
            },
            core: Core {
                scheduler,
                stage: UnsafeCell::new(Stage::Running(future)),
            },
        })
    }
}

impl<T: Future, S> Core<T, S> {
    /// Polls the future.
    ///
    /// # Safety
    /// The caller holds RUNNING (see `state.rs`), so it has exclusive access to the stage, and the
    /// stage is `Running`.
    pub(super) unsafe fn poll(&self, id: Id, cx: &mut Context<'_>) -> Poll<T::Output> {
        self.stage.with_mut(|ptr| {
            // SAFETY: exclusive access to the stage by this function's contract.
            let Stage::Running(future) = (unsafe { &mut *ptr }) else {
                unreachable!("polling a task whose future is gone");
            };
            // SAFETY: the future lives inside the task's heap cell and never moves: it leaves the
            // slot only by `drop_stage`, which drops it in place.
            let future = unsafe { Pin::new_unchecked(future) };
            let _guard = crate::rt::context::set_current_task_id(Some(id.as_non_zero()));
            future.poll(cx)
        })
    }

    /// Drops the future or the output, whichever is there, where it lies, and leaves the slot
    /// `Consumed`. A future that has been polled is pinned: it must not move before its
    /// destructor has run (futures that linked their own address into an intrusive list, such
    /// as the waiters of `tandem::sync::Mutex`, unlink that address in `Drop`).
    ///
    /// # Safety
    /// The caller has exclusive access to the stage (see `state.rs`).
    pub(super) unsafe fn drop_stage(&self, id: Id) {
        let _guard = crate::rt::context::set_current_task_id(Some(id.as_non_zero()));
        self.stage.with_mut(|ptr| {
            // Declared before the drop, so it also runs if a destructor unwinds.
            let _consumed = ConsumeOnExit(ptr);
            // SAFETY: exclusive access by this function's contract, and the slot holds a valid
            // stage (every write to it is a whole `Stage`). It is dropped once, here: the guard
            // overwrites it afterwards without dropping it, whether this returns or unwinds.
            unsafe { std::ptr::drop_in_place(ptr) };
        });
    }

    /// # Safety
    /// The caller has exclusive access to the stage and the stage is `Consumed`.
    pub(super) unsafe fn store_output(&self, output: Result<T::Output, JoinError>) {
        // SAFETY: exclusive access by this function's contract.
        self.stage
            .with_mut(|ptr| unsafe { *ptr = Stage::Finished(output) });
    }

    /// Moves the output out, leaving the slot `Consumed`. Only an output ever moves out of the
    /// slot; the future is never moved (see `drop_stage`).
    ///
    /// # Safety
    /// The caller has exclusive access to the stage (the `JoinHandle` after COMPLETE).
    pub(super) unsafe fn take_output(&self) -> Result<T::Output, JoinError> {
        self.stage.with_mut(|ptr| {
            // SAFETY: exclusive access by this function's contract.
            let stage = unsafe { &mut *ptr };
            match stage {
                Stage::Finished(_) => {}
                Stage::Consumed => panic!("JoinHandle polled after completion"),
                Stage::Running(_) => {
                    unreachable!("COMPLETE is set only after the future is dropped")
                }
            }
            match std::mem::replace(stage, Stage::Consumed) {
                Stage::Finished(output) => output,
                _ => unreachable!("the stage was `Finished` just above"),
            }
        })
    }
}

/// Writes `Consumed` into a stage slot whose value was dropped in place, when it goes out of
/// scope: after the drop returns, and also while a panicking destructor unwinds (the drop glue
/// has then dropped the rest of the value), so the old value is never dropped twice.
struct ConsumeOnExit<T: Future>(*mut Stage<T>);

impl<T: Future> Drop for ConsumeOnExit<T> {
    fn drop(&mut self) {
        // SAFETY: the guard lives only inside `drop_stage`, whose caller has exclusive access to
        // the slot; the value there has been dropped in place, so it is overwritten without
        // being read or dropped again.
        unsafe { std::ptr::write(self.0, Stage::Consumed) };
    }
}

impl Header {
    /// # Safety
    /// The caller owns the join waker slot (see `state.rs`).
    pub(super) unsafe fn set_join_waker(&self, waker: Option<Waker>) {
        // SAFETY: exclusive access by this function's contract.
        self.join_waker.with_mut(|ptr| unsafe { *ptr = waker });
    }

    /// # Safety
    /// JOIN_WAKER is set and the caller may read the slot (see `state.rs`).
    pub(super) unsafe fn join_waker_will_wake(&self, waker: &Waker) -> bool {
        // SAFETY: shared read access by this function's contract.
        self.join_waker.with(|ptr| match unsafe { &*ptr } {
            Some(existing) => existing.will_wake(waker),
            None => unreachable!("JOIN_WAKER set with an empty slot"),
        })
    }

    /// # Safety
    /// As `join_waker_will_wake`.
    pub(super) unsafe fn wake_join(&self) {
        // SAFETY: shared read access by this function's contract.
        self.join_waker.with(|ptr| match unsafe { &*ptr } {
            Some(waker) => waker.wake_by_ref(),
            None => unreachable!("JOIN_WAKER set with an empty slot"),
        })
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }
}
