//! `ReadExact`: the future of `AsyncReadExt::read_exact`.

use crate::io::{AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads until a slice is full: see [`AsyncReadExt::read_exact`](super::AsyncReadExt::read_exact).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadExact<'a, R: ?Sized> {
        reader: &'a mut R,
        buf: ReadBuf<'a>,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_exact<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut [u8],
) -> ReadExact<'a, R> {
    ReadExact {
        reader,
        buf: ReadBuf::new(buf),
        _pinned: PhantomPinned,
    }
}

/// The error of a reader that reached end of file before a buffer was full (Tokio's message).
pub(super) fn early_eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "early eof")
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        while me.buf.remaining() > 0 {
            let before = me.buf.remaining();
            match ready!(Pin::new(&mut **me.reader).poll_read(cx, me.buf)) {
                Ok(()) => {}
                // An interrupted read read nothing: try again, as Tokio's `read_exact` does.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
            if me.buf.remaining() == before {
                return Poll::Ready(Err(early_eof()));
            }
        }
        Poll::Ready(Ok(me.buf.capacity()))
    }
}
