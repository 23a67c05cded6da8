//! A place for a value written at most once through a shared reference, and read without a
//! lock once written: the storage of [`OnceCell`](super::OnceCell) and
//! [`SetOnce`](crate::sync::SetOnce). Who may write is decided by its owner (the caller of
//! [`Slot::write`] promises it is the only writer); this file only publishes the value.
//!
//! `ready` is false until the value is written, then true for as long as the slot is shared:
//! only `&mut self` methods empty it again.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use std::mem::MaybeUninit;

pub(crate) struct Slot<T> {
    ready: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Slot<T> {
    #[cfg(not(loom))]
    pub(crate) const fn empty() -> Slot<T> {
        Slot {
            ready: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    #[cfg(not(loom))]
    pub(crate) const fn full(value: T) -> Slot<T> {
        Slot {
            ready: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
        }
    }

    /// As the `const` one (loom's types have no `const` constructor).
    #[cfg(loom)]
    pub(crate) fn empty() -> Slot<T> {
        Slot {
            ready: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// As the `const` one (loom's types have no `const` constructor).
    #[cfg(loom)]
    pub(crate) fn full(value: T) -> Slot<T> {
        Slot {
            ready: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
        }
    }

    /// Whether the value is written.
    pub(crate) fn is_ready(&self) -> bool {
        // Acquire pairs with the Release of `write`: whoever sees `true` sees the value.
        self.ready.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self) -> Option<&T> {
        if !self.is_ready() {
            return None;
        }
        // SAFETY: `ready` is true, so the value was written (`write` stores `true` after it),
        // and it is never written again nor dropped while `&self` exists (the module docs).
        Some(
            self.value
                .with(|value| unsafe { (*value).assume_init_ref() }),
        )
    }

    /// Writes the value and publishes it; returns it.
    ///
    /// # Safety
    /// The slot is empty (`is_ready` is false) and stays unwritten by anyone else until this
    /// returns: the caller holds whatever role or lock its owner reserves to one writer.
    pub(crate) unsafe fn write(&self, value: T) -> &T {
        // SAFETY: the caller is the only writer, and nobody reads before `ready` is set.
        self.value.with_mut(|slot| unsafe {
            (*slot).write(value);
        });
        // Release pairs with the Acquire of `is_ready`.
        self.ready.store(true, Ordering::Release);
        // SAFETY: just written, and never written again while `&self` exists.
        self.value
            .with(|value| unsafe { (*value).assume_init_ref() })
    }

    pub(crate) fn get_mut(&mut self) -> Option<&mut T> {
        if !self.is_ready() {
            return None;
        }
        // SAFETY: written (`ready`), and `&mut self` excludes every other access.
        Some(
            self.value
                .with_mut(|value| unsafe { (*value).assume_init_mut() }),
        )
    }

    /// Takes the value out, leaving the slot empty.
    pub(crate) fn take(&mut self) -> Option<T> {
        if !self.is_ready() {
            return None;
        }
        self.ready.store(false, Ordering::Relaxed);
        // SAFETY: written (`ready` was true); `ready` is now false, so it is read out once and
        // never dropped in place. `&mut self` excludes every other access.
        Some(
            self.value
                .with(|value| unsafe { (*value).assume_init_read() }),
        )
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

// SAFETY: sharing a `Slot` shares `&T` (so `T: Sync`) and lets any sharer write a `T` that
// another one may own later (so `T: Send`); the write-once protocol (module docs) rules out a
// data race on the value itself.
unsafe impl<T: Send + Sync> Sync for Slot<T> {}

// SAFETY: a `Slot` owns its `T` and nothing tied to a thread.
unsafe impl<T: Send> Send for Slot<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Slot;

    #[test]
    fn written_once_then_taken() {
        let mut slot = Slot::empty();
        assert!(slot.get().is_none());
        // SAFETY: empty, and this is the only writer.
        assert_eq!(unsafe { slot.write(String::from("a")) }, "a");
        assert_eq!(slot.get().map(String::as_str), Some("a"));
        slot.get_mut().unwrap().push('b');
        assert_eq!(slot.take().as_deref(), Some("ab"));
        assert!(slot.take().is_none());
        assert!(Slot::full(3).get() == Some(&3));
    }
}
