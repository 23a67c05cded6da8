//! The state both halves share: the buffered messages, the receiver's waker, the close flags,
//! the bounded capacity (`slots.rs`) and the tasks waiting in `Sender::closed`, all under one
//! short lock; and the sender counts (`senders.rs`) beside it, in atomics.
//!
//! Every operation is one critical section: take the lock, update the state, take the wakers
//! it must wake (and any waker it replaces), release the lock, then wake (and drop). Nothing
//! foreign runs under the lock: a waker's `wake` or `drop` may re-enter this channel (a task
//! dropped by its last waker may own a permit of it).
//!
//! The end of the stream: `recv` returns `None` once nothing is buffered and either every
//! strong sender is gone (`tx_closed`), or the receiver closed the channel and it is idle (no
//! permit or waiting sender still holds a slot that could become a message).

use super::batch::shrink_if_drained;
use super::error::{SendError, TryRecvError, TrySendError};
use super::senders::{Release, SenderCounts};
use super::slots::{Acquire, Slots};
use super::wakers::Wakers;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use crate::sync::wait_list::{WaitKey, WaitList};
use std::collections::VecDeque;
use std::fmt;
use std::task::{Context, Poll, Waker};

pub(super) struct Chan<T> {
    shared: Mutex<Shared<T>>,
    senders: SenderCounts,
    /// A lock-free copy of `Shared::rx_closed` for `is_closed`: set under the lock, never unset.
    rx_closed: AtomicBool,
    /// The capacity of a bounded channel; `None` for an unbounded one.
    bound: Option<usize>,
}

struct Shared<T> {
    queue: VecDeque<T>,
    /// The receiver's task, while it waits for a message or the end.
    rx_waker: Option<Waker>,
    /// The receiver closed the channel (or was dropped): sends fail. Never unset.
    rx_closed: bool,
    /// The receiver was dropped: a permit's message is dropped instead of buffered. Never unset.
    rx_dropped: bool,
    /// Every strong sender is gone. Never unset.
    tx_closed: bool,
    /// A bounded channel's capacity; `None` when unbounded.
    slots: Option<Slots>,
    /// Tasks in `Sender::closed`, woken when the receiver closes.
    closed_waiters: WaitList<Option<Waker>>,
}

/// Where a waiting operation stands (a reservation, or a wait for the close).
#[derive(Debug, Clone, Copy)]
pub(super) enum WaitState {
    /// Not asked yet.
    Idle,
    /// Queued with this key.
    Waiting(WaitKey),
    /// Finished: nothing to give back.
    Done,
}

/// The wakers to wake, and the wakers (or messages) to drop, once the lock is released.
#[must_use = "the deferred work runs when the lock is released"]
struct Deferred<T> {
    wakers: Wakers,
    garbage: Vec<Waker>,
    message: Option<T>,
}

impl<T> Deferred<T> {
    fn new() -> Deferred<T> {
        Deferred {
            wakers: Wakers::new(),
            garbage: Vec::new(),
            message: None,
        }
    }

    /// Runs the deferred work; called after the guard was dropped.
    fn run(self) {
        drop(self.garbage);
        drop(self.message);
        self.wakers.wake();
    }
}

impl<T> Chan<T> {
    pub(super) fn new(bound: Option<usize>) -> Chan<T> {
        Chan {
            shared: Mutex::new(Shared {
                queue: VecDeque::new(),
                rx_waker: None,
                rx_closed: false,
                rx_dropped: false,
                tx_closed: false,
                slots: bound.map(Slots::new),
                closed_waiters: WaitList::new(),
            }),
            senders: SenderCounts::new(),
            rx_closed: AtomicBool::new(false),
            bound,
        }
    }

    pub(super) fn senders(&self) -> &SenderCounts {
        &self.senders
    }

    /// The capacity of a bounded channel.
    pub(super) fn bound(&self) -> usize {
        self.bound.expect("only bounded channels have a capacity")
    }

    // ----- sending -----

