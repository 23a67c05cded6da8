//! `WriteBuf` and `WriteAllBuf`: the futures of `AsyncWriteExt::write_buf` and
//! `write_all_buf`, writing from a `bytes::Buf` and advancing it.

use crate::io::AsyncWrite;
use bytes::Buf;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io::{self, IoSlice};
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Writes once from a `Buf`, advancing it: see
    /// [`AsyncWriteExt::write_buf`](super::AsyncWriteExt::write_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WriteBuf<'a, W, B> {
        writer: &'a mut W,
        buf: &'a mut B,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn write_buf<'a, W: AsyncWrite + Unpin, B: Buf>(
    writer: &'a mut W,
    buf: &'a mut B,
) -> WriteBuf<'a, W, B> {
    WriteBuf {
        writer,
        buf,
        _pinned: PhantomPinned,
    }
}

/// How many slices a vectored write gathers from a `Buf` at most.
const MAX_VECTORED: usize = 64;

/// One write of `buf`'s front (gathered into slices if the writer prefers), advancing `buf`.
fn poll_write_from<W: AsyncWrite + Unpin, B: Buf>(
    writer: &mut W,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>> {
    let n = if writer.is_write_vectored() {
        let mut slices = [IoSlice::new(&[]); MAX_VECTORED];
        let count = buf.chunks_vectored(&mut slices);
        ready!(Pin::new(writer).poll_write_vectored(cx, &slices[..count]))?
    } else {
        ready!(Pin::new(writer).poll_write(cx, buf.chunk()))?
    };
    buf.advance(n);
    Poll::Ready(Ok(n))
}

impl<W: AsyncWrite + Unpin, B: Buf> Future for WriteBuf<'_, W, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        if !me.buf.has_remaining() {
            return Poll::Ready(Ok(0));
        }
        poll_write_from(&mut **me.writer, cx, &mut **me.buf)
    }
}

pin_project! {
    /// Writes until a `Buf` is empty, advancing it: see
    /// [`AsyncWriteExt::write_all_buf`](super::AsyncWriteExt::write_all_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WriteAllBuf<'a, W, B> {
        writer: &'a mut W,
        buf: &'a mut B,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn write_all_buf<'a, W: AsyncWrite + Unpin, B: Buf>(
    writer: &'a mut W,
    buf: &'a mut B,
) -> WriteAllBuf<'a, W, B> {
    WriteAllBuf {
        writer,
        buf,
        _pinned: PhantomPinned,
    }
}

impl<W: AsyncWrite + Unpin, B: Buf> Future for WriteAllBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.project();
        while me.buf.has_remaining() {
            match ready!(poll_write_from(&mut **me.writer, cx, &mut **me.buf)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                // An interrupted write wrote nothing: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}
