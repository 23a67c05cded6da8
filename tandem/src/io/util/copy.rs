//! `copy`, and `CopyBuffer`, the loop `copy` and `copy_bidirectional` share: read into a
//! buffer, write it out, flush when the reader has nothing more for now.

use super::buf_reader::DEFAULT_BUF_SIZE;
use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use crate::rt::coop;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// One direction of a copy: a buffer and how far the bytes in it have got.
#[derive(Debug)]
pub(super) struct CopyBuffer {
    buf: Box<[u8]>,
    /// `buf[pos..filled]` is read and not yet written.
    pos: usize,
    filled: usize,
    /// The reader reported end of file.
    read_done: bool,
    /// Bytes were written since the last flush.
    need_flush: bool,
    /// Bytes written in all.
    amount: u64,
}

impl CopyBuffer {
    /// A buffer of `size` bytes; `size` must not be 0 (a read into no room would look like end
    /// of file), which `copy_bidirectional_with_sizes` checks.
    pub(super) fn new(size: usize) -> CopyBuffer {
        debug_assert!(size > 0, "a copy buffer of no bytes");
        CopyBuffer {
            buf: vec![0; size].into_boxed_slice(),
            pos: 0,
            filled: 0,
            read_done: false,
            need_flush: false,
            amount: 0,
        }
    }

    /// One read into the free end of the buffer (retrying `Interrupted`).
    fn poll_fill<R: AsyncRead + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut buf = ReadBuf::new(&mut self.buf[self.filled..]);
            match ready!(reader.as_mut().poll_read(cx, &mut buf)) {
                Ok(()) => {
                    let n = buf.filled().len();
                    self.read_done = n == 0;
                    self.filled += n;
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Copies until the reader's end of file, then flushes the writer; returns the bytes
    /// copied. Spends one unit of cooperative budget per call, as Tokio's copy does.
    pub(super) fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        let budget = ready!(coop::poll_proceed(cx));
        loop {
            // Read while there is room and the reader has more.
            if self.filled < self.buf.len() && !self.read_done {
                match self.poll_fill(cx, reader.as_mut()) {
                    Poll::Ready(result) => {
                        result?;
                        budget.made_progress();
                    }
                    // Nothing to write either: flush what was written, then wait.
                    Poll::Pending if self.pos == self.filled => {
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                    Poll::Pending => {}
                }
            }

            while self.pos < self.filled {
                let n = match ready!(writer
                    .as_mut()
                    .poll_write(cx, &self.buf[self.pos..self.filled]))
                {
                    Ok(0) => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "write zero byte into writer",
                        )))
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Poll::Ready(Err(e)),
                };
                assert!(
                    n <= self.filled - self.pos,
                    "writer returned length larger than input slice"
                );
                self.pos += n;
                self.amount += n as u64;
                self.need_flush = true;
                budget.made_progress();
            }
            self.pos = 0;
            self.filled = 0;

            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amount));
            }
        }
    }
}

/// Copies all of `reader` into `writer`, then flushes `writer`; returns the number of bytes
/// copied, as `tokio::io::copy`. Reads and writes interrupted (`ErrorKind::Interrupted`) are
/// retried; a writer that takes no bytes fails the copy with `ErrorKind::WriteZero`.
///
/// The copy goes through an 8 KiB buffer, and flushes `writer` whenever `reader` has no data
/// ready. It spends the task's cooperative budget, so copying between always-ready ends still
/// lets other tasks run.
///
/// # Cancel safety
///
/// If the future is dropped before completion, the bytes read into its buffer but not yet
/// written are lost.
pub async fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buffer = CopyBuffer::new(DEFAULT_BUF_SIZE);
    poll_fn(|cx| buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}
