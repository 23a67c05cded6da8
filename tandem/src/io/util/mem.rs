//! `duplex` and `simplex`: in-memory pipes, for tests and for joining two pieces of code that
//! each expect a stream.
//!
//! A `SimplexStream` is one bounded pipe: writes append to its buffer (up to `max_buf_size`
//! bytes, then `Pending` until a read makes room), reads take from the front (`Pending` while
//! empty). Closing it (`shutdown`, or dropping an end of a `DuplexStream`) lets reads drain what
//! is buffered and then report end of file, and makes writes fail with `BrokenPipe`. A
//! `DuplexStream` is two of them, crossed.
//!
//! A read into no room and a write of no bytes complete at once with 0, whether the pipe is
//! full or empty (a write to a closed pipe still fails). A waker that a new one replaces is
//! dropped after the pipe's lock is released: it may own the other end, whose drop locks it.

use crate::io::{split, AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
use crate::loom::sync::{Arc, Mutex};
use crate::rt::coop;
use bytes::{Buf, BytesMut};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// One end of a bidirectional in-memory pipe: see [`duplex`].
#[derive(Debug)]
pub struct DuplexStream {
    /// The pipe this end reads from (the other end writes to it).
    read: Arc<Mutex<SimplexStream>>,
    /// The pipe this end writes to.
    write: Arc<Mutex<SimplexStream>>,
}

/// A unidirectional in-memory pipe: see [`simplex`] and [`SimplexStream::new_unsplit`].
#[derive(Debug)]
pub struct SimplexStream {
    buffer: BytesMut,
    /// Set by a shutdown of the writer or a drop of either `DuplexStream` end; never unset.
    is_closed: bool,
    max_buf_size: usize,
    /// The task waiting for data, woken by a write or a close.
    read_waker: Option<Waker>,
    /// The task waiting for room, woken by a read or a close.
    write_waker: Option<Waker>,
}

/// Two connected in-memory streams, as `tokio::io::duplex`: what one writes the other reads.
/// Each direction buffers up to `max_buf_size` bytes; a writer finding the buffer full waits
/// for the reader. Dropping one end makes the other read end of file (after what is buffered)
/// and fail its writes with `BrokenPipe`.
///
/// Reads and writes are always ready while there is data or room, so they spend the task's
/// cooperative budget.
///
/// # Panics
/// If `max_buf_size` is 0 (no write could ever complete), with Tokio's message.
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    let two = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// A unidirectional in-memory pipe, split into its read and write ends, as
/// `tokio::io::simplex`. It buffers up to `max_buf_size` bytes.
///
/// # Panics
/// If `max_buf_size` is 0, with Tokio's message.
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let budget = ready!(coop::poll_proceed(cx));
        let mut replaced = None;
        // The guard is dropped at the end of the statement: before the replaced waker, whose
        // drop may drop the other end (which locks this pipe), and before the wake.
        let taken = self.read.lock().poll_take(cx, buf, &mut replaced);
        drop(replaced);
        wake(ready!(taken));
        budget.made_progress();
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let budget = ready!(coop::poll_proceed(cx));
        let mut replaced = None;
        // The guard is dropped at the end of the statement: before the replaced waker, whose
        // drop may drop the other end (which locks this pipe), and before the wake.
        let put = self.write.lock().poll_put(cx, bufs, &mut replaced);
        drop(replaced);
        let (n, reader) = ready!(put)?;
        wake(reader);
        budget.made_progress();
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes this end's writing direction: the other end reads end of file once it has read
    /// what is buffered.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let reader = self.write.lock().close_write();
        wake(reader);
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        // The other end reads end of file, and its writes fail.
        let reader = self.write.lock().close_write();
        wake(reader);
        let writer = self.read.lock().close_read();
        wake(writer);
    }
}

/// Keeps `cx`'s waker in `slot`, cloning only if it would not wake the same task. The waker
/// it replaces goes to `replaced`, for the caller to drop once the pipe's lock is released:
/// a waker may own anything, even the other end of this pipe, whose drop locks it.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>, replaced: &mut Option<Waker>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *replaced = slot.replace(cx.waker().clone()),
    }
}

/// Wakes a waker taken out of a pipe, after its lock is released.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl SimplexStream {
    /// A pipe whose one value both reads and writes, buffering up to `max_buf_size` bytes (see
    /// [`simplex`] for the split form).
    ///
    /// # Panics
    /// If `max_buf_size` is 0 (no write could ever complete), with Tokio's message.
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        SimplexStream {
            buffer: BytesMut::new(),
            is_closed: false,
            max_buf_size,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Closes the pipe from the writing side; returns the reader's waker, to wake.
    #[must_use = "the returned waker must be woken"]
    fn close_write(&mut self) -> Option<Waker> {
        self.is_closed = true;
        self.read_waker.take()
    }

    /// Closes the pipe from the reading side; returns the writer's waker, to wake.
    #[must_use = "the returned waker must be woken"]
    fn close_read(&mut self) -> Option<Waker> {
        self.is_closed = true;
        self.write_waker.take()
    }

    /// Moves buffered bytes into `buf` (none at end of file); `Pending` while empty and open
    /// (a waker this replaces goes to `replaced`, to drop outside the lock). Returns the
    /// writer's waker, to wake, if room was made.
    fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        replaced: &mut Option<Waker>,
    ) -> Poll<Option<Waker>> {
        // A read with no room has nothing to wait for, even from an empty pipe.
        if buf.remaining() == 0 {
            return Poll::Ready(None);
        }
        if self.buffer.has_remaining() {
            let n = self.buffer.len().min(buf.remaining());
            buf.put_slice(&self.buffer[..n]);
            self.buffer.advance(n);
            Poll::Ready(if n > 0 { self.write_waker.take() } else { None })
        } else if self.is_closed {
            Poll::Ready(None)
        } else {
            register(&mut self.read_waker, cx, replaced);
            Poll::Pending
        }
    }

    /// Appends as much of `bufs` as there is room for; `Pending` while full (a waker this
    /// replaces goes to `replaced`, to drop outside the lock), `BrokenPipe` once closed.
    /// Returns the count and the reader's waker, to wake.
    fn poll_put(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
        replaced: &mut Option<Waker>,
    ) -> Poll<io::Result<(usize, Option<Waker>)>> {
        if self.is_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        // A write of nothing has nothing to wait for, even into a full pipe (but a closed pipe
        // fails it, above).
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok((0, None)));
        }
        let mut room = self.max_buf_size.saturating_sub(self.buffer.len());
        if room == 0 {
            register(&mut self.write_waker, cx, replaced);
            return Poll::Pending;
        }
        let mut n = 0;
        for buf in bufs {
            let take = room.min(buf.len());
            self.buffer.extend_from_slice(&buf[..take]);
            room -= take;
            n += take;
            if room == 0 {
                break;
            }
        }
        Poll::Ready(Ok((n, self.read_waker.take())))
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let budget = ready!(coop::poll_proceed(cx));
        // Unshared, so no lock: the replaced waker may go at once.
        wake(ready!(self.get_mut().poll_take(cx, buf, &mut None)));
        budget.made_progress();
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let budget = ready!(coop::poll_proceed(cx));
        let (n, reader) = ready!(self.get_mut().poll_put(cx, bufs, &mut None))?;
        wake(reader);
        budget.made_progress();
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the pipe: reads return end of file once the buffer is drained.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        wake(self.get_mut().close_write());
        Poll::Ready(Ok(()))
    }
}
