//! `AsyncRead`: reading bytes without blocking, and its impls for pointers, byte slices and
//! cursors.

use super::ReadBuf;
use std::io;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Reads bytes from a source asynchronously, as `tokio::io::AsyncRead`.
///
/// Usually used through [`AsyncReadExt`](super::AsyncReadExt), whose methods return futures.
pub trait AsyncRead {
    /// Tries to read into the unfilled part of `buf`.
    ///
    /// - `Poll::Ready(Ok(()))`: data was read into `buf` (its filled part grew), or, if the
    ///   filled part did not grow and `buf` had room, the source is at end of file.
    /// - `Poll::Pending`: no data yet; the task is woken (through `cx`) when there may be some.
    /// - `Poll::Ready(Err(e))`: an I/O error.
    ///
    /// An implementation must only ever grow the filled part of `buf`, never shrink it.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>>;
}

/// `AsyncRead` for a pointer to a reader that is `Unpin`: the call goes to the reader.
macro_rules! forward_async_read {
    () => {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut **self).poll_read(cx, buf)
        }
    };
}

impl<T: ?Sized + AsyncRead + Unpin> AsyncRead for Box<T> {
    forward_async_read!();
}

impl<T: ?Sized + AsyncRead + Unpin> AsyncRead for &mut T {
    forward_async_read!();
}

impl<P> AsyncRead for Pin<P>
where
    P: DerefMut,
    P::Target: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.as_deref_mut().poll_read(cx, buf)
    }
}

/// Reading from a slice copies from its front and shortens it.
impl AsyncRead for &[u8] {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.len().min(buf.remaining());
        let (head, tail) = self.split_at(n);
        buf.put_slice(head);
        *self = tail;
        Poll::Ready(Ok(()))
    }
}

/// Reading from a cursor copies from its position and moves the position; a position past the
/// end reads as end of file.
impl<T: AsRef<[u8]> + Unpin> AsyncRead for io::Cursor<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let pos = self.position();
        let data = self.get_ref().as_ref();
        let Some(rest) = usize::try_from(pos).ok().and_then(|p| data.get(p..)) else {
            return Poll::Ready(Ok(()));
        };
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        self.set_position(pos + n as u64);
        Poll::Ready(Ok(()))
    }
}
