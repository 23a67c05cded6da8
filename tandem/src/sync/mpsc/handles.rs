//! The handles both flavours share, so that each behaviour is written once: a strong sender
//! (`Tx`), a weak one (`WeakTx`), and the receiver (`Rx`). `bounded.rs` and `unbounded.rs` wrap
//! them in Tokio's public types.

use super::batch::Batch;
use super::chan::Chan;
use super::error::TryRecvError;
use super::waiting::Closed;
use crate::loom::sync::Arc;
use crate::rt::coop;
use crate::sync::blocking;
use std::fmt;
use std::future::poll_fn;
use std::task::{ready, Context, Poll};

/// A strong sender: keeps the stream open.
pub(super) struct Tx<T> {
    chan: Arc<Chan<T>>,
}

/// A weak sender: keeps the channel's memory, not the stream.
pub(super) struct WeakTx<T> {
    chan: Arc<Chan<T>>,
}

/// The receiver: dropping it closes the channel and drops what is buffered.
pub(super) struct Rx<T> {
    chan: Arc<Chan<T>>,
    /// Messages taken from the channel in one batch, older than any still in the channel;
    /// popped without the lock. In a bounded channel each keeps its slot until popped.
    local: Batch<T>,
}

/// A new channel's two ends (`bound` is `None` for an unbounded one).
pub(super) fn pair<T>(bound: Option<usize>) -> (Tx<T>, Rx<T>) {
    let chan = Arc::new(Chan::new(bound));
    let tx = Tx { chan: chan.clone() };
    let rx = Rx {
        chan,
        local: Batch::new(),
    };
    (tx, rx)
}

impl<T> Tx<T> {
    pub(super) fn chan(&self) -> &Chan<T> {
        &self.chan
    }

    pub(super) async fn closed(&self) {
        Closed::new(&self.chan).await
    }

    pub(super) fn same_channel(&self, other: &Tx<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    pub(super) fn downgrade(&self) -> WeakTx<T> {
        self.chan.senders().add_weak();
        WeakTx {
            chan: self.chan.clone(),
        }
    }

    pub(super) fn strong_count(&self) -> usize {
        self.chan.senders().strong()
    }

    pub(super) fn weak_count(&self) -> usize {
        self.chan.senders().weak()
    }
}

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Tx<T> {
        self.chan.senders().clone_strong();
        Tx {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Tx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.chan.fmt(f)
    }
}

impl<T> WeakTx<T> {
    pub(super) fn upgrade(&self) -> Option<Tx<T>> {
        self.chan.senders().upgrade().then(|| Tx {
            chan: self.chan.clone(),
        })
    }

    pub(super) fn strong_count(&self) -> usize {
        self.chan.senders().strong()
    }

    pub(super) fn weak_count(&self) -> usize {
        self.chan.senders().weak()
    }
}

impl<T> Clone for WeakTx<T> {
    fn clone(&self) -> WeakTx<T> {
        self.chan.senders().add_weak();
        WeakTx {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakTx<T> {
    fn drop(&mut self) {
        self.chan.senders().drop_weak();
    }
}

impl<T> Rx<T> {
    pub(super) fn chan(&self) -> &Chan<T> {
        &self.chan
    }

    /// Spends a unit of the task's budget per message (and per end of stream), so that a task
    /// draining an always-full channel still yields to the others.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = ready!(coop::poll_proceed(cx));
        let poll = self
            .poll_local(cx)
            .map(|more| more.then(|| self.pop_local()));
        if poll.is_ready() {
            coop.made_progress();
        }
        poll
    }

    pub(super) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = ready!(coop::poll_proceed(cx));
        let poll = self.poll_local(cx).map(|more| {
            if !more {
                return 0;
            }
            let k = self.local.drain_into(buffer, limit);
            self.freed(k);
            k
        });
        if poll.is_ready() {
            coop.made_progress();
        }
        poll
    }

    /// Makes sure `local` holds a message (`Ready(true)`), or sees the end.
    fn poll_local(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.local.is_empty() {
            self.chan.poll_take_all(cx, self.local.refill())
        } else {
            Poll::Ready(true)
        }
    }

    fn pop_local(&mut self) -> T {
        let value = self.local.pop().expect("the batch holds a message");
        self.freed(1);
        value
    }

    /// `k` messages left the receiver's batch: a bounded channel's slots they held are free.
    fn freed(&mut self, k: usize) {
        if self.chan.is_bounded() {
            self.chan.give_back(k);
        }
    }

    pub(super) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    pub(super) async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        poll_fn(|cx| self.poll_recv_many(cx, buffer, limit)).await
    }

    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if self.local.is_empty() {
            self.chan.try_take_all(self.local.refill())?;
        }
        Ok(self.pop_local())
    }

    #[track_caller]
    pub(super) fn blocking_recv(&mut self) -> Option<T> {
        blocking::block_on(self.recv())
    }

    #[track_caller]
    pub(super) fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        blocking::block_on(self.recv_many(buffer, limit))
    }

    pub(super) fn close(&mut self) {
        self.chan.close();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    pub(super) fn len(&self) -> usize {
        self.local.len() + self.chan.len()
    }

    pub(super) fn sender_strong_count(&self) -> usize {
        self.chan.senders().strong()
    }

    pub(super) fn sender_weak_count(&self) -> usize {
        self.chan.senders().weak()
    }
}

impl<T> Drop for Rx<T> {
    /// Closes the channel and drops what it buffers; `local`'s messages are dropped after, with
    /// the field.
    fn drop(&mut self) {
        self.chan.drop_rx(self.local.len());
    }
}

impl<T> fmt::Debug for Rx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.chan.fmt(f)
    }
}
