//! `ChildStdin`, `ChildStdout`, `ChildStderr`: the parent's ends of a child's piped stdio, made
//! non-blocking and registered with the reactor.

use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use crate::rt::reactor::{Direction, PollEvented};
use mio::unix::pipe::{Receiver, Sender};
use std::fmt;
use std::io::{self, IoSlice, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

/// Deregisters a pipe end and turns it back to blocking mode (what a program given it as its
/// stdio expects).
fn into_blocking_fd<E>(io: PollEvented<E>) -> io::Result<OwnedFd>
where
    E: mio::event::Source + Into<OwnedFd>,
{
    let fd: OwnedFd = io.into_inner()?.into();
    // `O_NONBLOCK` is a flag of the open pipe, whichever end: mio's `Sender` clears it for
    // either (without an `unsafe` of ours).
    let pipe = Sender::from(fd);
    pipe.set_nonblocking(false)?;
    Ok(pipe.into())
}

/// The child's standard input: an [`AsyncWrite`] over the write end of its stdin pipe.
///
/// Dropping it closes the pipe, so the child reads end-of-file. Writes after the child closed
/// its end fail with `BrokenPipe`.
pub struct ChildStdin {
    inner: PollEvented<Sender>,
}

/// The child's standard output: an [`AsyncRead`] over the read end of its stdout pipe.
pub struct ChildStdout {
    inner: PollEvented<Receiver>,
}

/// The child's standard error: an [`AsyncRead`] over the read end of its stderr pipe.
pub struct ChildStderr {
    inner: PollEvented<Receiver>,
}

impl ChildStdin {
    /// Wraps a standard library `ChildStdin`, making it non-blocking and registering it with
    /// the current runtime's reactor.
    ///
    /// # Errors
    /// If the pipe cannot be made non-blocking or registered.
    ///
    /// # Panics
    /// Outside a runtime, or in one without I/O.
    #[track_caller]
    pub fn from_std(inner: std::process::ChildStdin) -> io::Result<Self> {
        let pipe = Sender::from(inner);
        pipe.set_nonblocking(true)?;
        Ok(ChildStdin {
            inner: PollEvented::new_with_interest(pipe, Interest::WRITABLE)?,
        })
    }

    /// Deregisters the pipe and returns its descriptor, in blocking mode again.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_blocking_fd(self.inner)
    }
}

macro_rules! reader {
    ($name:ident, $std:ty, $what:literal) => {
        impl $name {
            #[doc = concat!("Wraps a standard library `", $what, "`, making it non-blocking and")]
            /// registering it with the current runtime's reactor.
            ///
            /// # Errors
            /// If the pipe cannot be made non-blocking or registered.
            ///
            /// # Panics
            /// Outside a runtime, or in one without I/O.
            #[track_caller]
            pub fn from_std(inner: $std) -> io::Result<Self> {
                let pipe = Receiver::from(inner);
                pipe.set_nonblocking(true)?;
                Ok($name {
                    inner: PollEvented::new_with_interest(pipe, Interest::READABLE)?,
                })
            }

            /// Deregisters the pipe and returns its descriptor, in blocking mode again.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                into_blocking_fd(self.inner)
            }
        }

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                self.inner.poll_read(cx, buf)
            }
        }
    };
}

reader!(ChildStdout, std::process::ChildStdout, "ChildStdout");
reader!(ChildStderr, std::process::ChildStderr, "ChildStderr");

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let pipe: &Sender = &self.inner;
        self.inner
            .registration()
            .poll_io(cx, Direction::Write, || { pipe }.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let pipe: &Sender = &self.inner;
        self.inner
            .registration()
            .poll_io(cx, Direction::Write, || { pipe }.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Nothing to do: a pipe has no half-close; drop the `ChildStdin` to close it.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

macro_rules! common {
    ($name:ident) => {
        impl TryInto<Stdio> for $name {
            type Error = io::Error;

            /// The pipe as another child's stdio (deregistered, blocking again).
            fn try_into(self) -> Result<Stdio, io::Error> {
                self.into_owned_fd().map(Stdio::from)
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.inner.as_raw_fd())
                    .finish()
            }
        }
    };
}

common!(ChildStdin);
common!(ChildStdout);
common!(ChildStderr);
