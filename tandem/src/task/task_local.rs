//! Task-local storage: `task_local!`, `LocalKey`, and the future that carries a value.
//!
//! A task-local value travels with a future, not with a thread: `KEY.scope(value, fut)` makes
//! a [`TaskLocalFuture`] that owns the value and puts it into a thread-local slot for the
//! duration of each poll of `fut` (and of `fut`'s drop), taking it back out afterwards. So the
//! value is there wherever the task is polled, on any worker, and in nothing else the worker
//! runs meanwhile.
//!
//! The slot is a `RefCell<Option<T>>` per key per thread. Entering a scope swaps the scope's
//! value with what the slot holds (an outer scope's value, for nested scopes) and swaps back
//! on the way out, also when the poll panics. `with` borrows the slot shared; entering a
//! scope borrows it mutably, so entering one of the key's scopes inside `with` on it panics
//! rather than change the value under the reader's feet.

use pin_project_lite::pin_project;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static`s of type [`LocalKey`](crate::task::LocalKey).
///
/// Any number of declarations, each keeping its attributes and visibility:
///
/// ```
/// tandem::task_local! {
///     pub static REQUEST_ID: u64;
///
///     #[allow(unused)]
///     static USER: String;
/// }
/// # fn main() {}
/// ```
///
/// A key holds no value by itself: [`LocalKey::scope`](crate::task::LocalKey::scope) gives
/// it one for the duration of a future.
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $ty);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $ty);
    };
}

/// One key of `task_local!`: a `static` over a thread-local slot of its own.
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $ty:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$ty> = {
            ::std::thread_local! {
                static __TANDEM_TASK_LOCAL_SLOT: ::std::cell::RefCell<::std::option::Option<$ty>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__TANDEM_TASK_LOCAL_SLOT)
        };
    };
}

/// A key to task-local data, declared with [`task_local!`](crate::task_local).
///
/// Unlike `std::thread::LocalKey`, a key is never initialized lazily: it has a value only
/// inside [`scope`](LocalKey::scope) (while the future it returns is polled or dropped) or
/// [`sync_scope`](LocalKey::sync_scope).
///
/// ```
/// tandem::task_local! {
///     static DEPTH: u32;
/// }
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// DEPTH.scope(1, async {
///     assert_eq!(DEPTH.get(), 1);
///     DEPTH.scope(2, async {
///         assert_eq!(DEPTH.get(), 2);
///     }).await;
///     assert_eq!(DEPTH.get(), 1);
/// }).await;
/// assert!(DEPTH.try_get().is_err());
/// # });
/// ```
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// Why a scope could not be entered.
enum EnterError {
    /// The slot is borrowed: inside `with` or `try_with` on the same key.
    Borrowed,
    /// The thread-local is being or has been destroyed.
    Destroyed,
}

impl EnterError {
    #[track_caller]
    fn panic(self) -> ! {
        match self {
            EnterError::Borrowed => {
                panic!("cannot enter a task-local scope while the task-local storage is borrowed")
            }
            EnterError::Destroyed => panic!(
                "cannot enter a task-local scope during or after destruction of the underlying \
                 thread-local"
            ),
        }
    }
}

