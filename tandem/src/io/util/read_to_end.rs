//! `ReadToEnd`: the future of `AsyncReadExt::read_to_end`.

use crate::io::{AsyncRead, ReadBuf};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Reads to end of file, appending to a vector: see
/// [`AsyncReadExt::read_to_end`](super::AsyncReadExt::read_to_end).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    /// Bytes appended by this call so far.
    read: usize,
}

pub(super) fn read_to_end<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
) -> ReadToEnd<'a, R> {
    ReadToEnd {
        reader,
        buf,
        read: 0,
    }
}

/// The smallest room made in a full vector before a read.
const MIN_GROWTH: usize = 32;

/// Reads into `buf`'s spare capacity (grown as needed) until end of file, counting into `read`.
/// Returns the total; on error, the bytes read stay in `buf` and `read` counts them.
pub(super) fn poll_read_to_end<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(MIN_GROWTH);
        }
        let len = buf.len();
        let n = {
            let mut spare = ReadBuf::uninit(buf.spare_capacity_mut());
            ready!(reader.as_mut().poll_read(cx, &mut spare))?;
            spare.filled().len()
        };
        if n == 0 {
            return Poll::Ready(Ok(*read));
        }
        // SAFETY: the reader filled, so initialized, the first `n` bytes of the spare capacity,
        // which lie within it (a `ReadBuf` never fills past its capacity).
        unsafe { buf.set_len(len + n) };
        *read += n;
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        poll_read_to_end(Pin::new(&mut *me.reader), cx, me.buf, &mut me.read)
    }
}
