//! The I/O reactor: one mio `Poll` (epoll) per runtime, and the readiness of every registered
//! resource.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `interest.rs`, `ready.rs` | `Interest` and `Ready` (re-exported by `tandem::io`) |
//! | `poll_delay.rs` | feature `io-poll-delay`: the readable-to-polled delay histogram |
//! | `scheduled_io.rs` | a resource's readiness word and its waiters |
//! | `mod.rs` | `Driver` (the mio `Poll`, the capped `epoll_wait`), `IoHandle` (registry, registration set) |
//! | `registration.rs` | a registered source's readiness loops |
//! | `poll_evented.rs` | a registered mio source with `AsyncRead`/`AsyncWrite` plumbing |
//!
//! # Tokens
//! A resource's mio token is the address of its `ScheduledIo`, which lives in an `Arc` owned by
//! the registration set. Deregistering removes the fd from epoll first and only then queues the
//! `Arc` for release; the driver drops queued `Arc`s at the start of its next turn, before it
//! waits again. So every event the driver handles names a `ScheduledIo` that is still alive, and
//! an address cannot be reused while an event for its previous owner may still be in hand. A
//! reused fd number is a new registration with a new `ScheduledIo`.
//!
//! # Turn
//! 1. Release deregistered resources (if any were queued).
//! 2. `epoll_wait` until an event, the timeout, or the waker (`mio::Waker`, an eventfd), for at
//!    most as many events as the caller can queue (`max_events`; see below).
//! 3. Bump the tick; for each event, set the resource's readiness with that tick and wake the
//!    tasks whose interest it satisfies.
//!
//! # How many events a turn takes
//! Up to the caller's `max_events` (the builder's `max_io_events_per_tick`). A multi-thread
//! worker's queue may overflow with the tasks they wake: its older half then moves behind the
//! injection queue, which the worker's fairness ticks serve in order at a guaranteed rate
//! (`scheduler/multi_thread/worker.rs`, "Fairness"). Taking no more events than the queue had
//! room for, the rest left in the kernel's ready list, was tried and dropped: it served every
//! ready connection in turn, whose memory had gone cold by then, and lost about a tenth of the
//! requests per second at 10,000 connections (BENCHMARKS.md). Events not taken stay in the
//! kernel's ready list, first in, first out, for a later turn.
//!
//! The wait is our own `epoll_wait` on mio's epoll fd (mio fixes the number of events per wait
//! to its buffer's capacity); registration stays with mio.
//!
//! # Shutdown
//! Every registered resource is marked shut down and its waiters are woken; their readiness
//! futures then return an error instead of waiting forever. New registrations are refused.

mod interest;
#[cfg(feature = "io-poll-delay")]
pub(crate) mod poll_delay;
pub(crate) mod poll_evented;
mod ready;
pub(crate) mod registration;
pub(crate) mod scheduled_io;

#[cfg(all(test, loom))]
mod tests;

pub use interest::Interest;
pub(crate) use poll_evented::PollEvented;
pub use ready::Ready;
pub(crate) use registration::{ReadinessHint, Registration};
pub(crate) use scheduled_io::{Direction, ReadyEvent};

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use scheduled_io::{ScheduledIo, Tick};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

/// The token of the waker that interrupts `epoll_wait`. Never a valid `ScheduledIo` address.
const TOKEN_WAKEUP: mio::Token = mio::Token(usize::MAX);
/// The token of the signal pipe (used by `tandem::signal`).
pub(crate) const TOKEN_SIGNAL: mio::Token = mio::Token(usize::MAX - 1);

/// Events fetched per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;

/// io_uring ring fds use tokens `URING_TOKEN_BASE + ring index`: far below `TOKEN_SIGNAL` and far
/// above any `ScheduledIo` address (user space ends below 2^47).
const URING_TOKEN_BASE: usize = usize::MAX - (1 << 20);

/// The epoll token of ring `index` (`uring/handle.rs` registers it).
pub(crate) fn uring_token(index: usize) -> u64 {
    (URING_TOKEN_BASE + index) as u64
}

/// The part only the thread that drives the reactor touches.
pub(crate) struct Driver {
    poll: mio::Poll,
    /// `epoll_wait`'s output: up to `EVENTS_CAPACITY` entries, `len` set by each wait.
    events: Vec<libc::epoll_event>,
    tick: u16,
    /// Set when a signal arrived since the last turn that looked.
    signal_ready: bool,
    /// Rings whose fd was reported readable in the last turn, by index.
    ring_events: Vec<usize>,
    /// I/O events the last turn dispatched (`events_dispatched`).
    dispatched: usize,
}

