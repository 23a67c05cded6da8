//! A one-shot channel: sends a single value from one task to another.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. [`Sender::send`] is not async (it never
//! waits), so it works anywhere, even outside a runtime. The receiver is a future: await it for
//! `Result<T, RecvError>`, an error if the sender was dropped without sending. If the receiver
//! is closed after a value was sent, the value stays in the channel until the receiver is
//! dropped, then is dropped at once.
//!
//! ```
//! use tandem::sync::oneshot;
//!
//! # tandem::runtime::Runtime::new().unwrap().block_on(async {
//! let (tx, rx) = oneshot::channel();
//! tandem::spawn(async move {
//!     if tx.send(3).is_err() {
//!         println!("the receiver dropped");
//!     }
//! });
//! assert_eq!(rx.await, Ok(3));
//! # });
//! ```
//!
//! To use a receiver in a `select!` loop, poll `&mut rx`.
//!
//! Files:
//!
//! | file | responsibility |
//! |---|---|
//! | `state.rs` | the state word: its bits, and every transition of it |
//! | `mod.rs` | the shared allocation and its cells, `Sender`, `Receiver`, `channel` |
//! | `error.rs` | `RecvError`, `TryRecvError` |
//! | `tests.rs` | the loom models |
//!
//! # The shared allocation
//!
//! One heap block per channel: the state word, the value cell, and one waker cell per side.
//! There is no `Arc`: the state word counts the two handles (`state.rs`), so a receiver that
//! finds the value sent and the sender gone frees the block without a write. Who may touch each
//! cell, by state (`state.rs` names the bits):
//!
//! | cell | exclusive to | shared (reads only) | handed over |
//! |---|---|---|---|
//! | `value` | the sender while `COMPLETE` is unset; the receiver once it is set | never | by `complete` (the sender takes its value back if `CLOSED` made it fail) |
//! | `rx_waker` | the receiver while `RX_TASK_SET` is unset, and once it set `CLOSED` before `COMPLETE` | while `RX_TASK_SET` is set: the receiver (`will_wake`), the sender once after its `complete` found the bit (wakes by reference) | `set_rx_task` shares it; `unset_rx_task` takes it back unless `COMPLETE` was set first |
//! | `tx_waker` | the sender while `TX_TASK_SET` is unset | while `TX_TASK_SET` is set: the sender (`will_wake`), the receiver once after its `close` found the bit (wakes by reference) | `set_tx_task` shares it; `unset_tx_task` takes it back unless `CLOSED` was set first |
//!
//! Everything left in the block (a value never received, the wakers) drops when it is freed,
//! by whichever side releases last; nothing else touches it then.

pub mod error;
mod state;

#[cfg(all(test, loom))]
mod tests;

use self::error::{RecvError, TryRecvError};
use self::state::{Completed, Released, State, StateCell};
use crate::loom::cell::UnsafeCell;
use crate::rt::coop;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll, Waker};

/// Sends a value to the associated [`Receiver`].
///
/// A pair of both a [`Sender`] and a [`Receiver`] are created by the [`channel`] function.
///
/// To send from a destructor, keep the sender in an `Option` and `take` it.
pub struct Sender<T> {
    inner: NonNull<Inner<T>>,
    _value: PhantomData<T>,
}

/// Receives a value from the associated [`Sender`].
///
/// A pair of both a [`Sender`] and a [`Receiver`] are created by the [`channel`] function.
///
/// There is no `recv` method: the receiver is itself a [`Future`] of
/// `Result<T, `[`error::RecvError`]`>`.
///
/// # Cancel safety
///
/// Awaiting a `&mut Receiver<T>` is cancel safe: if it is a branch of `select!` and another
/// branch completes first, no message was received on this channel.
pub struct Receiver<T> {
    /// `None` once the receiver has yielded its result (it has released the allocation).
    inner: Option<NonNull<Inner<T>>>,
    _value: PhantomData<T>,
}

// Unpin whatever `T` is, as Tokio's handles (an `Arc` each) are: nothing is pinned in them.
impl<T> Unpin for Sender<T> {}
impl<T> Unpin for Receiver<T> {}

// SAFETY: a handle moves its side of the protocol (mod-level table) to another thread; the
// value crosses threads, hence `T: Send`. The cells are only reached as that table allows.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: `&Sender` only loads the state word (`is_closed`).
unsafe impl<T: Send> Sync for Sender<T> {}
// SAFETY: as for `Sender`.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: `&Receiver` only loads the state word and, once `COMPLETE` (the value cell is the
// receiver's), reads whether the value cell is empty (`is_empty`): reads only.
unsafe impl<T: Send> Sync for Receiver<T> {}

