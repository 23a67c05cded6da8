//! An `Option<Box<T>>` that can be swapped atomically between threads.

use crate::loom::sync::atomic::{AtomicPtr, Ordering::AcqRel};
use std::ptr;

pub(crate) struct AtomicCell<T> {
    data: AtomicPtr<T>,
}

// SAFETY: the cell moves a `Box<T>` between threads, which is sound when `T: Send`.
unsafe impl<T: Send> Send for AtomicCell<T> {}
// SAFETY: shared access only swaps the pointer atomically; the box is never aliased.
unsafe impl<T: Send> Sync for AtomicCell<T> {}

impl<T> AtomicCell<T> {
    pub(crate) fn new(data: Option<Box<T>>) -> AtomicCell<T> {
        AtomicCell {
            data: AtomicPtr::new(to_raw(data)),
        }
    }

    /// Puts `val` in, returning what was there.
    pub(crate) fn swap(&self, val: Option<Box<T>>) -> Option<Box<T>> {
        // AcqRel: the taker sees everything the putter wrote into the box.
        let old = self.data.swap(to_raw(val), AcqRel);
        from_raw(old)
    }

    pub(crate) fn set(&self, val: Box<T>) {
        let _ = self.swap(Some(val));
    }

    pub(crate) fn take(&self) -> Option<Box<T>> {
        self.swap(None)
    }
}

fn to_raw<T>(data: Option<Box<T>>) -> *mut T {
    data.map_or(ptr::null_mut(), Box::into_raw)
}

fn from_raw<T>(ptr: *mut T) -> Option<Box<T>> {
    // SAFETY: every non-null pointer in the cell came from `Box::into_raw` and was swapped out
    // exactly once, so ownership passes to the caller.
    (!ptr.is_null()).then(|| unsafe { Box::from_raw(ptr) })
}

impl<T> Drop for AtomicCell<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}
