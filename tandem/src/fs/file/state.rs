//! The state machine behind `File`'s `AsyncRead`, `AsyncWrite` and `AsyncSeek`.
//!
//! A file is `Idle`, holding its buffer, or `Busy` with one background operation that owns the
//! buffer and hands it back when done. Each operation runs as a spawned task, so it completes
//! even if nobody polls the file again (a write accepted by `poll_write` reaches the kernel
//! although the file is dropped without a flush, as with Tokio).
//!
//! Rules, as Tokio's `File`:
//! 1. `poll_write` copies into the buffer, starts the write and returns `Ready(n)` at once. The
//!    write's error is reported by the next write, flush or seek completion.
//! 2. A read fills the buffer with up to `min(wanted, max_buf_size)` bytes; later reads are
//!    served from it.
//! 3. Read data still buffered means the kernel's file position is ahead of the caller's: a
//!    write, seek or `set_len` first moves it back by the unread length and drops that data.

use std::future::Future;
use std::io::{self, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use super::buf::Buf;
use crate::fs::backend;
use crate::task::JoinHandle;

/// What a background operation did.
#[derive(Debug)]
pub(crate) enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    SetLen(io::Result<()>),
}

#[derive(Debug)]
pub(crate) enum State {
    /// No operation in flight. `None` only while a method has taken the buffer out.
    Idle(Option<Buf>),
    /// An operation owns the buffer.
    Busy(JoinHandle<(Operation, Buf)>),
}

/// The mutable part of a `File`, behind its mutex.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) state: State,
    /// The error of a background write nobody has been told about yet.
    pub(crate) last_write_err: Option<io::Error>,
    /// The position the last completed seek reached (what `poll_complete` reports when idle).
    pub(crate) pos: u64,
}

impl Inner {
    pub(crate) fn new() -> Inner {
        Inner {
            state: State::Idle(Some(Buf::default())),
            last_write_err: None,
            pos: 0,
        }
    }

    /// Waits for the operation in flight. The buffer is back in `Idle` afterwards, and a
    /// `JoinError` (the runtime dropped the task at shutdown) becomes an error with a fresh
    /// buffer, so the file stays usable.
    pub(crate) fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Operation>> {
        let State::Busy(handle) = &mut self.state else {
            unreachable!("poll_busy: callers check for Busy first");
        };
        let (res, buf) = match ready!(Pin::new(handle).poll(cx)) {
            Ok((op, buf)) => (Ok(op), buf),
            Err(_) => (Err(backend::background_task_failed()), Buf::default()),
        };
        self.state = State::Idle(Some(buf));
        Poll::Ready(res)
    }

