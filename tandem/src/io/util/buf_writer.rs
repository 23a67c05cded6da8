//! `BufWriter`: an `AsyncWrite` that gathers small writes into large ones.

use super::buf_reader::DEFAULT_BUF_SIZE;
use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Adds a buffer to a writer, as `tokio::io::BufWriter`: writes smaller than the buffer
    /// are gathered in it and written to the inner writer when it fills, on `flush`, and on
    /// `shutdown`.
    ///
    /// A write at least as large as the buffer goes to the inner writer directly (after what is
    /// buffered). Dropping a `BufWriter` loses whatever is buffered: flush or shut it down
    /// first.
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        // `buf[..written]` is already written to `inner` by a flush that has not finished.
        written: usize,
        // A seek waiting for the buffer to be flushed.
        seek: Option<SeekFrom>,
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A `BufWriter` with an 8 KiB buffer.
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufWriter` with a buffer of `cap` bytes.
    pub fn with_capacity(cap: usize, inner: W) -> Self {
        BufWriter {
            inner,
            buf: Vec::with_capacity(cap),
            written: 0,
            seek: None,
        }
    }

    /// Writes the whole buffer to the inner writer (not flushing the inner writer).
    fn flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut me = self.project();
        let result = loop {
            if *me.written == me.buf.len() {
                break Ok(());
            }
            match ready!(me.inner.as_mut().poll_write(cx, &me.buf[*me.written..])) {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write the buffered data",
                    ))
                }
                Ok(n) => *me.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        me.buf.drain(..*me.written);
        *me.written = 0;
        Poll::Ready(result)
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A vectored write over an inner writer that is not vectored. Writing the slices' total
    /// through would cost one inner write per slice, so whole slices are buffered instead,
    /// leading ones first, while they fit; what does not fit is left for the next call.
    fn poll_write_slices(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(start) = bufs.iter().position(|b| !b.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        let bufs = &bufs[start..];
        let first = bufs[0].len();
        if first > self.buf.capacity() - self.buf.len() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if first >= me.buf.capacity() {
            return me.inner.poll_write(cx, &bufs[0]);
        }
        let mut n = 0;
        for b in bufs {
            if b.len() > me.buf.capacity() - me.buf.len() {
                break;
            }
            me.buf.extend_from_slice(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }
}

impl<W> BufWriter<W> {
    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably. Writing to it directly puts bytes before the buffered ones.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, pinned. Writing to it directly puts bytes before the buffered ones.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// The inner writer; the buffered bytes are lost.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The buffered bytes not yet written.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// Puts `inner` in place of the inner writer, keeping the buffer; returns the old writer
    /// and the new `BufWriter` (how `BufStream` turns a `BufWriter<BufReader<_>>` inside out).
    pub(super) fn replace_inner<S>(self, inner: S) -> (W, BufWriter<S>) {
        let BufWriter {
            inner: old,
            buf,
            written,
            seek,
        } = self;
        let new = BufWriter {
            inner,
            buf,
            written,
            seek,
        };
        (old, new)
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.buf.len() + buf.len() > self.buf.capacity() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if buf.len() >= me.buf.capacity() {
            me.inner.poll_write(cx, buf)
        } else {
            me.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
    }

    /// Over a vectored inner writer, all the slices are buffered or all go through at once.
    /// Over one that is not, slices go through one at a time: as many whole slices as fit are
    /// buffered, and a first slice as large as the buffer is written directly, alone.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.inner.is_write_vectored() {
            return self.poll_write_slices(cx, bufs);
        }
        // Saturates at `usize::MAX`, which goes through directly like any large total.
        let total = bufs
            .iter()
            .fold(0usize, |sum, b| sum.saturating_add(b.len()));
        if total > self.buf.capacity() - self.buf.len() {
            ready!(self.as_mut().flush_buf(cx))?;
        }
        let me = self.project();
        if total >= me.buf.capacity() {
            me.inner.poll_write_vectored(cx, bufs)
        } else {
            bufs.iter().for_each(|b| me.buf.extend_from_slice(b));
            Poll::Ready(Ok(total))
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().flush_buf(cx))?;
        self.get_pin_mut().poll_shutdown(cx)
    }
}

/// Seeking writes the buffer out first.
impl<W: AsyncWrite + AsyncSeek> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        // The flush needs a `Context`, so it happens in `poll_complete`.
        *self.project().seek = Some(position);
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        if let Some(position) = self.seek {
            ready!(self.as_mut().flush_buf(cx))?;
            let me = self.as_mut().project();
            *me.seek = None;
            me.inner.start_seek(position)?;
        }
        self.get_pin_mut().poll_complete(cx)
    }
}

/// Reads pass through to the inner stream.
impl<W: AsyncWrite + AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_read(cx, buf)
    }
}

/// Reads pass through to the inner stream.
impl<W: AsyncWrite + AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.buf.len(), self.buf.capacity()),
            )
            .field("written", &self.written)
            .finish()
    }
}
