//! The readiness of one registered I/O resource, and the tasks waiting on it.
//!
//! # The readiness word
//!
//! | bits   | field     | meaning                                                              |
//! |--------|-----------|----------------------------------------------------------------------|
//! | 0..=5  | readiness | `Ready` bits (readable, writable, read/write closed, priority, error) |
//! | 16..=30| tick      | the driver turn that last set readiness (wrapping, 15 bits)          |
//! | 31     | shutdown  | the reactor shut down; once set, never unset                         |
//!
//! Readiness is *set* by the driver with the current turn's tick and *cleared* by a task that got
//! `WouldBlock`, naming the tick of the readiness it acted on. A clear whose tick is stale does
//! nothing: an event that arrived after the task looked (a newer tick) is never lost. Closed
//! states are never cleared.
//!
//! # Waiters
//! Poll-based readers and writers (`AsyncRead`/`AsyncWrite`) keep one waker per direction; the
//! `readiness` futures (`readable()`, `writable()`, `ready()`, `async_io`) keep an entry each in
//! a list, removed when the future completes or is dropped. Wakers are collected under the lock
//! and woken after it is released.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Mutex;
use crate::rt::reactor::{Interest, Ready};
use std::task::{Context, Poll, Waker};

const READINESS_MASK: usize = 0b11_1111;
const TICK_SHIFT: usize = 16;
const TICK_MASK: usize = 0x7fff;
const SHUTDOWN: usize = 1 << 31;

/// What a task saw when it found the resource ready.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    pub(crate) tick: u16,
    pub(crate) ready: Ready,
    pub(crate) is_shutdown: bool,
}

/// The direction of a poll-based waiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED,
        }
    }
}

/// How a readiness update treats the tick.
pub(crate) enum Tick {
    /// The driver sets readiness during turn `tick`.
    Set(u16),
    /// A task clears the readiness it saw at `tick`.
    Clear(u16),
}

pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
    /// When `wake` last woke a waiting reader (`poll_delay::stamp`), 0 when the reader has
    /// since seen the readiness (feature `io-poll-delay`).
    #[cfg(feature = "io-poll-delay")]
    reader_woken_at: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    list: Vec<ListWaiter>,
    next_id: u64,
}

