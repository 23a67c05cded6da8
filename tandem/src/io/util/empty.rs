//! `empty`, `repeat` and `sink`: readers and writers that are always ready, and therefore
//! spend the task's cooperative budget at every poll (as Tokio's do under Tokio's budget).

use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::rt::coop;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// One unit of budget for an operation that is ready; `Pending` (the task woken) when spent.
fn proceed(cx: &mut Context<'_>) -> Poll<()> {
    ready!(coop::poll_proceed(cx)).made_progress();
    Poll::Ready(())
}

/// `AsyncWrite` for a writer that takes every byte and keeps none (`Empty`, `Sink`): each call
/// spends cooperative budget, then succeeds in full.
macro_rules! impl_discarding_write {
    ($ty:ty) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(buf.len()))
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(()))
            }
        }
    };
}

/// A reader that is always at end of file and a writer that discards everything: see
/// [`empty`].
pub struct Empty {
    _private: (),
}

/// A reader at end of file (reads return 0 bytes) and writer that accepts and discards every
/// byte, as `tokio::io::empty`. Always ready, it spends the task's cooperative budget, so a
/// loop over it still yields now and then.
pub fn empty() -> Empty {
    Empty { _private: () }
}

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl_discarding_write!(Empty);

impl AsyncSeek for Empty {
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> io::Result<()> {
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(0))
    }
}

impl fmt::Debug for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Empty { .. }")
    }
}

/// A reader that yields one byte forever: see [`repeat`].
#[derive(Debug)]
pub struct Repeat {
    byte: u8,
}

/// A reader that fills every read with `byte`, endlessly, as `tokio::io::repeat`. Always ready,
/// it spends the task's cooperative budget, so a loop over it still yields now and then.
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

impl AsyncRead for Repeat {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(proceed(cx));
        let unfilled = buf.initialize_unfilled();
        unfilled.fill(self.byte);
        let n = unfilled.len();
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A writer that discards everything: see [`sink`].
pub struct Sink {
    _private: (),
}

/// A writer that accepts and discards every byte, as `tokio::io::sink`. Always ready, it spends
/// the task's cooperative budget, so a loop over it still yields now and then.
pub fn sink() -> Sink {
    Sink { _private: () }
}

impl_discarding_write!(Sink);

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sink { .. }")
    }
}