    fn take_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => buf
                .take()
                .unwrap_or_else(|| unreachable!("the buffer is put back before returning")),
            State::Busy(_) => unreachable!("take_buf: the file is busy"),
        }
    }

    fn start(&mut self, op: impl Future<Output = (Operation, Buf)> + Send + 'static) {
        self.state = State::Busy(crate::spawn(op));
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<std::fs::File>,
        max_buf_size: usize,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if let State::Idle(_) = self.state {
                let mut buf = self.take_buf();
                if !buf.is_empty() || dst.remaining() == 0 {
                    buf.copy_to(dst);
                    self.state = State::Idle(Some(buf));
                    return Poll::Ready(Ok(()));
                }
                let len = dst.remaining().min(max_buf_size);
                self.start(read(Arc::clone(std), buf, len));
            }
            match ready!(self.poll_busy(cx))? {
                Operation::Read(Ok(_)) => {
                    let State::Idle(Some(buf)) = &mut self.state else {
                        unreachable!("poll_busy leaves the file idle");
                    };
                    buf.copy_to(dst);
                    return Poll::Ready(Ok(()));
                }
                Operation::Read(Err(e)) => return Poll::Ready(Err(e)),
                Operation::Write(Ok(())) | Operation::SetLen(_) => {}
                Operation::Write(Err(e)) => self.last_write_err = Some(e),
                Operation::Seek(res) => {
                    if let Ok(pos) = res {
                        self.pos = pos;
                    }
                }
            }
        }
    }

    /// `poll_write` and `poll_write_vectored`: `copy` moves the caller's bytes into the buffer.
    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<std::fs::File>,
        copy: impl FnOnce(&mut Buf) -> usize,
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.last_write_err.take() {
            return Poll::Ready(Err(e));
        }
        loop {
            if let State::Idle(_) = self.state {
                let mut buf = self.take_buf();
                let seek = buf.rewind_unread();
                let n = copy(&mut buf);
                self.start(write(Arc::clone(std), buf, seek));
                return Poll::Ready(Ok(n));
            }
            match ready!(self.poll_busy(cx))? {
                Operation::Write(res) => res?,
                Operation::Read(_) | Operation::Seek(_) | Operation::SetLen(_) => {}
            }
        }
    }

    /// Waits for the operation in flight; reports a write error not yet reported.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.last_write_err.take() {
            return Poll::Ready(Err(e));
        }
        if let State::Idle(_) = self.state {
            return Poll::Ready(Ok(()));
        }
        match ready!(self.poll_busy(cx))? {
            Operation::Write(res) => Poll::Ready(res),
            Operation::Read(_) | Operation::SetLen(_) => Poll::Ready(Ok(())),
            Operation::Seek(res) => {
                if let Ok(pos) = res {
                    self.pos = pos;
                }
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Waits for the operation in flight, keeping a write error for the next operation.
    pub(crate) fn poll_complete_inflight(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Err(e) = ready!(self.poll_flush(cx)) {
            self.last_write_err = Some(e);
        }
        Poll::Ready(())
    }

    pub(crate) fn start_seek(
        &mut self,
        std: &Arc<std::fs::File>,
        mut pos: SeekFrom,
    ) -> io::Result<()> {
        if let State::Busy(_) = self.state {
            return Err(io::Error::other(
                "other file operation is pending, call poll_complete before start_seek",
            ));
        }
        let mut buf = self.take_buf();
        if !buf.is_empty() {
            let ahead = buf.discard_read();
            if let SeekFrom::Current(offset) = &mut pos {
                // The kernel's position is `ahead` (negative) past the caller's. Saturating is
                // enough: an offset that far off fails with EINVAL either way.
                *offset = offset.saturating_add(ahead);
            }
        }
        self.start(seek(Arc::clone(std), buf, pos));
        Ok(())
    }

    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            if let State::Idle(_) = self.state {
                return Poll::Ready(Ok(self.pos));
            }
            match ready!(self.poll_busy(cx))? {
                Operation::Read(_) | Operation::Write(Ok(())) | Operation::SetLen(_) => {}
                Operation::Write(Err(e)) => self.last_write_err = Some(e),
                Operation::Seek(res) => {
                    if let Ok(pos) = res {
                        self.pos = pos;
                    }
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// Starts `set_len` as a background operation (so that dropping the caller's future leaves
    /// the file in a valid state), after moving the position back over unread data.
    pub(crate) fn start_set_len(&mut self, std: &Arc<std::fs::File>, len: u64) {
        let mut buf = self.take_buf();
        let seek = buf.rewind_unread();
        self.start(set_len(Arc::clone(std), buf, seek, len));
    }
}

async fn read(std: Arc<std::fs::File>, mut buf: Buf, len: usize) -> (Operation, Buf) {
    buf.prepare_read(len);
    let (res, mut buf) = backend::read_into(std, buf, 0, None).await;
    buf.finish_read(&res);
    (Operation::Read(res), buf)
}

async fn write(std: Arc<std::fs::File>, buf: Buf, seek: Option<SeekFrom>) -> (Operation, Buf) {
    if let Some(pos) = seek {
        if let Err(e) = seek_std(&std, pos).await {
            let mut buf = buf;
            buf.clear();
            return (Operation::Write(Err(e)), buf);
        }
    }
    let (res, mut buf) = write_all(std, buf).await;
    buf.clear();
    (Operation::Write(res), buf)
}

async fn set_len(
    std: Arc<std::fs::File>,
    buf: Buf,
    seek: Option<SeekFrom>,
    len: u64,
) -> (Operation, Buf) {
    if let Some(pos) = seek {
        if let Err(e) = seek_std(&std, pos).await {
            return (Operation::SetLen(Err(e)), buf);
        }
    }
    (Operation::SetLen(backend::set_len(std, len).await), buf)
}

async fn seek(std: Arc<std::fs::File>, buf: Buf, pos: SeekFrom) -> (Operation, Buf) {
    (Operation::Seek(seek_std(&std, pos).await), buf)
}

/// `lseek(2)`. It has no io_uring opcode and never blocks for long; it runs on the pool
/// anyway so that it stays ordered after the operation before it.
pub(crate) async fn seek_std(std: &Arc<std::fs::File>, pos: SeekFrom) -> io::Result<u64> {
    let std = Arc::clone(std);
    backend::blocking(move || (&*std).seek(pos)).await
}

/// Writes all of `buf` at the file position, as std's `write_all`.
pub(crate) async fn write_all(std: Arc<std::fs::File>, mut buf: Buf) -> (io::Result<()>, Buf) {
    let mut done = 0;
    while done < buf.len() {
        let (res, back) = backend::write_from(Arc::clone(&std), buf, done, None).await;
        buf = back;
        match res {
            Ok(0) => return (Err(write_zero()), buf),
            Ok(n) => done += n,
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(()), buf)
}

/// std's error for a write that made no progress.
pub(crate) fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")
}
