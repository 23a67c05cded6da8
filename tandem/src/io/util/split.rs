//! `Split`: the segments of a buffered reader between a delimiter byte, from
//! `AsyncBufReadExt::split`.

use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::poll_fn;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// The segments of an [`AsyncBufRead`] between `delimiter` bytes, without the delimiter:
    /// see [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        delimiter: u8,
        // The next segment so far: kept across polls, so `next_segment` is cancel safe.
        bytes: Vec<u8>,
        read: usize,
    }
}

pub(super) fn split<R: AsyncBufRead>(reader: R, delimiter: u8) -> Split<R> {
    Split {
        reader,
        delimiter,
        bytes: Vec::new(),
        read: 0,
    }
}

impl<R: AsyncBufRead> Split<R> {
    /// The next segment, without its delimiter; `None` at end of file.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a partly read segment stays in `self` and the next call
    /// continues it.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }

    /// Polls for the next segment: `Ready(Ok(Some(segment)))`, `Ready(Ok(None))` at end of
    /// file, `Ready(Err(e))`, or `Pending` (the task woken when there may be more).
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let me = self.project();
        let n = ready!(poll_read_until(
            me.reader,
            cx,
            *me.delimiter,
            me.bytes,
            me.read
        ))?;
        if n == 0 && me.bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = mem::take(me.bytes);
        if segment.last() == Some(me.delimiter) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}