impl<T: 'static> LocalKey<T> {
    /// Used by `task_local!`; not public API.
    #[doc(hidden)]
    pub const fn __new(slot: std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Returns a future that runs `future` with `value` as this key's value (while it is
    /// polled, and while it is dropped); the value is dropped with the returned future, unless
    /// taken out with [`TaskLocalFuture::take_value`].
    ///
    /// # Panics
    ///
    /// Polling the returned future inside [`with`](LocalKey::with) or
    /// [`try_with`](LocalKey::try_with) on the same key panics.
    ///
    /// ```
    /// tandem::task_local! {
    ///     static NAME: &'static str;
    /// }
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let greeting = NAME.scope("world", async { format!("hello, {}", NAME.get()) }).await;
    /// assert_eq!(greeting, "hello, world");
    /// # });
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
            _pinned: PhantomPinned,
        }
    }

    /// Runs `f` with `value` as this key's value, then drops the value.
    ///
    /// # Panics
    ///
    /// If called inside [`with`](LocalKey::with) or [`try_with`](LocalKey::try_with) on the
    /// same key.
    ///
    /// ```
    /// tandem::task_local! {
    ///     static LIMIT: usize;
    /// }
    ///
    /// assert_eq!(LIMIT.sync_scope(10, || LIMIT.get() * 2), 20);
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut value = Some(value);
        match self.enter(&mut value, f) {
            Ok(out) => out,
            Err(err) => err.panic(),
        }
    }

    /// Swaps `held` into this thread's slot, runs `f`, and swaps it back out (also if `f`
    /// panics). `held` is `None` for a scope whose value was taken.
    fn enter<R>(
        &'static self,
        held: &mut Option<T>,
        f: impl FnOnce() -> R,
    ) -> Result<R, EnterError> {
        /// Swaps back on the way out of `enter`.
        struct Exit<'a, T: 'static> {
            key: &'static LocalKey<T>,
            held: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for Exit<'_, T> {
            fn drop(&mut self) {
                // Neither fails: the slot was reachable and unborrowed on the way in, and
                // `with`'s borrows never outlive the closures they are given, so none is
                // left now; the thread-local cannot be destroyed while this thread runs `f`.
                self.key
                    .slot
                    .with(|slot| std::mem::swap(self.held, &mut *slot.borrow_mut()));
            }
        }

        self.slot
            .try_with(|slot| match slot.try_borrow_mut() {
                Ok(mut current) => {
                    std::mem::swap(held, &mut *current);
                    Ok(())
                }
                Err(_) => Err(EnterError::Borrowed),
            })
            .map_err(|_| EnterError::Destroyed)??;
        let _exit = Exit { key: self, held };
        Ok(f())
    }

    /// Runs `f` with a reference to this key's value.
    ///
    /// # Panics
    ///
    /// If the key has no value here (outside any of its scopes).
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(out) => out,
            Err(_) => panic!("cannot access a task-local storage value without setting it first"),
        }
    }

    /// Runs `f` with a reference to this key's value, or returns [`AccessError`] if the key
    /// has no value here.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        // A destroyed thread-local means we are outside every scope: no value either. The
        // borrow cannot fail: the slot is borrowed mutably only inside `enter`'s swaps.
        match self.slot.try_with(|slot| slot.borrow().as_ref().map(f)) {
            Ok(Some(out)) => Ok(out),
            Ok(None) | Err(_) => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// Returns a clone of this key's value.
    ///
    /// # Panics
    ///
    /// If the key has no value here (outside any of its scopes).
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// Returns a clone of this key's value, or [`AccessError`] if it has none here.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project! {
    /// A future that runs an inner future with a task-local value set, made by
    /// [`LocalKey::scope`]. It owns the value, and drops it when it is dropped.
    pub struct TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        key: &'static LocalKey<T>,
        value: Option<T>,
        // `None` once the inner future has completed (it is dropped then, in the scope).
        #[pin]
        future: Option<F>,
        // Not `Unpin` even when `F` is: room to hold the value pinned later.
        #[pin]
        _pinned: PhantomPinned,
    }

    impl<T, F> PinnedDrop for TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if std::mem::needs_drop::<F>() && this.future.is_some() {
                // Drop the inner future in the scope, so its destructor sees the value. If the
                // scope cannot be entered (inside `with`, or at thread exit) it is dropped
                // afterwards, without the value, with the rest of the struct.
                let mut future = this.future;
                let _ = this.key.enter(this.value, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the task-local value out of this future: `Some` the first time, `None` after.
    ///
    /// The inner future, if polled again, then runs with the key unset.
    ///
    /// ```
    /// tandem::task_local! {
    ///     static KEY: u32;
    /// }
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut fut = Box::pin(KEY.scope(42, async {}));
    /// (&mut fut).await;
    /// assert_eq!(fut.as_mut().take_value(), Some(42));
    /// assert_eq!(fut.as_mut().take_value(), None);
    /// # });
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let polled = this.key.enter(this.value, || {
            let poll = future.as_mut().as_pin_mut()?.poll(cx);
            if poll.is_ready() {
                // Dropped here, in the scope, so its destructor sees the value.
                future.set(None);
            }
            Some(poll)
        });
        match polled {
            Ok(Some(poll)) => poll,
            Ok(None) => panic!("`TaskLocalFuture` polled after completion"),
            Err(err) => err.panic(),
        }
    }
}

impl<T: fmt::Debug + 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    /// Tokio's form: `TaskLocalFuture { value: 5 }`, `<missing>` once the value is taken.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Writes `<missing>` as is, not as a string.
        struct Missing;
        impl fmt::Debug for Missing {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<missing>")
            }
        }
        let mut out = f.debug_struct("TaskLocalFuture");
        match &self.value {
            Some(value) => out.field("value", value),
            None => out.field("value", &Missing),
        };
        out.finish()
    }
}

/// The error of [`LocalKey::try_with`] and [`LocalKey::try_get`]: the key has no value here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("task-local value not set")
    }
}

impl std::error::Error for AccessError {}
