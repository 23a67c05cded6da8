//! `OnceCell`: a cell written at most once, whose value may be made by an async function.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `slot.rs` | the write-once storage, read without a lock once written (shared with `SetOnce`) |
//! | `mod.rs` | `OnceCell` and `SetError`: who may write, and the queue of tasks waiting for a turn |
//!
//! The initialisation protocol:
//! 1. `get_or_init` returns the value if it is there. Otherwise it takes the *initializer*
//!    role (`Init::initializing`) under the `init` lock, or queues there until the role is
//!    free or the value is there.
//! 2. The initializer runs its function outside the lock, writes the slot (the role makes it
//!    the only writer), publishes it, then gives the role back and wakes every queued task:
//!    they find the value.
//! 3. An initializer that fails (an error from `get_or_try_init`), is cancelled or panics
//!    gives the role back without a value and wakes every queued task: the first to run
//!    takes the role and tries again; the others queue again.
//! 4. `set` writes only under the `init` lock, with no initializer and no value.

mod slot;

pub(crate) use slot::Slot;

use crate::loom::sync::Mutex;
use crate::sync::wait_list::{WaitKey, WaitList};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// A thread-safe cell written at most once, whose value may come from an async function
/// ([`get_or_init`](OnceCell::get_or_init)): typically a global, made on first use.
///
/// ```
/// use tandem::sync::OnceCell;
///
/// static CONFIG: OnceCell<u32> = OnceCell::const_new();
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let value = CONFIG.get_or_init(|| async { 1 + 1 }).await;
/// assert_eq!(*value, 2);
/// assert_eq!(CONFIG.get(), Some(&2));
/// # });
/// ```
pub struct OnceCell<T> {
    slot: Slot<T>,
    init: Mutex<Init>,
}

/// Who may write the slot, and who waits for a turn.
struct Init {
    /// Set while a task runs its function in `get_or_init` or `get_or_try_init`.
    initializing: bool,
    /// Tasks waiting for the role or for the value.
    waiters: WaitList<Waker>,
}

impl Init {
    const IDLE: Init = Init {
        initializing: false,
        waiters: WaitList::new(),
    };
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    pub fn new() -> Self {
        OnceCell {
            slot: Slot::empty(),
            init: Mutex::new(Init::IDLE),
        }
    }

    /// Creates an empty cell, in a `const` context (a `static`).
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        OnceCell {
            slot: Slot::empty(),
            init: Mutex::new(Init::IDLE),
        }
    }

    /// Creates a cell holding `value`, if it is `Some`; an empty one otherwise.
    pub fn new_with(value: Option<T>) -> Self {
        match value {
            Some(value) => OnceCell::from(value),
            None => OnceCell::new(),
        }
    }

    /// Creates a cell holding `value`, in a `const` context (a `static`).
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> Self {
        OnceCell {
            slot: Slot::full(value),
            init: Mutex::new(Init::IDLE),
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

    /// The value, mutably, if the cell holds one (`&mut self` rules out any other access).
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.slot.get_mut()
    }

    /// Stores `value` if the cell is empty.
    ///
    /// # Errors
    /// [`SetError::AlreadyInitializedError`] if it holds a value;
    /// [`SetError::InitializingError`] if a task is making one (in `get_or_init`). Either
    /// returns `value`.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        let mut init = self.init.lock();
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        if init.initializing {
            return Err(SetError::InitializingError(value));
        }
        // SAFETY: empty, and writers hold either the `init` lock with no initializer (as
        // here) or the initializer role (module docs, step 4).
        unsafe { self.slot.write(value) };
        let wakers = init.waiters.take_all();
        drop(init);
        wakers.into_iter().for_each(Waker::wake);
        Ok(())
    }

    /// The value, made by `f` first if the cell is empty.
    ///
    /// While another task makes it, this waits for that task's value. If that task's `f` is
    /// cancelled or panics, a waiting task runs its own `f`. Calling `get_or_init` on the same
    /// cell from inside `f` deadlocks.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(value) = self.get() {
            return value;
        }
        match self.turn().await {
            Some(initializer) => initializer.fill(f().await),
            None => self.expect_value(),
        }
    }

    /// The value, made by `f` first if the cell is empty; `f`'s error if it fails, leaving the
    /// cell empty.
    ///
    /// While another task makes it, this waits for that task's value. If that task's `f`
    /// fails, is cancelled or panics, a waiting task runs its own `f`. Calling this on the
    /// same cell from inside `f` deadlocks.
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        match self.turn().await {
            Some(initializer) => Ok(initializer.fill(f().await?)),
            None => Ok(self.expect_value()),
        }
    }

    /// Takes the value out, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.slot.take()
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        self.slot.take()
    }

    /// Waits for the initializer role (`Some`), or for the value (`None`).
    fn turn(&self) -> Turn<'_, T> {
        Turn {
            cell: self,
            key: None,
        }
    }

    fn expect_value(&self) -> &T {
        self.get()
            .expect("a turn ends without the role only once the value is there")
    }
}

/// The future of [`OnceCell::turn`].
struct Turn<'a, T> {
    cell: &'a OnceCell<T>,
    key: Option<WaitKey>,
}

impl<'a, T> Future for Turn<'a, T> {
    type Output = Option<Initializer<'a, T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Taking the role spends budget, as acquiring Tokio's semaphore permit does.
        let coop = ready!(crate::rt::coop::poll_proceed(cx));
        let mut init = this.cell.init.lock();
        let outcome = if this.cell.initialized() {
            None
        } else if !init.initializing {
            init.initializing = true;
            coop.made_progress();
            Some(Initializer { cell: this.cell })
        } else {
            let replaced = init.waiters.register(&mut this.key, cx.waker());
            drop(init);
            drop(replaced);
            return Poll::Pending;
        };
        let left = this.key.take().and_then(|key| init.waiters.remove(key));
        drop(init);
        drop(left);
        Poll::Ready(outcome)
    }
}

impl<T> Drop for Turn<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let left = self.cell.init.lock().waiters.remove(key);
            drop(left);
        }
    }
}

/// The initializer role: the only writer of the cell while it lives. Dropped, with or without
/// a value written, it gives the role back and wakes every waiting task (module docs).
struct Initializer<'a, T> {
    cell: &'a OnceCell<T>,
}

impl<'a, T> Initializer<'a, T> {
    fn fill(self, value: T) -> &'a T {
        // SAFETY: the role is held, so the slot is empty and this is its only writer
        // (module docs, step 2).
        unsafe { self.cell.slot.write(value) }
    }
}

impl<T> Drop for Initializer<'_, T> {
    fn drop(&mut self) {
        let mut init = self.cell.init.lock();
        init.initializing = false;
        let wakers = init.waiters.take_all();
        drop(init);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell {
            slot: Slot::full(value),
            init: Mutex::new(Init::IDLE),
        }
    }
}

/// Error returned by [`OnceCell::set`], with the value that was not stored.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already held a value.
    AlreadyInitializedError(T),

    /// A task was making the cell's value.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether it is [`SetError::AlreadyInitializedError`].
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether it is [`SetError::InitializingError`].
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;