/// The block both handles point to.
struct Inner<T> {
    state: StateCell,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

/// Creates a new one-shot channel for sending a single value across asynchronous tasks.
///
/// The `Sender` is used by the producer, the `Receiver` by the consumer; each can be used on a
/// separate task.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Box::new(Inner {
        state: StateCell::new(),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    let inner = NonNull::from(Box::leak(inner));
    let tx = Sender {
        inner,
        _value: PhantomData,
    };
    let rx = Receiver {
        inner: Some(inner),
        _value: PhantomData,
    };
    (tx, rx)
}

impl<T> Inner<T> {
    /// Takes the value out of its cell.
    ///
    /// # Safety
    ///
    /// The caller holds the value cell exclusively: the sender before `COMPLETE`, the receiver
    /// after (mod-level table).
    unsafe fn take_value(&self) -> Option<T> {
        // SAFETY: exclusive per the caller's contract.
        self.value.with_mut(|value| unsafe { (*value).take() })
    }

    /// The receiver closes the channel: no value is accepted from now on. Wakes a sender waiting
    /// in `closed()`; drops the receiver's own waker, which the sender can no longer use.
    /// Returns the state before.
    fn close(&self) -> State {
        let prev = self.state.close();
        if !prev.is_closed() && !prev.is_complete() {
            if prev.is_tx_task_set() {
                // SAFETY: `close` found `TX_TASK_SET`: the cell is shared for reads, and the
                // sender, seeing `CLOSED`, writes it no more.
                unsafe { wake_by_ref(&self.tx_waker) };
            }
            if prev.is_rx_task_set() {
                // SAFETY: `CLOSED` came before `COMPLETE`: the sender's `complete` fails, so it
                // never reads the receiver's waker; the cell is the receiver's alone.
                let waker = self.rx_waker.with_mut(|slot| unsafe { (*slot).take() });
                drop(waker);
            }
        }
        prev
    }

    /// The receiver's poll once `COMPLETE` or `CLOSED` is seen: the value, or the error.
    fn finish_recv(&self, state: State) -> Result<T, RecvError> {
        if state.is_complete() {
            // SAFETY: `COMPLETE`: the value cell is the receiver's.
            unsafe { self.take_value() }.ok_or(RecvError(()))
        } else {
            Err(RecvError(()))
        }
    }

    /// The receiver's poll, without the budget.
    fn poll_recv(&self, cx: &Context<'_>) -> Poll<Result<T, RecvError>> {
        let state = self.state.load();
        if state.is_complete() || state.is_closed() {
            return Poll::Ready(self.finish_recv(state));
        }
        if state.is_rx_task_set() {
            // SAFETY: the receiver set `RX_TASK_SET` and has not cleared it.
            if unsafe { will_wake(&self.rx_waker, cx) } {
                return Poll::Pending;
            }
            let prev = self.state.unset_rx_task();
            if prev.is_complete() {
                // The sender may be reading the cell: leave it, take the value.
                return Poll::Ready(self.finish_recv(prev));
            }
        }
        // SAFETY: `RX_TASK_SET` is unset and `COMPLETE` was not set while it was set: the cell is
        // the receiver's.
        unsafe { set_waker(&self.rx_waker, cx) };
        let prev = self.state.set_rx_task();
        if prev.is_complete() {
            // The sender completed while the bit was unset: it will not wake us.
            return Poll::Ready(self.finish_recv(prev));
        }
        Poll::Pending
    }

