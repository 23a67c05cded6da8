//! The guards `AsyncFd`'s readiness methods return.
//!
//! A guard holds the readiness event it was made from (with its driver tick). Clearing through
//! the guard clears exactly that event: if the reactor saw a newer edge meanwhile, the clear is
//! stale and changes nothing, so no wake-up is lost.

use super::AsyncFd;
use crate::io::Ready;
use crate::rt::reactor::ReadyEvent;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

/// The error of a guard's `try_io` when the operation returned `WouldBlock` (the readiness was
/// cleared: wait again).
#[derive(Debug)]
pub struct TryIoError(());

/// Readiness found by [`AsyncFd::readable`], [`AsyncFd::writable`] or [`AsyncFd::ready`].
///
/// Dropping the guard keeps the readiness; [`clear_ready`](AsyncFdReadyGuard::clear_ready) (or a
/// `WouldBlock` from [`try_io`](AsyncFdReadyGuard::try_io)) clears it.
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// As [`AsyncFdReadyGuard`], from the `_mut` methods, giving `&mut` access to the inner object.
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// Clears all of `event`'s readiness (leaving `None`).
fn clear_all<T: AsRawFd>(async_fd: &AsyncFd<T>, event: &mut Option<ReadyEvent>) {
    if let Some(event) = event.take() {
        async_fd.clear_readiness(event);
    }
}

/// Clears the part of `event`'s readiness in `ready`, keeping the rest.
fn clear_matching<T: AsRawFd>(async_fd: &AsyncFd<T>, event: &mut Option<ReadyEvent>, ready: Ready) {
    if let Some(mut ev) = event.take() {
        async_fd.clear_readiness(ReadyEvent {
            ready: ev.ready.intersection(ready),
            ..ev
        });
        ev.ready = ev.ready - ready;
        if !ev.ready.is_empty() {
            *event = Some(ev);
        }
    }
}

fn event_ready(event: &Option<ReadyEvent>) -> Ready {
    event.map_or(Ready::EMPTY, |e| e.ready)
}

/// Maps an operation's `WouldBlock` to `TryIoError` (after clearing the readiness).
fn would_block<R>(res: io::Result<R>, clear: impl FnOnce()) -> Result<io::Result<R>, TryIoError> {
    match res {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            clear();
            Err(TryIoError(()))
        }
        res => Ok(res),
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// Clears the readiness this guard found: the next wait waits for a new edge.
    ///
    /// Call it after an operation returned `WouldBlock`; clearing while the descriptor is still
    /// ready would wait for an edge that may never come.
    pub fn clear_ready(&mut self) {
        clear_all(self.async_fd, &mut self.event);
    }

    /// Clears only the readiness in `ready` (for example [`Ready::READABLE`] from a guard of
    /// [`AsyncFd::ready`] for both directions).
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_matching(self.async_fd, &mut self.event, ready);
    }

    /// Keeps the readiness (what dropping the guard does anyway).
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard found (and has not cleared).
    pub fn ready(&self) -> Ready {
        event_ready(&self.event)
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and returns `Err(TryIoError)`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        let res = f(self.async_fd);
        would_block(res, || self.clear_ready())
    }

    /// The `AsyncFd` this guard is for.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The inner object.
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyMutGuard {
            async_fd,
            event: Some(event),
        }
    }

    /// As [`AsyncFdReadyGuard::clear_ready`].
    pub fn clear_ready(&mut self) {
        clear_all(self.async_fd, &mut self.event);
    }

    /// As [`AsyncFdReadyGuard::clear_ready_matching`].
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        clear_matching(self.async_fd, &mut self.event, ready);
    }

    /// Keeps the readiness (what dropping the guard does anyway).
    pub fn retain_ready(&mut self) {}

    /// The readiness this guard found (and has not cleared).
    pub fn ready(&self) -> Ready {
        event_ready(&self.event)
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and returns `Err(TryIoError)`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        let res = f(self.async_fd);
        would_block(res, || self.clear_ready())
    }

    /// The `AsyncFd` this guard is for.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard is for, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The inner object.
    pub fn get_inner(&self) -> &T {
        self.async_fd.get_ref()
    }

    /// The inner object, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", &*self.async_fd)
            .field("ready", &self.ready())
            .finish()
    }
}
