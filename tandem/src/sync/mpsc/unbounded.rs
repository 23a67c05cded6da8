//! The unbounded channel's public types: [`unbounded_channel`], [`UnboundedSender`],
//! [`WeakUnboundedSender`], [`UnboundedReceiver`].

use super::error::{SendError, TryRecvError};
use super::handles::{self, Rx, Tx, WeakTx};
use std::fmt;
use std::task::{Context, Poll};

/// Creates an unbounded channel: sending never waits, and the buffer grows as needed (so a
/// receiver that falls behind lets memory grow without bound).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = tandem::sync::mpsc::unbounded_channel();
/// tx.send("hello").unwrap();
/// drop(tx);
/// assert_eq!(rx.recv().await, Some("hello"));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = handles::pair(None);
    (UnboundedSender { tx }, UnboundedReceiver { rx })
}

/// Sends values to the associated [`UnboundedReceiver`]. Created by [`unbounded_channel`].
pub struct UnboundedSender<T> {
    tx: Tx<T>,
}

/// An unbounded sender that does not keep the channel open (see
/// [`WeakSender`](super::WeakSender)). Created by [`UnboundedSender::downgrade`].
pub struct WeakUnboundedSender<T> {
    tx: WeakTx<T>,
}

/// Receives values from the associated [`UnboundedSender`]s. Created by
/// [`unbounded_channel`].
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next value, waiting while none is buffered; `None` once the channel is
    /// closed (every sender gone, or [`close`](Self::close) called) and drained.
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled `recv` received nothing.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// Receives up to `limit` values into `buffer` (appending); returns how many were added,
    /// 0 when `limit` is 0 or once the channel is closed and drained.
    ///
    /// # Cancel safety
    /// Cancel safe, as [`recv`](Self::recv).
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        self.rx.recv_many(buffer, limit).await
    }

    /// Takes a buffered value without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Blocks the current thread until a value is received or the channel is closed and
    /// drained: for synchronous code.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        self.rx.blocking_recv()
    }

    /// Blocking form of [`recv_many`](Self::recv_many), for synchronous code.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        self.rx.blocking_recv_many(buffer, limit)
    }

    /// Closes the receiving half without dropping it: sends fail from now on; values already
    /// sent can still be received.
    pub fn close(&mut self) {
        self.rx.close()
    }

    /// True once [`close`](Self::close) was called or every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// True if no value is buffered.
    pub fn is_empty(&self) -> bool {
        self.rx.len() == 0
    }

    /// How many values are buffered.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Polls for the next value (see [`Receiver::poll_recv`](super::Receiver::poll_recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Polls for up to `limit` values, appended to `buffer`.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit)
    }

    /// How many [`UnboundedSender`]s exist.
    pub fn sender_strong_count(&self) -> usize {
        self.rx.sender_strong_count()
    }

    /// How many [`WeakUnboundedSender`]s exist.
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("chan", &self.rx)
            .finish()
    }
}

impl<T> UnboundedSender<T> {
    /// Sends a value without waiting. Fails, handing the value back, once the receiver closed
    /// the channel or was dropped.
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.tx.chan().send_unbounded(message)
    }

    /// Completes when the receiver closes the channel or is dropped.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// True once the receiver closed the channel or was dropped.
    pub fn is_closed(&self) -> bool {
        self.tx.chan().is_rx_closed()
    }

    /// True if both senders send to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// A [`WeakUnboundedSender`] for this channel.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            tx: self.tx.downgrade(),
        }
    }

    /// How many [`UnboundedSender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakUnboundedSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("chan", &self.tx)
            .finish()
    }
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], if any still exists.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.tx.upgrade().map(|tx| UnboundedSender { tx })
    }

    /// How many [`UnboundedSender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakUnboundedSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender").finish()
    }
}
