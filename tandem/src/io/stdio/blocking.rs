//! `Blocking<T>`: a std reader or writer whose calls run on the blocking pool, one at a time.
//!
//! The handle is `Idle`, holding the std stream and its buffer, or `Busy`, with both moved into
//! the blocking closure whose `JoinHandle` it polls; a result that came back at once is kept as
//! `Done` until the next poll. The buffer travels with the closure and back, so it is reused.

use crate::io::ReadBuf;
use crate::task::JoinHandle;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// The most bytes one operation moves (Tokio's bound): a larger write returns a short count.
pub(super) const MAX_BUF: usize = 2 * 1024 * 1024;

/// What a blocking call hands back: its result, the buffer, the stream.
type Output<T> = (io::Result<usize>, Buf, T);

pub(super) struct Blocking<T> {
    /// `None` while an operation holds it, or after the runtime cancelled that operation (then
    /// `make` gives a fresh one: the std streams are handles to process-wide state).
    inner: Option<T>,
    make: fn() -> T,
    state: State<T>,
    /// A write went out since the last flush.
    need_flush: bool,
}

enum State<T> {
    Idle(Buf),
    Busy(JoinHandle<Output<T>>),
    Done(Option<Output<T>>),
}

/// Bytes read and not yet handed out (`pos..`), or bytes to write.
#[derive(Default)]
pub(super) struct Buf {
    buf: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    fn copy_to(&mut self, dst: &mut ReadBuf<'_>) {
        let n = (self.buf.len() - self.pos).min(dst.remaining());
        dst.put_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
    }

    fn copy_from(&mut self, src: &[u8]) -> usize {
        let n = src.len().min(MAX_BUF);
        self.buf.extend_from_slice(&src[..n]);
        n
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }

    fn read_from(&mut self, reader: &mut impl Read, max: usize) -> io::Result<usize> {
        self.buf.resize(max, 0);
        let res = loop {
            match reader.read(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                res => break res,
            }
        };
        self.buf.truncate(*res.as_ref().unwrap_or(&0));
        self.pos = 0;
        res
    }

    fn write_to(&mut self, writer: &mut impl Write) -> io::Result<usize> {
        let res = writer
            .write_all(&self.buf[self.pos..])
            .map(|()| self.buf.len());
        self.clear();
        res
    }
}

/// The error of an operation the runtime cancelled, or could not start, because it shut down.
fn shutdown_error() -> io::Error {
    io::Error::other(crate::rt::reactor::SHUTDOWN_MSG)
}

impl<T: Send + 'static> Blocking<T> {
    pub(super) fn new(make: fn() -> T) -> Blocking<T> {
        Blocking {
            inner: Some(make()),
            make,
            state: State::Idle(Buf::default()),
            need_flush: false,
        }
    }

    /// Starts `op` with the stream and the buffer on the blocking pool.
    ///
    /// # Panics
    /// Outside a runtime, with Tokio's message.
    fn start(
        &mut self,
        buf: Buf,
        op: impl FnOnce(&mut Buf, &mut T) -> io::Result<usize> + Send + 'static,
    ) where
        T: Send + 'static,
    {
        let mut inner = self.inner.take().unwrap_or_else(self.make);
        let mut buf = buf;
        let mut join = crate::task::spawn_blocking(move || {
            let res = op(&mut buf, &mut inner);
            (res, buf, inner)
        });
        // A runtime that has shut down cancels the closure before it starts: look once, so the
        // caller hears of it now rather than after a write it was told had succeeded.
        let mut noop = Context::from_waker(Waker::noop());
        self.state = match Pin::new(&mut join).poll(&mut noop) {
            Poll::Pending => State::Busy(join),
            Poll::Ready(Ok(out)) => State::Done(Some(out)),
            Poll::Ready(Err(_)) => State::Idle(Buf::default()),
        };
    }

    /// True if the last `start` found the runtime shut down.
    fn refused(&self) -> bool {
        matches!(self.state, State::Idle(_)) && self.inner.is_none()
    }

    /// Waits for the operation in flight, if any, and makes the handle idle again.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let (res, buf, inner) = match &mut self.state {
            State::Idle(_) => return Poll::Ready(Ok(0)),
            State::Done(out) => out.take().expect("a result is taken once"),
            State::Busy(join) => match ready!(Pin::new(join).poll(cx)) {
                Ok(out) => out,
                Err(e) => {
                    self.state = State::Idle(Buf::default());
                    return Poll::Ready(Err(if e.is_cancelled() {
                        shutdown_error()
                    } else {
                        e.into()
                    }));
                }
            },
        };
        self.inner = Some(inner);
        self.state = State::Idle(buf);
        Poll::Ready(res)
    }

    fn take_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => std::mem::take(buf),
            _ => unreachable!("only taken when idle"),
        }
    }
}

impl<T: Read + Send + 'static> Blocking<T> {
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if let State::Idle(buf) = &mut self.state {
                if !buf.is_empty() || dst.remaining() == 0 {
                    buf.copy_to(dst);
                    return Poll::Ready(Ok(()));
                }
                let max = dst.remaining().min(MAX_BUF);
                let buf = self.take_buf();
                self.start(buf, move |buf, inner| buf.read_from(inner, max));
                if self.refused() {
                    return Poll::Ready(Err(shutdown_error()));
                }
            }
            ready!(self.poll_idle(cx))?;
            // The bytes read are in the idle buffer: the loop hands them out.
            if let State::Idle(buf) = &self.state {
                if buf.is_empty() {
                    return Poll::Ready(Ok(())); // end of stream
                }
            }
        }
    }
}

impl<T: Write + Send + 'static> Blocking<T> {
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        // The previous write's error, if any, is this one's.
        ready!(self.poll_idle(cx))?;
        let mut buf = self.take_buf();
        let n = buf.copy_from(src);
        self.start(buf, |buf, inner| buf.write_to(inner));
        if self.refused() {
            return Poll::Ready(Err(shutdown_error()));
        }
        self.need_flush = true;
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_idle(cx))?;
            if !self.need_flush {
                return Poll::Ready(Ok(()));
            }
            self.need_flush = false;
            let buf = self.take_buf();
            self.start(buf, |_, inner| inner.flush().map(|()| 0));
            if self.refused() {
                return Poll::Ready(Err(shutdown_error()));
            }
        }
    }
}
