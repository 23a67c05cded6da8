//! Tests of the extension traits (`ext.rs`) and the utilities (`utilities.rs`), over in-memory
//! readers and writers and over `Trickle` and `Narrow`, a reader and a writer that return
//! `Pending` before every step and move a few bytes at a time.

mod ext;
mod utilities;

use crate::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A reader that returns `Pending` (waking at once) before each chunk, and hands out its chunks
/// one per read.
struct Trickle {
    chunks: VecDeque<Vec<u8>>,
    ready: bool,
}

impl Trickle {
    fn new(chunks: &[&[u8]]) -> Trickle {
        Trickle {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
            ready: false,
        }
    }

    /// `Pending` every other poll.
    fn stall(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.ready = !self.ready;
        if self.ready {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        std::task::ready!(self.stall(cx));
        if let Some(mut chunk) = self.chunks.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                self.chunks.push_front(chunk.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Trickle {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.get_mut();
        if me.chunks.front().is_none_or(|c| c.is_empty()) {
            std::task::ready!(me.stall(cx));
            me.chunks.pop_front();
        }
        Poll::Ready(Ok(me.chunks.front().map_or(&[][..], |c| &c[..])))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        if let Some(chunk) = self.get_mut().chunks.front_mut() {
            chunk.drain(..amt);
        }
    }
}

/// A writer that returns `Pending` (waking at once) before each write, takes at most `step`
/// bytes per write, and nothing once it holds `capacity`.
struct Narrow {
    data: Vec<u8>,
    step: usize,
    capacity: usize,
    ready: bool,
}

impl Narrow {
    fn new(step: usize, capacity: usize) -> Narrow {
        Narrow {
            data: Vec::new(),
            step,
            capacity,
            ready: false,
        }
    }
}

impl AsyncWrite for Narrow {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.ready = !self.ready;
        if self.ready {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = buf
            .len()
            .min(self.step)
            .min(self.capacity - self.data.len());
        self.data.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