impl Waiters {
    /// The poll-based waker slot of `direction`.
    fn slot(&mut self, direction: Direction) -> &mut Option<Waker> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

struct ListWaiter {
    id: u64,
    interest: Interest,
    waker: Waker,
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
            #[cfg(feature = "io-poll-delay")]
            reader_woken_at: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Updates readiness. Returns false if a `Clear` was stale (the tick moved on).
    pub(crate) fn set_readiness(&self, tick_op: Tick, f: impl Fn(Ready) -> Ready) -> bool {
        let mut curr = self.readiness.load(Acquire);
        loop {
            let curr_tick = (curr >> TICK_SHIFT) & TICK_MASK;
            let tick = match tick_op {
                Tick::Set(t) => t as usize & TICK_MASK,
                Tick::Clear(t) => {
                    if curr_tick != t as usize & TICK_MASK {
                        return false;
                    }
                    curr_tick
                }
            };
            let ready = f(Ready::from_usize(curr & READINESS_MASK));
            let next = (curr & SHUTDOWN) | (tick << TICK_SHIFT) | ready.as_usize();
            // AcqRel: the task that later sees this readiness (Acquire load) also sees whatever
            // the driver did before; a clear orders after the I/O attempt that got WouldBlock.
            match self.readiness.compare_exchange(curr, next, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Marks the resource ready for `ready` without an event from the driver (a fresh socket
    /// pair is writable; an accepted connection may already hold data). A false positive costs
    /// one `WouldBlock`, which clears it as usual. Keeps the tick (a task's clear of an older
    /// event still applies to it); does nothing after shutdown.
    pub(crate) fn assume_ready(&self, ready: Ready) {
        let mut curr = self.readiness.load(Acquire);
        while curr & SHUTDOWN == 0 {
            let next = curr | ready.as_usize();
            match self.readiness.compare_exchange(curr, next, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Clears the readiness a task acted on, unless newer readiness arrived meanwhile.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // Closed states stay set: once closed, a side never reopens.
        let clear = event.ready - Ready::ALL_CLOSED;
        let _ = self.set_readiness(Tick::Clear(event.tick), |curr| curr - clear);
    }

    /// Marks the resource shut down and wakes every waiter (they then get an error).
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake(Ready::ALL);
    }

    fn snapshot(&self) -> usize {
        self.readiness.load(Acquire)
    }

    /// True once the reactor that owns this resource has shut down (never unset).
    pub(crate) fn is_shut_down(&self) -> bool {
        self.snapshot() & SHUTDOWN != 0
    }

    fn event(curr: usize, mask: Ready) -> ReadyEvent {
        ReadyEvent {
            tick: ((curr >> TICK_SHIFT) & TICK_MASK) as u16,
            ready: mask.intersection(Ready::from_usize(curr & READINESS_MASK)),
            is_shutdown: curr & SHUTDOWN != 0,
        }
    }

    /// The readiness for `interest` right now, without waiting.
    pub(crate) fn ready_event(&self, interest: Interest) -> ReadyEvent {
        Self::event(self.snapshot(), interest.mask())
    }

    /// Wakes the waiters whose interest `ready` satisfies. The reader and writer wakers (the
    /// hot path: one task per socket) are moved out without allocating; only listed
    /// `readiness()` waiters need a vector.
    pub(crate) fn wake(&self, ready: Ready) {
        let (reader, writer, listed) = {
            let mut waiters = self.waiters.lock();
            let reader = if ready.intersection(Direction::Read.mask()).is_empty() {
                None
            } else {
                waiters.reader.take()
            };
            let writer = if ready.intersection(Direction::Write.mask()).is_empty() {
                None
            } else {
                waiters.writer.take()
            };
            // Entries stay listed: their futures re-check readiness when polled and remove
            // themselves when done or dropped.
            let listed: Vec<Waker> = waiters
                .list
                .iter()
                .filter(|w| {
                    ready == Ready::ALL || !ready.intersection(w.interest.mask()).is_empty()
                })
                .map(|w| w.waker.clone())
                .collect();
            (reader, writer, listed)
        };
        // Woken outside the lock.
        if let Some(waker) = reader {
            #[cfg(feature = "io-poll-delay")]
            self.reader_woken_at.store(
                super::poll_delay::stamp(),
                std::sync::atomic::Ordering::Relaxed,
            );
            waker.wake();
        }
        if let Some(waker) = writer {
            waker.wake();
        }
        for waker in listed {
            waker.wake();
        }
    }

    /// Poll-based readiness for one direction: registers `cx`'s waker if not ready.
    pub(crate) fn poll_readiness(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        let mask = direction.mask();
        let event = Self::event(self.snapshot(), mask);
        if event.is_shutdown || !event.ready.is_empty() {
            #[cfg(feature = "io-poll-delay")]
            if direction == Direction::Read {
                let woken = self
                    .reader_woken_at
                    .swap(0, std::sync::atomic::Ordering::Relaxed);
                if woken != 0 {
                    super::poll_delay::record(woken);
                }
            }
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let slot = waiters.slot(direction);
        match slot {
            Some(existing) if existing.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Re-check under the lock: the driver sets readiness before taking this lock to wake,
        // so either we see the readiness here or it sees our waker.
        let event = Self::event(self.snapshot(), mask);
        if event.is_shutdown || !event.ready.is_empty() {
            Poll::Ready(event)
        } else {
            Poll::Pending
        }
    }

    /// Drops `direction`'s poll-based waker if it is `waker`'s: its task now waits elsewhere
    /// (a TCP stream's receive over io_uring, armed after a read through epoll found nothing),
    /// and an event here would only wake it for nothing. Another task's waker stays.
    pub(crate) fn forget_waker(&self, direction: Direction, waker: &Waker) {
        let forgotten = {
            let mut waiters = self.waiters.lock();
            let slot = waiters.slot(direction);
            match slot {
                Some(existing) if existing.will_wake(waker) => slot.take(),
                _ => None,
            }
        };
        // Dropped outside the lock, as wakers are woken.
        drop(forgotten);
    }

    /// List-based readiness for `interest`. `id` is the caller's list entry, created on first
    /// registration.
    pub(crate) fn poll_list_readiness(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        id: &mut Option<u64>,
    ) -> Poll<ReadyEvent> {
        let mask = interest.mask();
        let event = Self::event(self.snapshot(), mask);
        if event.is_shutdown || !event.ready.is_empty() {
            self.remove_waiter(id);
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        match *id {
            Some(existing) => {
                if let Some(w) = waiters.list.iter_mut().find(|w| w.id == existing) {
                    if !w.waker.will_wake(cx.waker()) {
                        w.waker = cx.waker().clone();
                    }
                }
            }
            None => {
                let new_id = waiters.next_id;
                waiters.next_id += 1;
                waiters.list.push(ListWaiter {
                    id: new_id,
                    interest,
                    waker: cx.waker().clone(),
                });
                *id = Some(new_id);
            }
        }
        let event = Self::event(self.snapshot(), mask);
        if event.is_shutdown || !event.ready.is_empty() {
            drop(waiters);
            self.remove_waiter(id);
            Poll::Ready(event)
        } else {
            Poll::Pending
        }
    }

    /// Removes a list entry (the readiness future completed or was dropped).
    pub(crate) fn remove_waiter(&self, id: &mut Option<u64>) {
        if let Some(id) = id.take() {
            let mut waiters = self.waiters.lock();
            if let Some(pos) = waiters.list.iter().position(|w| w.id == id) {
                waiters.list.swap_remove(pos);
            }
        }
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let curr = self.snapshot();
        f.debug_struct("ScheduledIo")
            .field("ready", &Ready::from_usize(curr & READINESS_MASK))
            .field("tick", &((curr >> TICK_SHIFT) & TICK_MASK))
            .field("shutdown", &(curr & SHUTDOWN != 0))
            .finish()
    }
}
