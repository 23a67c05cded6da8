//! `Stdin`, `Stdout`, `Stderr`: the std streams behind `Blocking` (see `mod.rs` for the
//! contract).

use super::blocking::Blocking;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The standard input of the process, read on the blocking pool.
///
/// Reads block a pool thread until input arrives, and cannot be cancelled: for an interactive
/// program, read stdin from one dedicated task (or a thread) rather than racing it in `select!`.
pub struct Stdin {
    std: Blocking<io::Stdin>,
}

/// The standard output of the process, written on the blocking pool.
///
/// A write returns once its bytes are in the handle's buffer, before they reach the stream;
/// [`flush`](crate::io::AsyncWriteExt::flush) waits for them. Writes of different handles may
/// interleave.
///
/// ```
/// use tandem::io::AsyncWriteExt;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let mut out = tandem::io::stdout();
/// out.write_all(b"hello, world\n").await.unwrap();
/// out.flush().await.unwrap();
/// # });
/// ```
pub struct Stdout {
    std: Blocking<io::Stdout>,
}

/// The standard error of the process, written on the blocking pool, as [`Stdout`].
pub struct Stderr {
    std: Blocking<io::Stderr>,
}

/// A handle to the process's standard input. Reading it needs a runtime.
pub fn stdin() -> Stdin {
    Stdin {
        std: Blocking::new(io::stdin),
    }
}

/// A handle to the process's standard output. Writing it needs a runtime.
pub fn stdout() -> Stdout {
    Stdout {
        std: Blocking::new(io::stdout),
    }
}

/// A handle to the process's standard error. Writing it needs a runtime.
pub fn stderr() -> Stderr {
    Stderr {
        std: Blocking::new(io::stderr),
    }
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().std.poll_read(cx, buf)
    }
}

macro_rules! writer {
    ($name:ident) => {
        impl AsyncWrite for $name {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().std.poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().std.poll_flush(cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().std.poll_flush(cx)
            }
        }
    };
}

writer!(Stdout);
writer!(Stderr);

macro_rules! std_fd {
    ($name:ident, $std:path, $label:literal) => {
        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                $std().as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: the standard streams' descriptors (0, 1, 2) stay open for the whole
                // life of the process as far as Rust code is concerned (std borrows them the
                // same way, with a `'static` lifetime, in `io::Stdout::as_fd`).
                unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($label).finish_non_exhaustive()
            }
        }
    };
}

std_fd!(Stdin, io::stdin, "Stdin");
std_fd!(Stdout, io::stdout, "Stdout");
std_fd!(Stderr, io::stderr, "Stderr");