    /// The sender's `poll_closed`, without the budget.
    fn poll_closed(&self, cx: &Context<'_>) -> Poll<()> {
        let state = self.state.load();
        if state.is_closed() {
            return Poll::Ready(());
        }
        if state.is_tx_task_set() {
            // SAFETY: the sender set `TX_TASK_SET` and has not cleared it.
            if unsafe { will_wake(&self.tx_waker, cx) } {
                return Poll::Pending;
            }
            if self.state.unset_tx_task().is_closed() {
                // The receiver may be reading the cell: leave it.
                return Poll::Ready(());
            }
        }
        // SAFETY: `TX_TASK_SET` is unset and `CLOSED` was not set while it was set: the cell is
        // the sender's.
        unsafe { set_waker(&self.tx_waker, cx) };
        if self.state.set_tx_task().is_closed() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// Wakes the waker in `cell` by reference.
///
/// # Safety
///
/// The cell is shared for reads (its `*_TASK_SET` bit was seen set by the caller's RMW
/// that gave it this turn), so nobody writes it meanwhile.
unsafe fn wake_by_ref(cell: &UnsafeCell<Option<Waker>>) {
    // SAFETY: reads only, per the caller's contract.
    cell.with(|waker| unsafe { (*waker).as_ref().map(Waker::wake_by_ref) });
}

/// True if the waker in `cell` wakes the same task as `cx`'s.
///
/// # Safety
///
/// The caller set the cell's `*_TASK_SET` bit earlier and has not cleared it: the cell is
/// shared for reads.
unsafe fn will_wake(cell: &UnsafeCell<Option<Waker>>, cx: &Context<'_>) -> bool {
    // SAFETY: reads only, per the caller's contract.
    cell.with(|waker| unsafe { (*waker).as_ref() }.is_some_and(|w| w.will_wake(cx.waker())))
}

/// Stores `cx`'s waker in `cell`, dropping the one it replaces.
///
/// # Safety
///
/// The caller holds the cell exclusively (its `*_TASK_SET` bit is unset and the cell was
/// not handed to the other side).
unsafe fn set_waker(cell: &UnsafeCell<Option<Waker>>, cx: &Context<'_>) {
    let waker = cx.waker().clone();
    // SAFETY: exclusive per the caller's contract.
    let old = cell.with_mut(|slot| unsafe { (*slot).replace(waker) });
    drop(old);
}

/// Frees the block if `released` says this side was the last.
fn release<T>(inner: NonNull<Inner<T>>, released: Released) {
    if released == Released::Dealloc {
        // SAFETY: the block came from `Box::leak` in `channel`, and both sides have released
        // it (state.rs): nobody else can reach it.
        drop(unsafe { Box::from_raw(inner.as_ptr()) });
    }
}

impl<T> Sender<T> {
    fn inner(&self) -> &Inner<T> {
        // SAFETY: the sender has not released the block (it does so only when consumed).
        unsafe { self.inner.as_ref() }
    }

    /// Sends the value, returning it back if the receiver is gone.
    ///
    /// Consumes the sender: a oneshot carries one value. Not async: sending never waits, so it
    /// works in synchronous code too.
    ///
    /// `Err` means the value will never be received; `Ok` does *not* mean it will be: the
    /// receiver may hang up right after this returns.
    pub fn send(self, t: T) -> Result<(), T> {
        let this = ManuallyDrop::new(self);
        let inner = this.inner();
        // SAFETY: `COMPLETE` is unset (only this call or the sender's drop sets it, and both
        // consume the sender): the value cell is the sender's.
        inner.value.with_mut(|value| unsafe { *value = Some(t) });
        match inner.state.complete() {
            // Released: touch nothing more.
            Completed::Released => Ok(()),
            Completed::WakeReceiver => {
                // SAFETY: `complete` found `RX_TASK_SET`: the cell is shared for reads.
                unsafe { wake_by_ref(&inner.rx_waker) };
                release(this.inner, inner.state.release_tx());
                Ok(())
            }
            Completed::Closed => {
                // SAFETY: `COMPLETE` is still unset: the value cell is the sender's.
                let value = unsafe { inner.take_value() };
                release(this.inner, inner.state.release_tx());
                Err(value.expect("the value was stored above"))
            }
        }
    }

    /// Waits for the associated [`Receiver`] to close: [`Receiver::close`], or the receiver
    /// dropped.
    ///
    /// Useful with `select!` to abandon a computation whose result is no longer wanted.
    ///
    /// ```
    /// use tandem::sync::oneshot;
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let (mut tx, rx) = oneshot::channel::<()>();
    /// tandem::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Returns `true` if the associated [`Receiver`] has been closed or dropped.
    ///
    /// If `true` is returned, a call to `send` will always result in an error.
    pub fn is_closed(&self) -> bool {
        self.inner().state.load().is_closed()
    }

    /// Checks whether the receiver has closed, and if not, schedules the `Waker` in `cx` to be
    /// woken when it does.
    ///
    /// Of several calls, only the waker of the latest is woken. Returns `Poll::Pending` while
    /// the channel is open, `Poll::Ready(())` once it is closed.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let closed = self.inner().poll_closed(cx);
        if closed.is_ready() {
            coop.made_progress();
        }
        closed
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let inner = self.inner();
        match inner.state.complete() {
            Completed::Released => {}
            Completed::WakeReceiver => {
                // SAFETY: `complete` found `RX_TASK_SET`: the cell is shared for reads.
                unsafe { wake_by_ref(&inner.rx_waker) };
                release(self.inner, inner.state.release_tx());
            }
            Completed::Closed => release(self.inner, inner.state.release_tx()),
        }
    }
}

impl<T> Receiver<T> {
    /// Prevents the associated [`Sender`] from sending a value.
    ///
    /// Any `send` after `close` is guaranteed to fail. A value sent *before* can still be
    /// received: call [`try_recv`](Receiver::try_recv) after `close`. A no-op if the value was
    /// already received or the channel is closed already.
    ///
    /// ```
    /// use tandem::sync::oneshot;
    /// use tandem::sync::oneshot::error::TryRecvError;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert!(tx.send("never received").is_err());
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = self.inner {
            // SAFETY: the receiver has not released the block (`inner` is `Some`).
            let _ = unsafe { inner.as_ref() }.close();
        }
    }