    /// Buffers `value` without a slot (an unbounded channel), unless the receiver closed.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), SendError<T>> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        if shared.rx_closed {
            return Err(SendError(value));
        }
        shared.push(value, &mut deferred);
        drop(shared);
        deferred.run();
        Ok(())
    }

    /// Buffers `value` in a slot the caller holds (a permit). After the receiver was dropped the
    /// message is dropped instead, and its slot given back.
    pub(super) fn send_reserved(&self, value: T) {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        if shared.rx_dropped {
            deferred.message = Some(value);
            shared.release_slots(1, &mut deferred);
        } else {
            shared.push(value, &mut deferred);
        }
        drop(shared);
        deferred.run();
    }

    /// Takes a slot and buffers `value` if one is free now.
    pub(super) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        if shared.rx_closed {
            return Err(TrySendError::Closed(value));
        }
        if !shared.slots_mut().try_take(1) {
            return Err(TrySendError::Full(value));
        }
        shared.push(value, &mut deferred);
        drop(shared);
        deferred.run();
        Ok(())
    }

    /// Takes `n` slots if they are free now.
    pub(super) fn try_reserve(&self, n: usize) -> Result<(), TrySendError<()>> {
        let mut shared = self.shared.lock();
        if shared.rx_closed {
            return Err(TrySendError::Closed(()));
        }
        if n > shared.slots_mut().bound() || !shared.slots_mut().try_take(n) {
            return Err(TrySendError::Full(()));
        }
        Ok(())
    }

    /// Polls for `n` slots (`n <= bound`), queueing in FIFO order when they are short. Ready
    /// with an error once the receiver closed (giving back what the caller held).
    pub(super) fn poll_reserve(
        &self,
        cx: &mut Context<'_>,
        n: usize,
        state: &mut WaitState,
    ) -> Poll<Result<(), SendError<()>>> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let poll = match *state {
            WaitState::Idle if shared.rx_closed => Poll::Ready(Err(SendError(()))),
            WaitState::Idle => match shared.slots_mut().acquire(n, cx.waker()) {
                Acquire::Taken => Poll::Ready(Ok(())),
                Acquire::Queued(key) => {
                    *state = WaitState::Waiting(key);
                    Poll::Pending
                }
            },
            WaitState::Waiting(key) if shared.rx_closed => {
                let held = shared.slots_mut().leave(key, n, &mut deferred.garbage);
                shared.release_slots(held, &mut deferred);
                Poll::Ready(Err(SendError(())))
            }
            WaitState::Waiting(key) => {
                let slots = shared.slots.as_mut().expect("bounded");
                if slots.poll_queued(key, cx.waker(), &mut deferred.garbage) {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                }
            }
            WaitState::Done => panic!("a reservation polled after it completed"),
        };
        if poll.is_ready() {
            *state = WaitState::Done;
        }
        drop(shared);
        deferred.run();
        poll
    }

    /// A reservation is dropped before it completed: it leaves the queue, giving back what it
    /// held (to the next waiters).
    pub(super) fn cancel_reserve(&self, n: usize, state: WaitState) {
        let WaitState::Waiting(key) = state else {
            return;
        };
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let held = shared.slots_mut().leave(key, n, &mut deferred.garbage);
        shared.release_slots(held, &mut deferred);
        drop(shared);
        deferred.run();
    }

    /// Gives back `n` slots held by permits that were not used.
    pub(super) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        shared.release_slots(n, &mut deferred);
        drop(shared);
        deferred.run();
    }

    /// Free slots now.
    pub(super) fn capacity(&self) -> usize {
        self.shared.lock().slots_mut().available()
    }

    /// True once the receiver closed the channel or was dropped.
    pub(super) fn is_rx_closed(&self) -> bool {
        // Acquire: pairs with the Release store in `close`, so a sender that sees the close sees
        // the state before it (nothing it reads depends on that, but it keeps `is_closed` and a
        // following `send` consistent).
        self.rx_closed.load(Ordering::Acquire)
    }

    /// Polls until the receiver closes (`Sender::closed`).
    pub(super) fn poll_closed(&self, cx: &mut Context<'_>, state: &mut WaitState) -> Poll<()> {
        let mut deferred = Deferred::<T>::new();
        let mut shared = self.shared.lock();
        let poll = if shared.rx_closed {
            if let WaitState::Waiting(key) = *state {
                // Normally gone already: the close drained the list.
                deferred
                    .garbage
                    .extend(shared.closed_waiters.remove(key).flatten());
            }
            *state = WaitState::Done;
            Poll::Ready(())
        } else {
            match *state {
                WaitState::Waiting(key) => {
                    if let Some(slot) = shared.closed_waiters.get_mut(key) {
                        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                            deferred.garbage.extend(slot.replace(cx.waker().clone()));
                        }
                    }
                }
                _ => {
                    let key = shared.closed_waiters.push_back(Some(cx.waker().clone()));
                    *state = WaitState::Waiting(key);
                }
            }
            Poll::Pending
        };
        drop(shared);
        deferred.run();
        poll
    }

    /// A `Sender::closed` future is dropped while waiting.
    pub(super) fn cancel_closed(&self, state: WaitState) {
        if let WaitState::Waiting(key) = state {
            let removed = self.shared.lock().closed_waiters.remove(key);
            drop(removed);
        }
    }

    /// A strong sender goes away; the last one ends the stream for the receiver.
    pub(super) fn drop_sender(&self) {
        if self.senders.drop_strong() == Release::Last {
            let mut shared = self.shared.lock();
            shared.tx_closed = true;
            let waker = shared.rx_waker.take();
            drop(shared);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    // ----- receiving -----

    /// Takes the next message, or registers the receiver's waker. The caller spends the
    /// cooperative budget.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let poll = match shared.pop() {
            Some(value) => {
                shared.release_slots(1, &mut deferred);
                Poll::Ready(Some(value))
            }
            None if shared.is_finished() => Poll::Ready(None),
            None => {
                shared.register_rx(cx.waker(), &mut deferred);
                Poll::Pending
            }
        };
        drop(shared);
        deferred.run();
        poll
    }

    /// Moves up to `limit` (> 0) messages into `buffer`; `Ready(0)` is the end of the stream.
    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let k = limit.min(shared.queue.len());
        let poll = if k > 0 {
            buffer.extend(shared.queue.drain(..k));
            shared.shrink_if_drained();
            shared.release_slots(k, &mut deferred);
            Poll::Ready(k)
        } else if shared.is_finished() {
            Poll::Ready(0)
        } else {
            shared.register_rx(cx.waker(), &mut deferred);
            Poll::Pending
        };
        drop(shared);
        deferred.run();
        poll
    }

    /// Unbounded only: moves every buffered message into the receiver's own buffer `local`
    /// (empty), which it then pops without the lock; or registers the receiver's waker.
    /// `Ready(false)` is the end of the stream. (A bounded channel's receiver takes one message
    /// at a time, since each one frees a slot that a waiting sender may need at once.)
    pub(super) fn poll_take_all(
        &self,
        cx: &mut Context<'_>,
        local: &mut VecDeque<T>,
    ) -> Poll<bool> {
        debug_assert!(self.bound.is_none() && local.is_empty());
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let poll = if !shared.queue.is_empty() {
            // The receiver's empty buffer (and its memory) becomes the senders'.
            std::mem::swap(&mut shared.queue, local);
            Poll::Ready(true)
        } else if shared.is_finished() {
            Poll::Ready(false)
        } else {
            shared.register_rx(cx.waker(), &mut deferred);
            Poll::Pending
        };
        drop(shared);
        deferred.run();
        poll
    }

    /// As [`poll_take_all`](Self::poll_take_all), without waiting.
    pub(super) fn try_take_all(&self, local: &mut VecDeque<T>) -> Result<(), TryRecvError> {
        debug_assert!(self.bound.is_none() && local.is_empty());
        let mut shared = self.shared.lock();
        if !shared.queue.is_empty() {
            std::mem::swap(&mut shared.queue, local);
            Ok(())
        } else if shared.is_finished() {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    pub(super) fn is_bounded(&self) -> bool {
        self.bound.is_some()
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let result = match shared.pop() {
            Some(value) => {
                shared.release_slots(1, &mut deferred);
                Ok(value)
            }
            None if shared.is_finished() => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        };
        drop(shared);
        deferred.run();
        result
    }

    /// Messages buffered now.
    pub(super) fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Every strong sender is gone, or the receiver closed.
    pub(super) fn is_closed(&self) -> bool {
        self.is_rx_closed() || self.senders.strong() == 0
    }

    /// The receiver closes the channel: sends fail from now on, waiting senders and
    /// `Sender::closed` wake; buffered messages and outstanding permits still reach it.
    pub(super) fn close(&self) {
        let mut deferred = Deferred::<T>::new();
        let mut shared = self.shared.lock();
        shared.close(&mut deferred);
        // Release: pairs with the Acquire in `is_rx_closed`.
        self.rx_closed.store(true, Ordering::Release);
        drop(shared);
        deferred.run();
    }

    /// The receiver is dropped: closes, forgets its waker, and drops every buffered message
    /// (after the lock is released; if one's `drop` panics, the rest are still dropped).
    pub(super) fn drop_rx(&self) {
        let mut deferred = Deferred::<T>::new();
        let mut shared = self.shared.lock();
        shared.close(&mut deferred);
        self.rx_closed.store(true, Ordering::Release);
        shared.rx_dropped = true;
        deferred.garbage.extend(shared.rx_waker.take());
        let messages = std::mem::take(&mut shared.queue);
        let n = messages.len();
        shared.release_slots(n, &mut deferred);
        drop(shared);
        deferred.run();
        drop(messages);
    }
}

impl<T> Shared<T> {
    fn slots_mut(&mut self) -> &mut Slots {
        self.slots.as_mut().expect("a bounded channel's operation")
    }

    /// Buffers a message whose slot (if bounded) is already taken, and takes the receiver's
    /// waker.
    fn push(&mut self, value: T, deferred: &mut Deferred<T>) {
        self.queue.push_back(value);
        if let Some(waker) = self.rx_waker.take() {
            deferred.wakers.push(waker);
        }
    }

    /// Takes the oldest message.
    fn pop(&mut self) -> Option<T> {
        let value = self.queue.pop_front();
        self.shrink_if_drained();
        value
    }

    fn shrink_if_drained(&mut self) {
        shrink_if_drained(&mut self.queue);
    }

    /// `k` slots come back (a message was received, a permit dropped, a reservation
    /// abandoned). Unbounded channels have none. After the close, the receiver waits for the
    /// channel to go idle, and this may be what makes it so.
    fn release_slots(&mut self, k: usize, deferred: &mut Deferred<T>) {
        let Some(slots) = self.slots.as_mut() else {
            return;
        };
        if self.rx_closed {
            slots.release_closed(k);
            if slots.is_idle() && self.queue.is_empty() {
                if let Some(waker) = self.rx_waker.take() {
                    deferred.wakers.push(waker);
                }
            }
        } else {
            slots.release(k, &mut deferred.wakers);
        }
    }

    /// Nothing is buffered, and nothing will be.
    fn is_finished(&self) -> bool {
        debug_assert!(self.queue.is_empty());
        self.tx_closed || (self.rx_closed && self.slots.as_ref().is_none_or(Slots::is_idle))
    }

    fn register_rx(&mut self, waker: &Waker, deferred: &mut Deferred<T>) {
        match &self.rx_waker {
            Some(current) if current.will_wake(waker) => {}
            _ => deferred
                .garbage
                .extend(self.rx_waker.replace(waker.clone())),
        }
    }

    fn close(&mut self, deferred: &mut Deferred<T>) {
        if self.rx_closed {
            return;
        }
        self.rx_closed = true;
        if let Some(slots) = self.slots.as_mut() {
            slots.wake_all(&mut deferred.wakers);
        }
        for waker in self.closed_waiters.drain().flatten() {
            deferred.wakers.push(waker);
        }
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (buffered, buffer_capacity, waiting) = {
            let shared = self.shared.lock();
            let waiting = shared.slots.as_ref().map(Slots::waiting);
            (shared.queue.len(), shared.queue.capacity(), waiting)
        };
        f.debug_struct("Chan")
            .field("bound", &self.bound)
            .field("senders", &self.senders)
            .field("rx_closed", &self.is_rx_closed())
            .field("buffered", &buffered)
            .field("buffer_capacity", &buffer_capacity)
            .field("waiting_senders", &waiting)
            .finish()
    }
}
