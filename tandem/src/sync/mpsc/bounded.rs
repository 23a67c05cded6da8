//! The bounded channel's public types: [`channel`], [`Sender`], [`WeakSender`], [`Receiver`].

use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use super::handles::{self, Rx, Tx, WeakTx};
use super::permit::{OwnedPermit, Permit, PermitIterator};
use super::waiting::Reserve;
use crate::sync::blocking;
use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

/// The largest capacity a bounded channel may have (Tokio's semaphore limit).
const MAX_CAPACITY: usize = usize::MAX >> 3;

/// Creates a bounded channel for communicating between asynchronous tasks with backpressure.
///
/// The channel buffers up to `buffer` messages; once full, [`Sender::send`] waits until the
/// receiver takes one. Senders waiting for room are served in the order they started waiting.
/// All data sent on a [`Sender`] becomes available on the [`Receiver`] in the same order.
///
/// # Panics
/// If `buffer` is 0 (a rendezvous channel is not supported), or larger than `usize::MAX >> 3`.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// use tandem::sync::mpsc;
/// let (tx, mut rx) = mpsc::channel(100);
/// tandem::spawn(async move {
///     for i in 0..10 {
///         tx.send(i).await.unwrap();
///     }
/// });
/// let mut got = Vec::new();
/// while let Some(i) = rx.recv().await {
///     got.push(i);
/// }
/// assert_eq!(got, (0..10).collect::<Vec<_>>());
/// # });
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    assert!(
        buffer <= MAX_CAPACITY,
        "a semaphore may not have more than MAX_PERMITS permits ({MAX_CAPACITY})"
    );
    let (tx, rx) = handles::pair(Some(buffer));
    (Sender { tx }, Receiver { rx })
}

/// Sends values to the associated [`Receiver`]. Created by [`channel`]; cloned to get more.
pub struct Sender<T> {
    tx: Tx<T>,
}

/// A sender that does not keep the channel open: the receiver sees the end of the stream once
/// every [`Sender`] is gone, whatever weak senders remain. [`upgrade`](WeakSender::upgrade)
/// gets a [`Sender`] while one still exists. Created by [`Sender::downgrade`].
pub struct WeakSender<T> {
    tx: WeakTx<T>,
}

/// Receives values from the associated [`Sender`]s. Created by [`channel`].
pub struct Receiver<T> {
    rx: Rx<T>,
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting while none is buffered. Returns `None` once the
    /// channel is closed and drained: every sender is gone, or [`close`](Self::close) was
    /// called and every outstanding permit was used or dropped.
    ///
    /// # Cancel safety
    /// Cancel safe: if `recv` is used as a branch of `select!` and another branch completes
    /// first, no message was received (and none is lost).
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// Receives up to `limit` values into `buffer` (appending), waiting while none is
    /// buffered. Returns how many were added: 0 when `limit` is 0, or once the channel is
    /// closed and drained.
    ///
    /// # Cancel safety
    /// Cancel safe, as [`recv`](Self::recv).
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        self.rx.recv_many(buffer, limit).await
    }

    /// Takes a buffered value without waiting: [`TryRecvError::Empty`] if none is buffered
    /// now, [`TryRecvError::Disconnected`] if none ever will be.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Blocks the current thread until a value is received, or the channel is closed and
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

    /// Closes the receiving half without dropping it: sends and reservations fail from now
    /// on, while values already sent, and values sent through permits already reserved, can
    /// still be received.
    pub fn close(&mut self) {
        self.rx.close()
    }

    /// True once [`close`](Self::close) was called or every sender is gone (values may still
    /// be buffered).
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

    /// How many more values could be sent now: the channel's capacity less the buffered
    /// values and the reserved slots.
    pub fn capacity(&self) -> usize {
        self.rx.chan().capacity()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.rx.chan().bound()
    }

    /// Polls for the next value: `Ready(Some)`, `Ready(None)` at the end of the stream, or
    /// `Pending` with `cx`'s waker registered (only the waker of the latest poll is woken).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Polls for up to `limit` values, appended to `buffer`; `Ready(0)` when `limit` is 0 or
    /// at the end of the stream.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit)
    }

    /// How many [`Sender`]s exist.
    pub fn sender_strong_count(&self) -> usize {
        self.rx.sender_strong_count()
    }

    /// How many [`WeakSender`]s exist.
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("chan", &self.rx).finish()
    }
}