/// The shared part: registering, deregistering, waking the driver.
#[derive(Clone)]
pub(crate) struct IoHandle {
    inner: Arc<Inner>,
}

struct Inner {
    registry: mio::Registry,
    waker: mio::Waker,
    registrations: Mutex<RegistrationSet>,
    /// True when `pending_release` has entries; read without the lock on every turn.
    needs_release: AtomicBool,
    /// This reactor's dup of the signal pipe, once a `Signal` was created on it.
    signal_receiver: Mutex<Option<mio::net::UnixStream>>,
}

struct RegistrationSet {
    live: slab::Slab<Arc<ScheduledIo>>,
    pending_release: Vec<Arc<ScheduledIo>>,
    is_shutdown: bool,
}

impl Driver {
    pub(crate) fn new() -> io::Result<(Driver, IoHandle)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), TOKEN_WAKEUP)?;
        let registry = poll.registry().try_clone()?;
        let handle = IoHandle {
            inner: Arc::new(Inner {
                registry,
                waker,
                registrations: Mutex::new(RegistrationSet {
                    live: slab::Slab::new(),
                    pending_release: Vec::new(),
                    is_shutdown: false,
                }),
                needs_release: AtomicBool::new(false),
                signal_receiver: Mutex::new(None),
            }),
        };
        let driver = Driver {
            poll,
            events: Vec::with_capacity(EVENTS_CAPACITY),
            tick: 0,
            signal_ready: false,
            ring_events: Vec::new(),
            dispatched: 0,
        };
        Ok((driver, handle))
    }

    /// One turn of the reactor: waits up to `timeout` (forever if `None`) and dispatches at most
    /// `max_events` events (at least one; the rest wait in the kernel for a later turn).
    /// Returns true if anything arrived (an event of any token, the waker's included) or the
    /// wait was interrupted (events may be waiting): a task may have been woken.
    pub(crate) fn turn(
        &mut self,
        handle: &IoHandle,
        timeout: Option<Duration>,
        max_events: usize,
    ) -> bool {
        // Acquire pairs with the Release in `deregister`: the queued Arcs are visible.
        if handle.inner.needs_release.swap(false, Ordering::Acquire) {
            let released = std::mem::take(&mut handle.inner.registrations.lock().pending_release);
            drop(released);
        }
        self.dispatched = 0;
        match self.wait(timeout, max_events) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return true,
            Err(e) => {
                // epoll_wait only fails on programming errors (EBADF, EFAULT, EINVAL); report it
                // rather than take the runtime down, and return as if woken (with nothing).
                eprintln!("tandem: epoll_wait failed: {e}");
                return false;
            }
        }
        self.tick = self.tick.wrapping_add(1);
        for event in &self.events {
            let token = mio::Token(event.u64 as usize);
            if token == TOKEN_WAKEUP {
                continue;
            }
            if token == TOKEN_SIGNAL {
                self.signal_ready = true;
                continue;
            }
            if token.0 >= URING_TOKEN_BASE {
                self.ring_events.push(token.0 - URING_TOKEN_BASE);
                continue;
            }
            self.dispatched += 1;
            let ready = Ready::from_epoll(event.events);
            // SAFETY: the token is the address of a `ScheduledIo` kept alive by the registration
            // set: it is released only at the start of a turn after its fd left epoll (see the
            // module docs), so no event of this turn can outlive it.
            let io = unsafe { &*(token.0 as *const ScheduledIo) };
            io.set_readiness(Tick::Set(self.tick), |curr| curr | ready);
            io.wake(ready);
        }
        !self.events.is_empty()
    }

    /// `epoll_wait` for at most `max_events` events (clamped to 1..=`EVENTS_CAPACITY`), up to
    /// `timeout` rounded up to whole milliseconds (as mio does: a sub-millisecond timeout must
    /// not become a busy poll), forever if `None`.
    fn wait(&mut self, timeout: Option<Duration>, max_events: usize) -> io::Result<()> {
        let timeout_ms = timeout.map_or(-1, |t| {
            let rounded_up = t.checked_add(Duration::from_nanos(999_999)).unwrap_or(t);
            libc::c_int::try_from(rounded_up.as_millis()).unwrap_or(libc::c_int::MAX)
        });
        let max = max_events.clamp(1, EVENTS_CAPACITY);
        self.events.clear();
        // SAFETY: the buffer has room for `max <= EVENTS_CAPACITY` entries (its capacity), and
        // the kernel writes at most `max`; the fd is mio's epoll, open while `self.poll` lives.
        let n = unsafe {
            libc::epoll_wait(
                self.poll.as_raw_fd(),
                self.events.as_mut_ptr(),
                max as libc::c_int,
                timeout_ms,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel initialised the first `n <= max` entries.
        unsafe { self.events.set_len(n as usize) };
        Ok(())
    }

    /// How many I/O events the last turn dispatched (each may have woken a task).
    pub(crate) fn events_dispatched(&self) -> usize {
        self.dispatched
    }

    /// Rings whose fd turned readable in the last turn (to be reaped by the caller). Drained
    /// in place: the vector keeps its capacity from turn to turn.
    pub(crate) fn take_ring_events(&mut self) -> std::vec::Drain<'_, usize> {
        self.ring_events.drain(..)
    }

    /// True (once) if the signal pipe became readable since the last call.
    pub(crate) fn take_signal_ready(&mut self) -> bool {
        std::mem::take(&mut self.signal_ready)
    }

    pub(crate) fn shutdown(&mut self, handle: &IoHandle) {
        let ios: Vec<Arc<ScheduledIo>> = {
            let mut set = handle.inner.registrations.lock();
            if set.is_shutdown {
                return;
            }
            set.is_shutdown = true;
            let mut ios: Vec<_> = set.live.drain().collect();
            ios.append(&mut set.pending_release);
            ios
        };
        for io in ios {
            io.shutdown();
        }
    }
}

