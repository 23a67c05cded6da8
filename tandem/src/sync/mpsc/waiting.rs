//! The futures that wait in one of the channel's queues: a reservation of slots (behind
//! `send`, `reserve`, `reserve_many`, `reserve_owned`) and a wait for the receiver to close
//! (`closed`). Each leaves its queue when dropped early, which is what makes them cancel safe:
//! a dropped reservation gives back the slots it was given, and loses only its place in line.

use super::chan::{Chan, WaitState};
use super::error::SendError;
use crate::rt::coop;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Waits for `n` slots of a bounded channel.
pub(super) struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
    state: WaitState,
}

impl<'a, T> Reserve<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, n: usize) -> Reserve<'a, T> {
        Reserve {
            chan,
            n,
            state: WaitState::Idle,
        }
    }
}

impl<T> Future for Reserve<'_, T> {
    type Output = Result<(), SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(coop::poll_proceed(cx));
        let poll = this.chan.poll_reserve(cx, this.n, &mut this.state);
        if poll.is_ready() {
            coop.made_progress();
        }
        poll
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_reserve(self.n, self.state);
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
