//! `ReadBuf`: the future of `AsyncReadExt::read_buf`, reading into a `bytes::BufMut`.

use crate::io::{self as tio, AsyncRead};
use bytes::BufMut;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads once into a `BufMut`, advancing it: see
    /// [`AsyncReadExt::read_buf`](super::AsyncReadExt::read_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadBuf<'a, R: ?Sized, B: ?Sized> {
        reader: &'a mut R,
        buf: &'a mut B,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_buf<'a, R, B>(reader: &'a mut R, buf: &'a mut B) -> ReadBuf<'a, R, B>
where
    R: AsyncRead + Unpin + ?Sized,
    B: BufMut + ?Sized,
{
    ReadBuf {
        reader,
        buf,
        _pinned: PhantomPinned,
    }
}

impl<R, B> Future for ReadBuf<'_, R, B>
where
    R: AsyncRead + Unpin + ?Sized,
    B: BufMut + ?Sized,
{
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        poll_read_buf(Pin::new(&mut **me.reader), cx, &mut **me.buf)
    }
}

/// One `poll_read` into `buf`'s next chunk, advancing `buf` by what was read: `Ok(0)` at end of
/// file or when `buf` has no room.
pub(super) fn poll_read_buf<R, B>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut B,
) -> Poll<io::Result<usize>>
where
    R: AsyncRead + ?Sized,
    B: BufMut + ?Sized,
{
    if !buf.has_remaining_mut() {
        return Poll::Ready(Ok(0));
    }
    let n = {
        // SAFETY: the slice is only handed to a `ReadBuf`, which never de-initializes memory,
        // and `UninitSlice` promises no more than that.
        let chunk = unsafe { buf.chunk_mut().as_uninit_slice_mut() };
        let start = chunk.as_ptr();
        let mut read_buf = tio::ReadBuf::uninit(chunk);
        ready!(reader.poll_read(cx, &mut read_buf))?;
        assert_eq!(
            read_buf.filled().as_ptr(),
            start.cast::<u8>(),
            "the reader replaced the ReadBuf it was given"
        );
        read_buf.filled().len()
    };
    // SAFETY: the reader filled, and so initialized, the first `n` bytes of `chunk_mut()`
    // (checked above to be the same memory).
    unsafe { buf.advance_mut(n) };
    Poll::Ready(Ok(n))
}
