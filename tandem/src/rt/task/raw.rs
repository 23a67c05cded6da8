//! A type-erased pointer to a task, and the vtable that recovers its concrete type.

use super::core::{Cell, Header};
use super::harness::Harness;
use super::Schedule;
use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

/// The operations that need the task's concrete `T` and `S`.
pub(crate) struct Vtable {
    /// Runs a notification: poll, or cancel if CANCELLED.
    pub(super) poll: unsafe fn(NonNull<Header>),
    /// Hands a notification (owning one reference) to the task's scheduler.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Poll<Result<T::Output, JoinError>>` if complete, else
    /// registers the waker.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` is dropped.
    pub(super) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancel if idle; consumes one reference.
    pub(super) shutdown: unsafe fn(NonNull<Header>),
}

pub(super) fn vtable<T: Future, S: Schedule>() -> &'static Vtable {
    &Vtable {
        poll: poll::<T, S>,
        schedule: schedule::<T, S>,
        dealloc: dealloc::<T, S>,
        try_read_output: try_read_output::<T, S>,
        drop_join_handle: drop_join_handle::<T, S>,
        shutdown: shutdown::<T, S>,
    }
}

/// A copyable, untyped task pointer. Holding one says nothing about references: the owner of a
/// `RawTask` must know which reference it stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    pub(super) fn new<T: Future, S: Schedule>(cell: Box<Cell<T, S>>) -> RawTask {
        // SAFETY of later casts: `Cell` is `repr(C)` with `Header` first.
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// # Safety
    /// `ptr` points to a live task header.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only made from a live task (`new`, `from_raw`'s contract), and
        // every holder keeps a reference while it uses it.
        unsafe { self.ptr.as_ref() }
    }

    pub(super) fn state(&self) -> &super::state::State {
        &self.header().state
    }

    /// # Safety
    /// The caller gives up one reference that stands for a notification.
    pub(super) unsafe fn poll(self) {
        // SAFETY: forwarded contract; the vtable matches the cell's type.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// # Safety
    /// The caller gives up one reference that stands for a new notification.
    pub(super) unsafe fn schedule(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// # Safety
    /// No reference is left.
    pub(super) unsafe fn dealloc(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// # Safety
    /// `dst` is a `*mut Poll<Result<T, JoinError>>` for the task's output type `T`; the caller is
    /// the `JoinHandle`.
    pub(super) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// # Safety
    /// Called once, by the `JoinHandle`, giving up its reference.
    pub(super) unsafe fn drop_join_handle(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }

    /// # Safety
    /// The caller gives up one reference (the owned-list reference).
    pub(super) unsafe fn shutdown(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Drops one reference, deallocating if it was the last.
    ///
    /// # Safety
    /// The caller owns the reference it drops.
    pub(super) unsafe fn drop_reference(self) {
        if self.state().ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { self.dealloc() }
        }
    }
}

unsafe fn poll<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for `Cell<T, S>`; the caller's contract is forwarded.
    unsafe { Harness::<T, S>::from_raw(ptr).poll() }
}

unsafe fn schedule<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: forwarded contract.
    unsafe { Harness::<T, S>::from_raw(ptr).schedule() }
}

unsafe fn dealloc<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for `Cell<T, S>`, allocated by `Box` in `RawTask::new`; the
    // caller guarantees no reference is left.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<T, S>>().as_ptr()) });
}

unsafe fn try_read_output<T: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: the caller's contract gives the output type.
    unsafe { Harness::<T, S>::from_raw(ptr).try_read_output(dst.cast(), waker) }
}

unsafe fn drop_join_handle<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: forwarded contract.
    unsafe { Harness::<T, S>::from_raw(ptr).drop_join_handle() }
}

unsafe fn shutdown<T: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: forwarded contract.
    unsafe { Harness::<T, S>::from_raw(ptr).shutdown() }
}
