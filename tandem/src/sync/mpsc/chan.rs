//! The state both halves share: the buffered messages, the receiver's waker, the close flags
//! and the tasks waiting in `Sender::closed`, all under one short lock; beside it, the sender
//! counts (`senders.rs`) in atomics and a bounded channel's capacity in a batch semaphore
//! (`sync/semaphore`), whose lock-free permit word reserves and frees slots without the lock.
//!
//! Every operation is one critical section: take the lock, update the state, take the wakers
//! it must wake (and any waker it replaces), release the lock, then wake (and drop). Nothing
//! foreign runs under the lock: a waker's `wake` or `drop` may re-enter this channel (a task
//! dropped by its last waker may own a permit of it).
//!
//! The end of the stream: `recv` returns `None` once nothing is buffered and either every
//! strong sender is gone (`tx_closed`), or the receiver closed the channel and it is idle (no
//! permit or waiting sender still holds a slot that could become a message).
//!
//! Idle after the close, without a lost wake-up: the receiver closes the semaphore (an RMW on
//! its word), and checks for idleness under the lock by reading that word. Whoever gives a slot
//! back after the close (`give_back`) reads the word *after* its own give-back RMW: if it does
//! not see `CLOSED`, the close comes later in the word's modification order, so the receiver's
//! later read sees the give-back; if it does, it takes the lock and wakes a receiver waiting
//! for the channel to go idle. One word, so coherence alone orders the two.

use super::error::{SendError, TryRecvError, TrySendError};
use super::senders::{Release, SenderCounts};
use super::wakers::Wakers;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use crate::sync::semaphore::{BatchSemaphore, TryAcquireError};
use crate::sync::wait_list::{WaitKey, WaitList};
use std::collections::VecDeque;
use std::fmt;
use std::task::{Context, Poll, Waker};

pub(super) struct Chan<T> {
    shared: Mutex<Shared<T>>,
    senders: SenderCounts,
    /// A lock-free copy of `Shared::rx_closed` for an unbounded channel's `is_closed` (a
    /// bounded one reads its semaphore): set under the lock, never unset.
    rx_closed: AtomicBool,
    /// The capacity of a bounded channel; `None` for an unbounded one.
    bound: Option<usize>,
    /// A bounded channel's slots: each of the `bound` permits is free, held by a permit or a
    /// waiting sender, or by a message (buffered, or in the receiver's batch until `recv`
    /// returns it). Closed when the receiver closes.
    slots: Option<BatchSemaphore>,
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
    /// Tasks in `Sender::closed`, woken when the receiver closes.
    closed_waiters: WaitList<Option<Waker>>,
}