impl<T> Sender<T> {
    /// Sends a value, waiting for room if the channel is full. Fails, handing the value back,
    /// once the receiver closed the channel or was dropped.
    ///
    /// # Cancel safety
    /// If cancelled while waiting, the value is not sent, and this sender loses its place in
    /// the queue of senders waiting for room. [`reserve`](Self::reserve) keeps the value in the
    /// caller's hands until room is secured.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match Reserve::new(self.tx.chan(), 1).await {
            Ok(()) => {
                self.tx.chan().send_reserved(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Completes when the receiver closes the channel or is dropped.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// Sends a value if there is room now, without waiting.
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        self.tx.chan().try_send(message)
    }

    /// Sends a value, waiting at most `timeout` for room.
    ///
    /// # Panics
    /// Outside a Tandem runtime (the timeout needs its timer).
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, Reserve::new(self.tx.chan(), 1)).await {
            Ok(Ok(())) => {
                self.tx.chan().send_reserved(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_elapsed) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Blocking form of [`send`](Self::send), for synchronous code.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        blocking::block_on(self.send(value))
    }

    /// True once the receiver closed the channel or was dropped.
    pub fn is_closed(&self) -> bool {
        self.tx.chan().is_rx_closed()
    }

    /// Waits for room for one value and reserves it: the returned [`Permit`] sends without
    /// waiting, or gives the room back when dropped.
    ///
    /// # Cancel safety
    /// Cancel safe in that nothing is lost, but the place in the queue of waiting senders is.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        Reserve::new(self.tx.chan(), 1).await?;
        Ok(Permit::new(self.tx.chan()))
    }

    /// Waits for room for `n` values and reserves it all at once. Fails if the channel is
    /// closed, or if `n` exceeds its capacity.
    ///
    /// # Cancel safety
    /// As [`reserve`](Self::reserve): room already given to this call goes back.
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        Reserve::new(self.tx.chan(), n).await?;
        Ok(PermitIterator::new(self.tx.chan(), n))
    }

    /// As [`reserve`](Self::reserve), moving the sender into an [`OwnedPermit`] (which
    /// returns it once used).
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        Reserve::new(self.tx.chan(), 1).await?;
        Ok(OwnedPermit::new(self))
    }

    /// Reserves room for one value if there is some now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.tx.chan().try_reserve(1)?;
        Ok(Permit::new(self.tx.chan()))
    }

    /// Reserves room for `n` values if there is that much now.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        self.tx.chan().try_reserve(n)?;
        Ok(PermitIterator::new(self.tx.chan(), n))
    }

    /// As [`try_reserve`](Self::try_reserve), moving the sender into an [`OwnedPermit`]; on
    /// failure the sender comes back in the error.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.tx.chan().try_reserve(1) {
            Ok(()) => Ok(OwnedPermit::new(self)),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// True if both senders send to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// How many more values could be sent now (see [`Receiver::capacity`]).
    pub fn capacity(&self) -> usize {
        self.tx.chan().capacity()
    }

    /// A [`WeakSender`] for this channel.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            tx: self.tx.downgrade(),
        }
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.tx.chan().bound()
    }

    /// How many [`Sender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }

    pub(super) fn tx(&self) -> &Tx<T> {
        &self.tx
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &self.tx).finish()
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any still exists (otherwise the channel is closed for good).
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.tx.upgrade().map(|tx| Sender { tx })
    }

    /// How many [`Sender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish()
    }
}
