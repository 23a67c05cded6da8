//! `PollEvented`: a mio source registered with the reactor, with the `AsyncRead` plumbing every
//! socket type shares. (Stream writes live in `net/`: they use `send` with `MSG_NOSIGNAL`, which
//! `Write` for a socket does not.)

use super::registration::Registration;
use super::scheduled_io::Direction;
use crate::io::{Interest, ReadBuf};
use std::io::{self, Read};
use std::ops::Deref;
use std::task::{Context, Poll};

pub(crate) struct PollEvented<E: mio::event::Source> {
    /// `None` only after `into_inner`.
    io: Option<E>,
    registration: Registration,
}

impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for reading and writing with the current runtime's reactor.
    #[track_caller]
    pub(crate) fn new(io: E) -> io::Result<PollEvented<E>> {
        PollEvented::new_with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    #[track_caller]
    pub(crate) fn new_with_interest(mut io: E, interest: Interest) -> io::Result<PollEvented<E>> {
        let registration = Registration::new(&mut io, interest)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Deregisters and returns the source.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("source present until into_inner");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    fn io(&self) -> &E {
        self.io.as_ref().expect("source present until into_inner")
    }

    /// Reads into `buf` when readable. Initialised bytes only are exposed to `read`.
    ///
    /// For byte streams (sockets, pipes), where a read that fills less than the buffer has
    /// drained what the kernel held: the readiness is cleared then, so the next read waits for
    /// an edge instead of spending a syscall to learn `WouldBlock` (as Tokio does). Data that
    /// arrived after the read brings a newer tick, which the clear leaves alone.
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>>
    where
        &'a E: Read,
    {
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Read))?;
            let unfilled = buf.initialize_unfilled();
            let len = unfilled.len();
            let mut io = self.io();
            match io.read(unfilled) {
                Ok(n) => {
                    if n > 0 && n < len {
                        self.registration.clear_readiness(event);
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(event);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl<E: mio::event::Source> Deref for PollEvented<E> {
    type Target = E;

    fn deref(&self) -> &E {
        self.io()
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Leave epoll before the fd closes (when `io` drops right after), so no event can
            // name this registration once the fd number is reused.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}
