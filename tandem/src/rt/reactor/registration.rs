//! `Registration`: a resource's link to the reactor, and the readiness loops built on it.

use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use super::{IoHandle, SHUTDOWN_MSG};
use crate::rt::coop;
use crate::rt::reactor::Interest;
use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

pub(crate) struct Registration {
    handle: IoHandle,
    shared: Arc<ScheduledIo>,
    key: usize,
}

impl Registration {
    /// Registers `source` with the reactor of the current runtime.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled (as Tokio).
    #[track_caller]
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<Registration> {
        let handle = crate::rt::context::current().io_handle().clone();
        let (shared, key) = handle.add_source(source, interest)?;
        Ok(Registration {
            handle,
            shared,
            key,
        })
    }

    /// Removes `source` from the reactor (before it is closed or handed back to the user).
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.handle
            .deregister_source(&self.shared, self.key, source)
    }

    /// Marks the resource ready before the driver reports it (`ScheduledIo::assume_ready`).
    pub(crate) fn assume_ready(&self, ready: crate::rt::reactor::Ready) {
        self.shared.assume_ready(ready);
    }

    /// A handle that can mark this resource ready later (`ReadinessHint`), for state kept apart
    /// from the registration.
    pub(crate) fn readiness_hint(&self) -> ReadinessHint {
        ReadinessHint(self.shared.clone())
    }

    /// True once the runtime this resource was registered with has shut down: readiness
    /// waits answer with the shutdown error.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shared.is_shut_down()
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Read)
    }

    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, Direction::Write)
    }

    /// Waits for readiness in one direction, spending cooperative budget when ready.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(coop::poll_proceed(cx));
        let event = ready!(self.shared.poll_readiness(cx, direction));
        if event.is_shutdown {
            return Poll::Ready(Err(gone()));
        }
        coop.made_progress();
        Poll::Ready(Ok(event))
    }

    /// Runs `f` once the resource is ready in `direction`, until it stops returning
    /// `WouldBlock` (each `WouldBlock` clears the readiness it acted on).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                res => return Poll::Ready(res),
            }
        }
    }

    /// Runs `f` if the resource looks ready for `interest`, else returns `WouldBlock`.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.shared.ready_event(interest);
        if event.is_shutdown {
            // The driver is gone and no event will ever come, but what the socket already holds
            // can still be read (Tokio's contract): try once, and report the shutdown where the
            // operation would otherwise wait.
            return match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(gone()),
                res => res,
            };
        }
        if event.ready.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            res => res,
        }
    }

    /// Waits until the resource is ready for `interest`.
    pub(crate) async fn readiness(&self, interest: Interest) -> io::Result<ReadyEvent> {
        struct Entry<'a> {
            shared: &'a ScheduledIo,
            id: Option<u64>,
        }
        impl Drop for Entry<'_> {
            fn drop(&mut self) {
                // A dropped readiness future must not leave its waker listed.
                self.shared.remove_waiter(&mut self.id);
            }
        }
        let mut entry = Entry {
            shared: &self.shared,
            id: None,
        };
        // No cooperative budget here, as in Tokio: a readiness wait that finds the resource
        // ready is not itself progress (`async_io` spends budget for the operation), and a
        // loop polling `writable()` between `try_write`s must keep seeing the readiness.
        let event = poll_fn(|cx| {
            entry
                .shared
                .poll_list_readiness(cx, interest, &mut entry.id)
        })
        .await;
        if event.is_shutdown {
            return Err(gone());
        }
        Ok(event)
    }

    /// Waits for `interest` and runs `f` until it stops returning `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = self.readiness(interest).await?;
            let coop = poll_fn(coop::poll_proceed).await;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                res => {
                    coop.made_progress();
                    return res;
                }
            }
        }
    }
}

fn gone() -> io::Error {
    io::Error::other(SHUTDOWN_MSG)
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("io", &self.shared)
            .finish()
    }
}

/// State kept apart from a registration reaches its epoll readiness through this. A TCP
/// stream's receive over io_uring marks the socket ready before the driver reports it (bytes
/// wait there when the kernel ends the receive for want of buffers), and drops the read waker
/// that a read through epoll left, once the receive it armed carries the task's wake-up. A TCP
/// listener's accept over io_uring wakes the accepts waiting on epoll when it arms.
pub(crate) struct ReadinessHint(Arc<ScheduledIo>);

impl ReadinessHint {
    pub(crate) fn assume_ready(&self, ready: crate::rt::reactor::Ready) {
        self.0.assume_ready(ready);
    }

    /// Wakes the tasks waiting to read, the readiness unchanged: what they wait for will come
    /// from elsewhere now (a TCP listener's accept armed on a ring).
    pub(crate) fn wake_readers(&self) {
        self.0.wake(crate::rt::reactor::Ready::READABLE);
    }

    /// Drops the reader's waker if it is `waker` (`ScheduledIo::forget_waker`).
    pub(crate) fn forget_reader(&self, waker: &std::task::Waker) {
        self.0.forget_waker(Direction::Read, waker);
    }
}