    /// Returns true if this receiver has already yielded its result (from `.await`, a poll, or
    /// `try_recv`); it must not be polled again.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Returns true if there is no value to receive now: none was sent yet, the channel is
    /// closed, or the receiver has terminated.
    ///
    /// An empty channel is not necessarily safe to poll: a terminated receiver panics.
    pub fn is_empty(&self) -> bool {
        let Some(inner) = self.inner else {
            return true;
        };
        // SAFETY: the receiver has not released the block (`inner` is `Some`).
        let inner = unsafe { inner.as_ref() };
        if inner.state.load().is_complete() {
            // SAFETY: `COMPLETE`: the value cell is the receiver's; this only reads it.
            inner.value.with(|value| unsafe { (*value).is_none() })
        } else {
            true
        }
    }

    /// Attempts to receive the value without waiting; the task is not registered for a wake-up.
    ///
    /// Returns `Err(TryRecvError::Empty)` if no value was sent yet (and the channel is open),
    /// `Err(TryRecvError::Closed)` if the sender dropped without sending, the channel was
    /// closed before a value was sent, or the value was received already.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(ptr) = self.inner else {
            return Err(TryRecvError::Closed);
        };
        // SAFETY: the receiver has not released the block (`inner` is `Some`).
        let inner = unsafe { ptr.as_ref() };
        let state = inner.state.load();
        if !state.is_complete() && !state.is_closed() {
            return Err(TryRecvError::Empty);
        }
        let result = inner
            .finish_recv(state)
            .map_err(|RecvError(())| TryRecvError::Closed);
        self.terminate(ptr);
        result
    }

    /// Blocks the thread until the value arrives, for synchronous code.
    ///
    /// # Panics
    ///
    /// If called on a thread that drives a runtime (inside an asynchronous context).
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::sync::blocking::block_on(self)
    }

    /// Releases the block after the receiver yielded its result.
    fn terminate(&mut self, ptr: NonNull<Inner<T>>) {
        self.inner = None;
        // SAFETY: not released yet: this is the receiver's release.
        release(ptr, unsafe { ptr.as_ref() }.state.release_rx());
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(ptr) = self.inner else {
            return;
        };
        // SAFETY: the receiver has not released the block (`inner` is `Some`).
        let inner = unsafe { ptr.as_ref() };
        if inner.close().is_complete() {
            // SAFETY: `COMPLETE`: the value cell is the receiver's. The value drops now, as
            // Tokio's does, not when the block is freed.
            drop(unsafe { inner.take_value() });
        }
        self.terminate(ptr);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ptr = this.inner.expect("called after complete");
        let coop = ready!(coop::poll_proceed(cx));
        // SAFETY: the receiver has not released the block (`inner` is `Some`).
        let result = ready!(unsafe { ptr.as_ref() }.poll_recv(cx));
        coop.made_progress();
        this.terminate(ptr);
        Poll::Ready(result)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("state", &self.inner().state)
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Receiver");
        match self.inner {
            // SAFETY: the receiver has not released the block (`inner` is `Some`).
            Some(ptr) => d.field("state", &unsafe { ptr.as_ref() }.state),
            None => d.field("state", &"terminated"),
        };
        d.finish()
    }
}
