//! Tests of the extension traits (`ext.rs`) and the utilities (`utilities.rs`), over in-memory
//! readers and writers and over `Trickle` and `Narrow`, a reader and a writer that return
//! `Pending` before every step and move a few bytes at a time, and `Interrupting`, which fails
//! every other step with `ErrorKind::Interrupted`.

mod ext;
mod utilities;

use crate::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use std::collections::VecDeque;
use std::io;
use std::io::IoSlice;
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

/// Wraps a reader or writer, failing every other read, fill or write (the first included) with
/// `ErrorKind::Interrupted`, which a looping future must retry.
struct Interrupting<T> {
    inner: T,
    interrupt: bool,
}

impl<T> Interrupting<T> {
    fn new(inner: T) -> Interrupting<T> {
        Interrupting {
            inner,
            interrupt: false,
        }
    }

    /// `Err(Interrupted)` every other call.
    fn interrupt(&mut self) -> Poll<io::Result<()>> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            Poll::Ready(Err(io::ErrorKind::Interrupted.into()))
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Interrupting<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        std::task::ready!(self.interrupt())?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncBufRead + Unpin> AsyncBufRead for Interrupting<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.get_mut();
        std::task::ready!(me.interrupt())?;
        Pin::new(&mut me.inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.inner).consume(amt)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Interrupting<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.interrupt())?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.interrupt())?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
