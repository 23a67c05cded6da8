//! The receiving half of a broadcast channel.

use super::error::{RecvError, TryRecvError};
use super::ring::Read;
use super::Shared;
use crate::loom::sync::Arc;
use crate::sync::wait_list::WaitKey;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// Receives every value sent on a broadcast channel after it subscribed. One task at a time
/// (its methods take `&mut self`); [`resubscribe`](Receiver::resubscribe) or
/// [`Sender::subscribe`](super::Sender::subscribe) for more.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value to read.
    cursor: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, cursor: u64) -> Receiver<T> {
        Receiver { shared, cursor }
    }

    /// A new receiver of `shared`, at its tail.
    pub(super) fn subscribe(shared: Arc<Shared<T>>) -> Receiver<T> {
        let cursor = shared.ring.lock().subscribe();
        Receiver::new(shared, cursor)
    }

    /// How many values were sent that this receiver has yet to read, counting those already
    /// overwritten: above the ring's capacity, the next receive reports a lag.
    pub fn len(&self) -> usize {
        self.shared.ring.lock().unread_from(self.cursor)
    }

    /// Whether this receiver has read every value sent (see [`len`](Receiver::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// How many [`Sender`](super::Sender)s exist.
    pub fn sender_strong_count(&self) -> usize {
        self.shared.ring.lock().senders
    }

    /// How many [`WeakSender`](super::WeakSender)s exist.
    pub fn sender_weak_count(&self) -> usize {
        self.shared.ring.lock().weak_senders
    }

    /// Whether every [`Sender`](super::Sender) is gone (values may remain to read).
    pub fn is_closed(&self) -> bool {
        self.sender_strong_count() == 0
    }
}

impl<T: Clone> Receiver<T> {
    /// A new receiver of the same channel, at its tail: it sees the values sent from now on,
    /// not those this one has yet to read.
    pub fn resubscribe(&self) -> Self {
        Receiver::subscribe(self.shared.clone())
    }

    /// Receives the next value: a clone of it.
    ///
    /// # Errors
    /// [`RecvError::Closed`] once every sender is gone and every value retained was read;
    /// [`RecvError::Lagged`] if values were overwritten before this receiver read them (see
    /// [lagging](super#lagging)).
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled `recv` received nothing.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv {
            receiver: self,
            key: None,
        }
        .await
    }

    /// Receives the next value if one is there, without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if none is there yet; otherwise as [`recv`](Receiver::recv).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.take(None)
    }

    /// Receives the next value, blocking the thread until it is there: for code outside any
    /// runtime.
    ///
    /// # Panics
    /// If called from a thread that drives a runtime (inside a task or `block_on`).
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::sync::blocking::block_on(self.recv())
    }

    /// Reads the next value and clones it. With `waiter`, an empty channel queues it (or
    /// refreshes its waker); after any other outcome it may still be queued, for its future's
    /// drop to take out.
    fn take(&mut self, waiter: Option<(&Waker, &mut Option<WaitKey>)>) -> Result<T, TryRecvError> {
        let mut ring = self.shared.ring.lock();
        let read = ring.read(&mut self.cursor);
        if let Err(TryRecvError::Empty) = read {
            let replaced = waiter.and_then(|(waker, key)| ring.awaiting_value.register(key, waker));
            drop(ring);
            drop(replaced);
            return Err(TryRecvError::Empty);
        }
        match read? {
            // Other receivers still need it: clone under the lock. A panicking clone leaves
            // the value read (the cursor moved past it) and releases the lock on the way out.
            Read::Shared(value) => Ok(value.clone()),
            Read::Last(value) => {
                drop(ring);
                Ok(value.clone())
            }
        }
    }
}

/// The future of [`Receiver::recv`].
struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// This future's place in the queue of receivers awaiting a value.
    key: Option<WaitKey>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(crate::rt::coop::poll_proceed(cx));
        let outcome = match this.receiver.take(Some((cx.waker(), &mut this.key))) {
            Err(TryRecvError::Empty) => return Poll::Pending,
            Ok(value) => Ok(value),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
        };
        coop.made_progress();
        Poll::Ready(outcome)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.key.is_some() {
            let left = self
                .receiver
                .shared
                .ring
                .lock()
                .leave_value_queue(&mut self.key);
            drop(left);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (released, wakers) = self.shared.ring.lock().unsubscribe(self.cursor);
        wakers.into_iter().for_each(Waker::wake);
        drop(released);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::Receiver")
    }
}
