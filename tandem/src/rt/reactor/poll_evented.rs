//! `PollEvented`: a mio source registered with the reactor, with the `AsyncRead` plumbing every
//! socket type shares. (Stream writes live in `net/`: they use `send` with `MSG_NOSIGNAL`, which
//! `Write` for a socket does not.)

use super::registration::Registration;
use super::scheduled_io::Direction;
use crate::rt::reactor::Interest;
use crate::util::read_buf::ReadBuf;
use std::io;
use std::ops::Deref;
use std::os::fd::AsRawFd;
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
        let (io, deregistered) = self.take_inner().expect("source present until into_inner");
        deregistered?;
        Ok(io)
    }

    /// Deregisters the source and takes it out, with the deregistration's outcome (the source
    /// is returned either way: the caller decides when its fd closes, always after this).
    /// `None` if it was taken already. Afterwards only the drop may follow.
    pub(crate) fn take_inner(&mut self) -> Option<(E, io::Result<()>)> {
        let mut io = self.io.take()?;
        let deregistered = self.registration.deregister(&mut io);
        Some((io, deregistered))
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
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>>
    where
        E: AsRawFd,
    {
        loop {
            let event = std::task::ready!(self.registration.poll_ready(cx, Direction::Read))?;
            match read_uninit(self.io().as_raw_fd(), buf) {
                Ok(0) => return Poll::Ready(Ok(())),
                Ok(_) => {
                    // A short read drained the socket: clear now instead of paying for the
                    // `read` that would return `WouldBlock` (the tick keeps a newer edge).
                    if buf.remaining() > 0 {
                        self.registration.clear_readiness(event);
                    }
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

/// Reads from `fd` into the unfilled part of `buf` without initialising it first: the kernel
/// writes through a raw pointer, and only the bytes it wrote are then marked initialised and
/// filled. (Zeroing hyper's whole spare read buffer before every `read`, as
/// `ReadBuf::initialize_unfilled` would, costs a memset per request.)
fn read_uninit(fd: std::os::fd::RawFd, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
    // SAFETY: `unfilled_mut` gives the spare capacity as `MaybeUninit<u8>`, which we only pass
    // to the kernel as a raw pointer and length; no reference to uninitialised bytes is made.
    let unfilled = unsafe { buf.unfilled_mut() };
    let len = unfilled.len();
    // SAFETY: the pointer and length describe writable memory owned by `buf` for this call.
    let n = unsafe { libc::read(fd, unfilled.as_mut_ptr().cast(), len) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the kernel initialised the first `n` bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(n)
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
