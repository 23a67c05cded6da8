//! The typed task logic: poll, cancel, complete, join. Each function follows the transitions of
//! `state.rs`; the comments name which reference each step consumes.

use super::core::{Cell, Core, Header};
use super::error::JoinError;
use super::raw::RawTask;
use super::state::{TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{Notified, Schedule, Task};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

pub(super) struct Harness<T: Future, S: 'static> {
    cell: NonNull<Cell<T, S>>,
}

/// Drops a task's stage if the poll it guards unwinds (see `Harness::poll_future`).
struct DropStageOnUnwind<'a, T: Future, S: 'static> {
    core: &'a Core<T, S>,
    id: super::Id,
}

impl<T: Future, S: 'static> Drop for DropStageOnUnwind<'_, T, S> {
    fn drop(&mut self) {
        // SAFETY: the guard lives only across a poll, which holds RUNNING: this thread owns the
        // stage (`drop_stage` leaves it `Consumed`, so the later drop in `drop_future_then` is
        // a no-op).
        unsafe { self.core.drop_stage(self.id) };
    }
}

impl<T: Future, S: Schedule> Harness<T, S> {
    /// # Safety
    /// `ptr` is the header of a live `Cell<T, S>`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Harness<T, S> {
        Harness { cell: ptr.cast() }
    }

    fn header(&self) -> &Header {
        // SAFETY: the cell is live while the harness is used (`from_raw`'s contract).
        unsafe { &self.cell.as_ref().header }
    }

    fn core(&self) -> &Core<T, S> {
        // SAFETY: as `header`.
        unsafe { &self.cell.as_ref().core }
    }

    fn raw(&self) -> RawTask {
        // SAFETY: the cell is live.
        unsafe { RawTask::from_raw(self.cell.cast()) }
    }

    /// Runs one notification. Consumes the notification's reference.
    pub(super) fn poll(self) {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success => {
                let header_ptr = self.cell.cast::<Header>();
                // SAFETY: the poll reference keeps the task alive while the borrowed waker exists.
                let waker = unsafe { waker_ref(header_ptr) };
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(output) = self.poll_future(&mut cx) {
                    self.finish(output);
                    return;
                }
                let yielded = self.core().scheduler.take_yield_request(header_ptr);
                match self.header().state.transition_to_idle(yielded) {
                    TransitionToIdle::Ok => {}
                    TransitionToIdle::OkNotified => {
                        // The poll reference becomes the new notification. A task woken while it
                        // ran goes to the back of the queue, so it cannot monopolise the worker;
                        // one that yielded waits for the scheduler's deferred wake-ups.
                        let notified = Notified(Task::from_raw(self.raw()));
                        if yielded {
                            self.core().scheduler.defer_yield(notified);
                        } else {
                            self.core().scheduler.yield_now(notified);
                        }
                    }
                    // SAFETY: no reference is left.
                    TransitionToIdle::OkDealloc => unsafe { self.raw().dealloc() },
                    TransitionToIdle::Cancelled => self.cancel_and_complete(),
                }
            }
            TransitionToRunning::Cancelled => self.cancel_and_complete(),
            TransitionToRunning::Failed => {}
            // SAFETY: no reference is left.
            TransitionToRunning::Dealloc => unsafe { self.raw().dealloc() },
        }
    }

    /// Polls the future, catching a panic. On `Ready`, the future has been dropped already (its
    /// destructor runs before completion is observable) and the result is returned.
    fn poll_future(&self, cx: &mut Context<'_>) -> Poll<Result<T::Output, JoinError>> {
        let id = self.header().id;
        let core = self.core();
        let res = catch_unwind(AssertUnwindSafe(|| {
            // A poll that panics drops its future while the panic unwinds, as Tokio's: the
            // future's destructor sees `thread::panicking()` (and a second panic there aborts,
            // as anywhere during unwinding). `drop_future_then` below then finds it consumed.
            let guard = DropStageOnUnwind { core, id };
            // SAFETY: we hold RUNNING and the stage is `Running` (only completion changes it).
            let res = unsafe { core.poll(id, cx) };
            std::mem::forget(guard);
            res
        }));
        let output = match res {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::panic(id, payload)),
        };
        Poll::Ready(self.drop_future_then(output))
    }

    /// Drops the future; a panic in its destructor replaces `output` with that panic.
    fn drop_future_then(
        &self,
        output: Result<T::Output, JoinError>,
    ) -> Result<T::Output, JoinError> {
        let id = self.header().id;
        let core = self.core();
        // SAFETY: we hold RUNNING, so we own the stage.
        match catch_unwind(AssertUnwindSafe(|| unsafe { core.drop_stage(id) })) {
            Ok(()) => output,
            Err(payload) => {
                // The output (if any) is discarded: dropping it may panic too, contained here.
                let _ = catch_unwind(AssertUnwindSafe(move || drop(output)));
                Err(JoinError::panic(id, payload))
            }
        }
    }

    /// We hold RUNNING and CANCELLED is set: drop the future, store the error, complete.
    fn cancel_and_complete(self) {
        let id = self.header().id;
        let output = self.drop_future_then(Err(JoinError::cancelled(id)));
        self.finish(output);
    }

    /// Stores the output (the stage is `Consumed`), sets COMPLETE, wakes the joiner, and releases
    /// the running reference and, if still listed, the owned-list reference.
    fn finish(self, output: Result<T::Output, JoinError>) {
        // SAFETY: we hold RUNNING and `drop_future_then` left the stage `Consumed`.
        unsafe { self.core().store_output(output) };
        let snapshot = self.header().state.transition_to_complete();
        // A user waker or the output's destructor may panic; neither may unwind into the worker.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // Nobody will read the output: we own the stage, drop it here.
                // SAFETY: COMPLETE without JOIN_INTEREST gives the stage to the completing thread.
                unsafe { self.core().drop_stage(self.header().id) };
            } else if snapshot.is_join_waker_set() {
                // SAFETY: JOIN_WAKER is set, so we may read the slot.
                unsafe { self.header().wake_join() };
                let snapshot = self.header().state.unset_waker_after_complete();
                if !snapshot.is_join_interested() {
                    // SAFETY: the handle left while we held the slot; it is ours to clear.
                    unsafe { self.header().set_join_waker(None) };
                }
            }
        }));
        let me = ManuallyDrop::new(Task::<S>::from_raw(self.raw()));
        let released = match self.core().scheduler.release(&me) {
            Some(task) => {
                // Its reference is dropped by the terminal transition below.
                std::mem::forget(task);
                2
            }
            None => 1,
        };
        if self.header().state.transition_to_terminal(released) {
            // SAFETY: no reference is left.
            unsafe { self.raw().dealloc() };
        }
    }

    /// Hands a notification (one reference) to the scheduler.
    pub(super) fn schedule(self) {
        self.core()
            .scheduler
            .schedule(Notified(Task::from_raw(self.raw())));
    }

    /// Runtime shutdown with the owned-list reference.
    pub(super) fn shutdown(self) {
        if self.header().state.transition_to_shutdown() {
            // We claimed RUNNING: the list reference serves as the running reference.
            self.cancel_and_complete();
        } else {
            // Running elsewhere (it will see CANCELLED) or complete: drop the list reference.
            // SAFETY: we own that reference.
            unsafe { self.raw().drop_reference() };
        }
    }

    /// `JoinHandle::poll`: move the output out if complete, else (re)register the join waker.
    ///
    /// # Safety
    /// `dst` has the task's output type; the caller is the `JoinHandle`.
    pub(super) unsafe fn try_read_output(
        self,
        dst: *mut Poll<Result<T::Output, JoinError>>,
        waker: &Waker,
    ) {
        if self.can_read_output(waker) {
            // SAFETY: COMPLETE with JOIN_INTEREST: the stage belongs to the handle; `dst` is typed
            // by the caller's contract.
            unsafe { *dst = Poll::Ready(self.core().take_output()) };
        }
    }

    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        if snapshot.is_complete() {
            return true;
        }
        let res = if snapshot.is_join_waker_set() {
            // SAFETY: JOIN_WAKER set: shared read access to the slot.
            if unsafe { self.header().join_waker_will_wake(waker) } {
                return false;
            }
            state
                .unset_join_waker()
                .and_then(|_| self.set_join_waker(waker.clone()))
        } else {
            self.set_join_waker(waker.clone())
        };
        match res {
            Ok(_) => false,
            Err(snapshot) => {
                assert!(snapshot.is_complete());
                true
            }
        }
    }

    fn set_join_waker(
        &self,
        waker: Waker,
    ) -> Result<super::state::Snapshot, super::state::Snapshot> {
        // SAFETY: JOIN_WAKER is clear and the task is not complete: the handle owns the slot.
        unsafe { self.header().set_join_waker(Some(waker)) };
        let res = self.header().state.set_join_waker();
        if res.is_err() {
            // Completed meanwhile; the slot is still ours.
            // SAFETY: JOIN_WAKER stayed clear.
            unsafe { self.header().set_join_waker(None) };
        }
        res
    }

    /// The `JoinHandle` is dropped, giving up its reference.
    pub(super) fn drop_join_handle(self) {
        let (drop_output, drop_waker) = self.header().state.transition_to_join_handle_dropped();
        if drop_output {
            // The task completed, so the stage is the handle's; the output's destructor may panic.
            let id = self.header().id;
            // SAFETY: COMPLETE and we still had interest when the state changed.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe { self.core().drop_stage(id) }));
        }
        if drop_waker {
            // SAFETY: JOIN_WAKER is clear: the slot is ours.
            unsafe { self.header().set_join_waker(None) };
        }
        // SAFETY: the handle's reference.
        unsafe { self.raw().drop_reference() };
    }
}