impl IoHandle {
    /// Interrupts `epoll_wait`.
    pub(crate) fn unpark(&self) {
        if let Err(e) = self.inner.waker.wake() {
            // Writing to the eventfd only fails if its counter would overflow, in which case the
            // driver is certain to wake anyway.
            debug_assert!(false, "mio waker failed: {e}");
        }
    }

    /// Registers `source` for `interest`; returns its shared readiness and its slab key.
    pub(crate) fn add_source(
        &self,
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<(Arc<ScheduledIo>, usize)> {
        let io = Arc::new(ScheduledIo::new());
        let key = {
            let mut set = self.inner.registrations.lock();
            if set.is_shutdown {
                return Err(io::Error::other(SHUTDOWN_MSG));
            }
            set.live.insert(io.clone())
        };
        let token = mio::Token(Arc::as_ptr(&io) as usize);
        if let Err(e) = self
            .inner
            .registry
            .register(source, token, interest.to_mio())
        {
            self.inner.registrations.lock().live.try_remove(key);
            return Err(e);
        }
        Ok((io, key))
    }

    /// Removes `source` from epoll, then queues its readiness for release on the next turn.
    pub(crate) fn deregister_source(
        &self,
        io: &Arc<ScheduledIo>,
        key: usize,
        source: &mut impl mio::event::Source,
    ) -> io::Result<()> {
        let res = self.inner.registry.deregister(source);
        let mut set = self.inner.registrations.lock();
        // After shutdown the set was drained; nothing to release.
        if let Some(entry) = set.live.try_remove(key) {
            debug_assert!(Arc::ptr_eq(&entry, io));
            set.pending_release.push(entry);
            drop(set);
            // Release: pairs with the Acquire swap in `Driver::turn`.
            self.inner.needs_release.store(true, Ordering::Release);
        }
        res
    }

    /// Registers (once per reactor) the signal pipe's read end made by `make`.
    /// The epoll fd (a dup held by this handle), for registering io_uring fds.
    pub(crate) fn epoll_fd(&self) -> std::os::fd::RawFd {
        self.inner.registry.as_raw_fd()
    }

    pub(crate) fn ensure_signal_registered(
        &self,
        make: impl FnOnce() -> io::Result<mio::net::UnixStream>,
    ) -> io::Result<()> {
        let mut slot = self.inner.signal_receiver.lock();
        if slot.is_some() {
            return Ok(());
        }
        let mut receiver = make()?;
        self.inner
            .registry
            .register(&mut receiver, TOKEN_SIGNAL, mio::Interest::READABLE)?;
        // Kept (and closed) with the reactor.
        *slot = Some(receiver);
        Ok(())
    }
}

/// The error readiness futures return once the runtime is gone.
pub(crate) const SHUTDOWN_MSG: &str = "A Tokio 1.x context was found, but it is being shutdown.";

impl std::fmt::Debug for IoHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoHandle").finish_non_exhaustive()
    }
}
