//! Wakers that are task pointers: cloning adds a reference, so a `Waker` never allocates.

use super::core::Header;
use super::raw::RawTask;
use super::state::{TransitionToNotifiedByRef, TransitionToNotifiedByVal};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// A waker borrowed from the poll's reference: not dropped, so it gives no reference back.
pub(super) struct WakerRef {
    waker: ManuallyDrop<Waker>,
}

impl Deref for WakerRef {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// # Safety
/// The caller keeps a reference to the task alive for as long as the `WakerRef` exists.
pub(super) unsafe fn waker_ref(header: NonNull<Header>) -> WakerRef {
    // SAFETY: the vtable's functions uphold `RawWaker`'s contract for task pointers; the borrowed
    // waker is never dropped, matching the reference it borrows.
    let waker = unsafe { Waker::from_raw(raw_waker(header)) };
    WakerRef {
        waker: ManuallyDrop::new(waker),
    }
}

fn raw_waker(header: NonNull<Header>) -> RawWaker {
    RawWaker::new(header.as_ptr() as *const (), &WAKER_VTABLE)
}

/// Whether `waker` is a waker of the task whose header is at `header` (not a waker that a
/// combinator or a nested executor made for a part of it). Compares pointers only: `header`
/// may name a task that is gone.
pub(crate) fn is_waker_of(waker: &Waker, header: *const ()) -> bool {
    std::ptr::eq(waker.data(), header) && std::ptr::eq(waker.vtable(), &WAKER_VTABLE)
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_by_val, wake_by_ref, drop_waker);

fn raw(ptr: *const ()) -> RawTask {
    // SAFETY: every RawWaker with WAKER_VTABLE was made from a live task header, and the waker
    // holds (or borrows) a reference that keeps it alive.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(ptr as *mut Header)) }
}

unsafe fn clone_waker(ptr: *const ()) -> RawWaker {
    let task = raw(ptr);
    task.header().state.ref_inc();
    raw_waker(task.header_ptr())
}

unsafe fn wake_by_val(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference moved into the notification.
        TransitionToNotifiedByVal::Submit => unsafe { task.schedule() },
        TransitionToNotifiedByVal::DoNothing => {}
        // SAFETY: the waker held the last reference.
        TransitionToNotifiedByVal::Dealloc => unsafe { task.dealloc() },
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_ref() {
        // SAFETY: the transition added a reference for the notification.
        TransitionToNotifiedByRef::Submit => unsafe { task.schedule() },
        TransitionToNotifiedByRef::DoNothing => {}
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: the waker owned one reference.
    unsafe { raw(ptr).drop_reference() }
}