/// Where a wait for the close stands.
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
                closed_waiters: WaitList::new(),
            }),
            senders: SenderCounts::new(),
            rx_closed: AtomicBool::new(false),
            bound,
            slots: bound.map(BatchSemaphore::new),
        }
    }

    pub(super) fn senders(&self) -> &SenderCounts {
        &self.senders
    }

    /// The capacity of a bounded channel.
    pub(super) fn bound(&self) -> usize {
        self.bound.expect("only bounded channels have a capacity")
    }

    /// A bounded channel's slots.
    pub(super) fn slots(&self) -> &BatchSemaphore {
        self.slots.as_ref().expect("a bounded channel's operation")
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
        let dropped = shared.rx_dropped;
        if dropped {
            deferred.message = Some(value);
        } else {
            shared.push(value, &mut deferred);
        }
        drop(shared);
        deferred.run();
        if dropped {
            self.give_back(1);
        }
    }

    /// Takes a slot and buffers `value` if one is free now.
    pub(super) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_reserve(1) {
            Ok(()) => {
                self.send_reserved(value);
                Ok(())
            }
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Takes `n` slots if they are free now (lock-free: one CAS on the semaphore's word).
    pub(super) fn try_reserve(&self, n: usize) -> Result<(), TrySendError<()>> {
        if n > self.bound() {
            // More than the channel could ever hold: `Full` whether or not it is closed, as
            // Tokio answers.
            return Err(TrySendError::Full(()));
        }
        match self.slots().try_acquire(n) {
            Ok(()) => Ok(()),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// Gives back `n` slots (a permit unused, a message received, a reservation abandoned):
    /// to the senders waiting for room first, in order. After the close, this may be what
    /// makes the channel idle: then the receiver, waiting for that, is woken (see the module
    /// doc for why reading the word after the give-back loses no wake-up).
    pub(super) fn give_back(&self, n: usize) {
        if n > 0 {
            self.slots().release(n);
        }
        self.wake_rx_if_idle();
    }

    /// After slots came back (here, or inside a reservation that saw the close): wakes the
    /// receiver if the channel is closed and now idle.
    pub(super) fn wake_rx_if_idle(&self) {
        let slots = self.slots();
        if !slots.is_closed() {
            return;
        }
        let mut shared = self.shared.lock();
        let waker = match shared.queue.is_empty() && slots.available_permits() == self.bound() {
            true => shared.rx_waker.take(),
            false => None,
        };
        drop(shared);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Free slots now.
    pub(super) fn capacity(&self) -> usize {
        self.slots().available_permits()
    }

    /// True once the receiver closed the channel or was dropped. Bounded, that is the slots'
    /// semaphore being closed (as Tokio's `is_closed`): the very word every send checks, so a
    /// send after this said true fails.
    pub(super) fn is_rx_closed(&self) -> bool {
        match &self.slots {
            Some(slots) => slots.is_closed(),
            // Acquire: pairs with the Release store in `close`; an unbounded send reads the
            // flag it mirrors under the lock, where it was set.
            None => self.rx_closed.load(Ordering::Acquire),
        }
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

    /// Moves every buffered message into the receiver's own buffer `local` (empty), which it
    /// then pops without the lock; or registers the receiver's waker. `Ready(false)` is the end
    /// of the stream. In a bounded channel the messages keep their slots until the receiver
    /// hands each one out (then it gives the slot back, lock-free unless senders wait), so the
    /// capacity is what it would be had they stayed in the channel.
    pub(super) fn poll_take_all(
        &self,
        cx: &mut Context<'_>,
        local: &mut VecDeque<T>,
    ) -> Poll<bool> {
        debug_assert!(local.is_empty());
        let mut deferred = Deferred::new();
        let mut shared = self.shared.lock();
        let poll = if !shared.queue.is_empty() {
            // The receiver's empty buffer (and its memory) becomes the senders'.
            std::mem::swap(&mut shared.queue, local);
            Poll::Ready(true)
        } else if shared.is_finished(|| self.is_idle()) {
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
        debug_assert!(local.is_empty());
        let mut shared = self.shared.lock();
        if !shared.queue.is_empty() {
            std::mem::swap(&mut shared.queue, local);
            Ok(())
        } else if shared.is_finished(|| self.is_idle()) {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    pub(super) fn is_bounded(&self) -> bool {
        self.bound.is_some()
    }

    /// Every slot of a bounded channel is free (an unbounded one has none).
    fn is_idle(&self) -> bool {
        self.slots
            .as_ref()
            .is_none_or(|slots| slots.available_permits() == self.bound())
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
        // The slots first: once `Sender::closed` resolves (below, under the lock), every send
        // fails. Closing wakes the waiting senders, who fail, giving back what they were
        // assigned (outside this channel's lock).
        if let Some(slots) = &self.slots {
            slots.close();
        }
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
    /// `in_batch` messages of the receiver's own batch hold slots too: they come back as well.
    pub(super) fn drop_rx(&self, in_batch: usize) {
        // The slots first, as in `close`.
        if let Some(slots) = &self.slots {
            slots.close();
        }
        let mut deferred = Deferred::<T>::new();
        let mut shared = self.shared.lock();
        shared.close(&mut deferred);
        self.rx_closed.store(true, Ordering::Release);
        shared.rx_dropped = true;
        deferred.garbage.extend(shared.rx_waker.take());
        let messages = std::mem::take(&mut shared.queue);
        drop(shared);
        if let Some(slots) = &self.slots {
            slots.release(messages.len() + in_batch);
        }
        deferred.run();
        drop(messages);
    }
}

impl<T> Shared<T> {
    /// Buffers a message whose slot (if bounded) is already taken, and takes the receiver's
    /// waker.
    fn push(&mut self, value: T, deferred: &mut Deferred<T>) {
        self.queue.push_back(value);
        if let Some(waker) = self.rx_waker.take() {
            deferred.wakers.push(waker);
        }
    }

    /// Nothing is buffered, and nothing will be. `idle`: every slot is free (read from the
    /// semaphore's word under the lock; see the module doc).
    fn is_finished(&self, idle: impl FnOnce() -> bool) -> bool {
        debug_assert!(self.queue.is_empty());
        self.tx_closed || (self.rx_closed && idle())
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
        for waker in self.closed_waiters.drain().flatten() {
            deferred.wakers.push(waker);
        }
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (buffered, buffer_capacity) = {
            let shared = self.shared.lock();
            (shared.queue.len(), shared.queue.capacity())
        };
        f.debug_struct("Chan")
            .field("bound", &self.bound)
            .field("senders", &self.senders)
            .field("rx_closed", &self.is_rx_closed())
            .field("buffered", &buffered)
            .field("buffer_capacity", &buffer_capacity)
            .field("slots", &self.slots)
            .finish()
    }
}
