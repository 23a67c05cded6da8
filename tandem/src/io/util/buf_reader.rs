//! `BufReader`: an `AsyncBufRead` over any `AsyncRead`, reading in large blocks.

use crate::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The buffer size of `BufReader::new`, `BufWriter::new` and `copy` (Tokio's).
pub(super) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// Where a seek through a `BufReader` stands.
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek in flight.
    Idle,
    /// `start_seek` was called; the inner seek is not started yet. `then` is a second relative
    /// seek to make after the first (when one offset does not fit an `i64`).
    Start { to: SeekFrom, then: Option<i64> },
    /// The inner seek is started; `then` as above.
    InFlight { then: Option<i64> },
}

pin_project! {
    /// Adds a buffer to a reader, as `tokio::io::BufReader`: small reads are served from it, and
    /// the inner reader is read in blocks of the buffer's capacity.
    ///
    /// A read at least as large as the buffer, made while the buffer is empty, goes to the
    /// inner reader directly. Dropping a `BufReader` loses whatever is buffered.
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        // `buf[pos..filled]` is read from `inner` and not yet consumed.
        pos: usize,
        filled: usize,
        seek_state: SeekState,
    }
}

impl<R: AsyncRead> BufReader<R> {
    /// A `BufReader` with an 8 KiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// A `BufReader` with a buffer of `capacity` bytes.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero.
    #[track_caller]
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        assert!(capacity > 0, "capacity must be greater than zero");
        BufReader {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            filled: 0,
            seek_state: SeekState::Idle,
        }
    }
}

impl<R> BufReader<R> {
    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably. Reading from it directly skips the buffered bytes.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader, pinned. Reading from it directly skips the buffered bytes.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The inner reader; the buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The buffered bytes not yet read. Does not fill the buffer.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// Puts `inner` in place of the inner reader, keeping the buffer; returns the old reader
    /// and the new `BufReader` (how `BufStream` turns a `BufWriter<BufReader<_>>` inside out).
    pub(super) fn replace_inner<S>(self, inner: S) -> (R, BufReader<S>) {
        let BufReader {
            inner: old,
            buf,
            pos,
            filled,
            seek_state,
        } = self;
        let new = BufReader {
            inner,
            buf,
            pos,
            filled,
            seek_state,
        };
        (old, new)
    }

    /// Forgets the buffered bytes.
    fn discard_buffer(self: Pin<&mut Self>) {
        let me = self.project();
        *me.pos = 0;
        *me.filled = 0;
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos == self.filled && buf.remaining() >= self.buf.len() {
            let result = ready!(self.as_mut().get_pin_mut().poll_read(cx, buf));
            self.discard_buffer();
            return Poll::Ready(result);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.pos >= *me.filled {
            let mut read_buf = ReadBuf::new(me.buf);
            ready!(me.inner.poll_read(cx, &mut read_buf))?;
            *me.filled = read_buf.filled().len();
            *me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[*me.pos..*me.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        *me.pos = (*me.pos + amt).min(*me.filled);
    }
}

impl<R: AsyncRead + AsyncSeek> AsyncSeek for BufReader<R> {
    /// Starts a seek. `SeekFrom::Current` counts from the position of the next byte this
    /// `BufReader` returns (the inner reader's, less what is buffered). The buffer is discarded
    /// when the seek completes.
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let me = self.project();
        let state = match position {
            SeekFrom::Current(n) => {
                let buffered = (*me.filled - *me.pos) as i64;
                match n.checked_sub(buffered) {
                    Some(offset) => SeekState::Start {
                        to: SeekFrom::Current(offset),
                        then: None,
                    },
                    // `n - buffered` overflows: step back over the buffer first, then seek `n`.
                    None => SeekState::Start {
                        to: SeekFrom::Current(-buffered),
                        then: Some(n),
                    },
                }
            }
            other => SeekState::Start {
                to: other,
                then: None,
            },
        };
        *me.seek_state = state;
        Ok(())
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            let me = self.as_mut().project();
            match *me.seek_state {
                SeekState::Idle => {
                    // No seek: the position of the next byte this reader returns.
                    let inner = ready!(me.inner.poll_complete(cx))?;
                    let buffered = (*me.filled - *me.pos) as u64;
                    return Poll::Ready(Ok(inner.saturating_sub(buffered)));
                }
                SeekState::Start { to, then } => {
                    *me.seek_state = SeekState::Idle;
                    me.inner.start_seek(to)?;
                    *me.seek_state = SeekState::InFlight { then };
                }
                SeekState::InFlight { then } => {
                    let result = ready!(me.inner.poll_complete(cx));
                    *me.seek_state = SeekState::Idle;
                    let position = result?;
                    self.as_mut().discard_buffer();
                    match then {
                        Some(n) => {
                            self.as_mut()
                                .get_pin_mut()
                                .start_seek(SeekFrom::Current(n))?;
                            *self.as_mut().project().seek_state =
                                SeekState::InFlight { then: None };
                        }
                        None => return Poll::Ready(Ok(position)),
                    }
                }
            }
        }
    }
}

/// Writes pass through to the inner stream unbuffered.
impl<R: AsyncRead + AsyncWrite> AsyncWrite for BufReader<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.get_ref().is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.filled - self.pos, self.buf.len()),
            )
            .finish()
    }
}
