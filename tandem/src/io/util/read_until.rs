//! `ReadUntil`: the future of `AsyncBufReadExt::read_until`.

use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads up to and including a delimiter, appending to a vector: see
    /// [`AsyncBufReadExt::read_until`](super::AsyncBufReadExt::read_until).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadUntil<'a, R: ?Sized> {
        reader: &'a mut R,
        delimiter: u8,
        buf: &'a mut Vec<u8>,
        // Bytes appended by this call so far.
        read: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_until<'a, R: AsyncBufRead + Unpin + ?Sized>(
    reader: &'a mut R,
    delimiter: u8,
    buf: &'a mut Vec<u8>,
) -> ReadUntil<'a, R> {
    ReadUntil {
        reader,
        delimiter,
        buf,
        read: 0,
        _pinned: PhantomPinned,
    }
}

/// Moves bytes from `reader`'s buffer to `buf` up to and including `delimiter` or end of file,
/// counting them into `read`. Returns the count (and resets `read`). Bytes moved before an error
/// or a `Pending` stay in `buf`, counted in `read`.
pub(super) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delimiter: u8,
    buf: &mut Vec<u8>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        let (found, used) = {
            let available = match ready!(reader.as_mut().poll_fill_buf(cx)) {
                Ok(available) => available,
                // An interrupted fill moved nothing: try again, as Tokio's `read_until` does.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            };
            let (found, used) = match available.iter().position(|&b| b == delimiter) {
                Some(i) => (true, i + 1),
                None => (available.is_empty(), available.len()),
            };
            buf.extend_from_slice(&available[..used]);
            (found, used)
        };
        reader.as_mut().consume(used);
        *read += used;
        if found {
            return Poll::Ready(Ok(mem::take(read)));
        }
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        poll_read_until(
            Pin::new(&mut **me.reader),
            cx,
            *me.delimiter,
            me.buf,
            me.read,
        )
    }
}
