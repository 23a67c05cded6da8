//! `Lines`: the lines of a buffered reader, from `AsyncBufReadExt::lines`.

use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::poll_fn;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// The lines of an [`AsyncBufRead`], without their `\n` or `\r\n`: see
    /// [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        // The next line's bytes so far: kept across polls, so `next_line` is cancel safe.
        bytes: Vec<u8>,
        read: usize,
    }
}

pub(super) fn lines<R: AsyncBufRead>(reader: R) -> Lines<R> {
    Lines {
        reader,
        bytes: Vec::new(),
        read: 0,
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// The next line, without its line ending; `None` at end of file.
    ///
    /// A line that is not UTF-8 is an `InvalidData` error carrying the `FromUtf8Error`.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a partly read line stays in `self` and the next call
    /// continues it.
    pub async fn next_line(&mut self) -> io::Result<Option<String>>
    where
        R: Unpin,
    {
        poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }

    /// Polls for the next line: `Ready(Ok(Some(line)))`, `Ready(Ok(None))` at end of file,
    /// `Ready(Err(e))`, or `Pending` (the task woken when there may be more).
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let me = self.project();
        let n = ready!(poll_read_until(me.reader, cx, b'\n', me.bytes, me.read))?;
        if n == 0 && me.bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut line = mem::take(me.bytes);
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        Poll::Ready(
            String::from_utf8(line)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        )
    }
}

impl<R> Lines<R> {
    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader, mutably. Reading from it directly may lose or split lines.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The reader. Bytes of a partly read line are lost.
    pub fn into_inner(self) -> R {
        self.reader
    }
}
