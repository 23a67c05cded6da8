//! `ReadLine`: the future of `AsyncBufReadExt::read_line`.

use super::read_to_string::append_utf8;
use super::read_until::poll_read_until;
use crate::io::AsyncBufRead;
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Reads up to and including a newline, appending to a string: see
/// [`AsyncBufReadExt::read_line`](super::AsyncBufReadExt::read_line).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    output: &'a mut String,
    /// The line's bytes so far; they reach `output` once checked to be UTF-8.
    bytes: Vec<u8>,
    read: usize,
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
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let reader = Pin::new(&mut *me.reader);
        let result = match poll_read_until(reader, cx, b'\n', &mut me.bytes, &mut me.read) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let bytes = mem::take(&mut me.bytes);
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
