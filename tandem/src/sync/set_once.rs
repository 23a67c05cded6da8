//! `SetOnce`: a cell set at most once, that tasks can await (an event that carries a value).
//!
//! The value sits in a write-once [`Slot`] (`once_cell/slot.rs`). Setters write it only under
//! the `waiters` lock, so exactly one wins; the winner publishes it and, still under the lock,
//! takes every queued waker, then wakes them once unlocked: the announcement of
//! `wait_list::wait_until`, which [`SetOnce::wait`] waits with.

use crate::loom::sync::Mutex;
use crate::sync::once_cell::Slot;
use crate::sync::wait_list::{wait_until, WaitList};
use std::error::Error;
use std::fmt;
use std::task::Waker;

/// A thread-safe cell set at most once, whose value tasks can [`wait`](SetOnce::wait) for,
/// like Python's `asyncio.Event` with a value.
///
/// ```
/// use std::sync::Arc;
/// use tandem::sync::SetOnce;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let ready = Arc::new(SetOnce::new());
/// let setter = ready.clone();
/// tandem::spawn(async move { setter.set(20) });
/// assert_eq!(*ready.wait().await, 20);
/// assert!(ready.set(30).is_err());
/// # });
/// ```
pub struct SetOnce<T> {
    slot: Slot<T>,
    /// Tasks in `wait`; the lock setters write under.
    waiters: Mutex<WaitList<Waker>>,
}

impl<T> SetOnce<T> {
    /// Creates an empty cell.
    pub fn new() -> Self {
        SetOnce {
            slot: Slot::empty(),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Creates an empty cell, in a `const` context (a `static`).
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        SetOnce {
            slot: Slot::empty(),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Creates a cell holding `value`, if it is `Some`; an empty one otherwise.
    pub fn new_with(value: Option<T>) -> Self {
        match value {
            Some(value) => SetOnce::from(value),
            None => SetOnce::new(),
        }
    }

    /// Creates a cell holding `value`, in a `const` context (a `static`).
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> Self {
        SetOnce {
            slot: Slot::full(value),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Whether the cell holds a value.
    pub fn initialized(&self) -> bool {
        self.slot.is_ready()
    }

    /// The value, if the cell holds one.
    pub fn get(&self) -> Option<&T> {
        self.slot.get()
    }

    /// Stores `value` if the cell is empty, and wakes every task in [`wait`](SetOnce::wait).
    ///
    /// # Errors
    /// If the cell already holds a value; `value` comes back.
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        if self.initialized() {
            return Err(SetOnceError(value));
        }
        let mut waiters = self.waiters.lock();
        if self.initialized() {
            return Err(SetOnceError(value));
        }
        // SAFETY: empty, and every writer holds the `waiters` lock (module docs).
        unsafe { self.slot.write(value) };
        let wakers = waiters.take_all();
        drop(waiters);
        wakers.into_iter().for_each(Waker::wake);
        Ok(())
    }

    /// Takes the value out, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.slot.take()
    }

    /// Waits until the cell holds a value, and returns it (at once if it holds one).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn wait(&self) -> &T {
        wait_until(&self.waiters, || self.get()).await
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> SetOnce<T> {
        SetOnce::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    fn clone(&self) -> SetOnce<T> {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &SetOnce<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T> From<T> for SetOnce<T> {
    fn from(value: T) -> Self {
        SetOnce {
            slot: Slot::full(value),
            waiters: Mutex::new(WaitList::new()),
        }
    }
}

/// Error returned by [`SetOnce::set`] when the cell already held a value, with the value that
/// was not stored.
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnceError")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{SetOnce, SetOnceError};
    use futures::FutureExt;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn a_set_wakes_the_waiters_and_a_second_set_fails() {
        let cell = SetOnce::new();
        let mut cx = Context::from_waker(Waker::noop());
        {
            let mut waiting = pin!(cell.wait());
            assert!(waiting.as_mut().poll(&mut cx).is_pending());
            {
                let cancelled = pin!(cell.wait());
                assert!(cancelled.now_or_never().is_none());
            }
            assert_eq!(cell.waiters.lock().len(), 1, "the cancelled wait left");
            assert_eq!(cell.set(1), Ok(()));
            assert!(cell.waiters.lock().is_empty());
            assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready(&1));
            assert_eq!(cell.set(2), Err(SetOnceError(2)));
        }
        assert_eq!(cell.into_inner(), Some(1));
    }

    #[test]
    fn const_cells_work_in_statics() {
        static EMPTY: SetOnce<u32> = SetOnce::const_new();
        static FULL: SetOnce<u32> = SetOnce::const_new_with(1);
        assert_eq!(FULL.wait().now_or_never(), Some(&1));
        assert_eq!(EMPTY.get(), None);
        assert_eq!(format!("{EMPTY:?}"), "SetOnce { value: None }");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::SetOnce;
    use crate::loom::model::model;
    use crate::loom::sync::Arc;
    use loom::thread;

    /// Two setters race while a task waits: one value wins, and the waiter sees it.
    #[test]
    fn racing_setters_and_a_waiter_agree() {
        model(|| {
            let cell = Arc::new(SetOnce::new());
            let setters: Vec<_> = [1, 2]
                .map(|v| {
                    let cell = cell.clone();
                    thread::spawn(move || cell.set(v).is_ok())
                })
                .into_iter()
                .collect();
            let seen = *loom::future::block_on(cell.wait());
            let won: Vec<bool> = setters.into_iter().map(|s| s.join().unwrap()).collect();
            assert_eq!(won.iter().filter(|&&w| w).count(), 1);
            assert_eq!(seen, if won[0] { 1 } else { 2 });
        });
    }
}
