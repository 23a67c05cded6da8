//! `ReadLine`: the future of `AsyncBufReadExt::read_line`.

use super::read_to_string::append_utf8;
use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// Reads up to and including a newline, appending to a string: see
    /// [`AsyncBufReadExt::read_line`](super::AsyncBufReadExt::read_line).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadLine<'a, R: ?Sized> {
        reader: &'a mut R,
        output: &'a mut String,
        // The line's bytes so far; they reach `output` once checked to be UTF-8.
        bytes: Vec<u8>,
        read: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_line<'a, R: AsyncBufRead + Unpin + ?Sized>(
    reader: &'a mut R,
    output: &'a mut String,
) -> ReadLine<'a, R> {
    ReadLine {
        reader,
        output,
        bytes: Vec::new(),
        read: 0,
        _pinned: PhantomPinned,
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        let reader = Pin::new(&mut **me.reader);
        let result = match poll_read_until(reader, cx, b'\n', me.bytes, me.read) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let bytes = mem::take(me.bytes);
        // As Tokio's: after an I/O error the part of the line read stays in `output` if it is
        // UTF-8; bytes that are not UTF-8 never reach it.
        Poll::Ready(match result {
            Ok(n) => append_utf8(me.output, bytes).map(|()| n),
            Err(e) => {
                let _ = append_utf8(me.output, bytes);
                Err(e)
            }
        })
    }
}
