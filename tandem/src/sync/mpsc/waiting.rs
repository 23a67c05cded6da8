//! The futures that wait in one of the channel's queues: a reservation of slots (behind
//! `send`, `reserve`, `reserve_many`, `reserve_owned`) and a wait for the receiver to close
//! (`closed`). Each leaves its queue when dropped early, which is what makes them cancel safe:
//! a dropped reservation gives back the slots it was given, and loses only its place in line.

use super::chan::{Chan, WaitState};
use super::error::SendError;
use crate::sync::semaphore::Acquire;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Waits for `n` slots of a bounded channel: an acquisition of `n` permits of its semaphore
/// (FIFO, the cooperative budget spent once they are its own), and, if that fails because the
/// receiver closed, the check that what it gave back made the channel idle.
pub(super) struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    /// `None` once finished (or failed).
    acquire: Option<Acquire<'a>>,
}

impl<'a, T> Reserve<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, n: usize) -> Reserve<'a, T> {
        Reserve {
            chan,
            acquire: Some(chan.slots().acquire(n)),
        }
    }
}

impl<T> Future for Reserve<'_, T> {
    type Output = Result<(), SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let acquire = this
            .acquire
            .as_mut()
            .expect("a reservation polled after it completed");
        let result = ready!(Pin::new(acquire).poll(cx));
        this.acquire = None;
        match result {
            Ok(()) => Poll::Ready(Ok(())),
            Err(_closed) => {
                // It may have given back slots it had been assigned before the close.
                this.chan.wake_rx_if_idle();
                Poll::Ready(Err(SendError(())))
            }
        }
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if let Some(acquire) = self.acquire.take() {
            // Leaves the queue, giving back what it was assigned; after the close, that may
            // make the channel idle.
            drop(acquire);
            self.chan.wake_rx_if_idle();
        }
    }
}

/// Waits for the receiver to close the channel (or be dropped).
pub(super) struct Closed<'a, T> {
    chan: &'a Chan<T>,
    state: WaitState,
}

impl<'a, T> Closed<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Closed<'a, T> {
        Closed {
            chan,
            state: WaitState::Idle,
        }
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.chan.poll_closed(cx, &mut this.state)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_closed(self.state);
    }
}
