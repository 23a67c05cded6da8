//! The sending halves of a broadcast channel: `Sender`, and `WeakSender`, which does not keep
//! the channel open.

use super::error::SendError;
use super::{new_shared, Receiver, Shared};
use crate::loom::sync::Arc;
use crate::sync::wait_list::WaitKey;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Sends values to every [`Receiver`] of a broadcast channel. Cloneable; usable from many
/// threads at once.
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

/// A sender that does not keep the channel open: when only weak senders remain, the
/// receivers see the channel closed. [`upgrade`](WeakSender::upgrade) it to send.
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn from_shared(shared: Arc<Shared<T>>) -> Sender<T> {
        Sender { shared }
    }

    /// Creates a channel retaining up to `capacity` values and returns its sender alone: `send`
    /// fails until [`subscribe`](Sender::subscribe) makes a receiver. See [`channel`](super::channel).
    ///
    /// # Panics
    /// If `capacity` is 0 or above `usize::MAX / 2`.
    #[track_caller]
    pub fn new(capacity: usize) -> Sender<T> {
        Sender::from_shared(new_shared(capacity, 0))
    }

    /// Sends `value` to every current receiver and returns how many there are (some may drop
    /// or lag before they read it). Fails, returning `value`, if there is none; a later
    /// `subscribe` makes sending work again.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut ring = self.shared.ring.lock();
        let (receivers, overwritten) = ring.send(value).map_err(SendError)?;
        let wakers = ring.awaiting_value.take_all();
        drop(ring);
        wakers.into_iter().for_each(Waker::wake);
        drop(overwritten);
        Ok(receivers)
    }

    /// Makes a receiver of the values sent after this call.
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver::subscribe(self.shared.clone())
    }

    /// A [`WeakSender`] of the same channel, which does not keep it open.
    #[must_use = "Downgrade creates a WeakSender without destroying the original non-weak sender."]
    pub fn downgrade(&self) -> WeakSender<T> {
        self.shared.ring.lock().weak_senders += 1;
        WeakSender {
            shared: self.shared.clone(),
        }
    }

    /// How many values are queued: sent, and not yet read by every receiver that was there
    /// when it was sent, nor overwritten. (Unlike [`Receiver::len`], overwritten values do not
    /// count.)
    pub fn len(&self) -> usize {
        self.shared.ring.lock().queued()
    }

    /// Whether no value is queued (see [`len`](Sender::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many receivers exist (each of which will be sent the next value).
    pub fn receiver_count(&self) -> usize {
        self.shared.ring.lock().receivers
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Completes when no receiver exists (at once for a channel made by [`Sender::new`] that
    /// nobody subscribed to yet).
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn closed(&self) {
        Closed {
            shared: &self.shared,
            key: None,
        }
        .await
    }

    /// How many [`Sender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.shared.ring.lock().senders
    }

    /// How many [`WeakSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.shared.ring.lock().weak_senders
    }
}

/// The future of [`Sender::closed`].
struct Closed<'a, T> {
    shared: &'a Shared<T>,
    key: Option<WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut ring = this.shared.ring.lock();
        if ring.receivers == 0 {
            let left = this
                .key
                .take()
                .and_then(|key| ring.awaiting_close.remove(key));
            drop(ring);
            drop(left);
            return Poll::Ready(());
        }
        let replaced = ring.awaiting_close.register(&mut this.key, cx.waker());
        drop(ring);
        drop(replaced);
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let left = self.shared.ring.lock().awaiting_close.remove(key);
            drop(left);
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.ring.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut ring = self.shared.ring.lock();
        ring.senders -= 1;
        let wakers = match ring.senders {
            0 => ring.awaiting_value.take_all(),
            _ => Vec::new(),
        };
        drop(ring);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::Sender")
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any still exists (otherwise the channel is closed for good).
    #[must_use]
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut ring = self.shared.ring.lock();
        if ring.senders == 0 {
            return None;
        }
        ring.senders += 1;
        drop(ring);
        Some(Sender::from_shared(self.shared.clone()))
    }

    /// How many [`Sender`]s exist.
    pub fn strong_count(&self) -> usize {
        self.shared.ring.lock().senders
    }

    /// How many [`WeakSender`]s exist.
    pub fn weak_count(&self) -> usize {
        self.shared.ring.lock().weak_senders
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.shared.ring.lock().weak_senders += 1;
        WeakSender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.ring.lock().weak_senders -= 1;
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::WeakSender")
    }
}
