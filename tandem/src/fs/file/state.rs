//! The state machine behind `File`'s `AsyncRead`, `AsyncWrite` and `AsyncSeek`.
//!
//! A file is `Idle`, holding its buffer, or `Busy` with one operation that owns the buffer and
//! hands it back when its result is collected. How the operation runs depends on what it must
//! survive (see [`Pending`]):
//! - a write runs as a blocking-pool job that runs even if the runtime shuts down first, and a
//!   `set_len` as a spawned task: both complete even if nobody polls the file again (a write
//!   accepted by `poll_write` reaches the kernel although the file is dropped without a flush,
//!   and although the runtime ends, as with Tokio);
//! - a read is a future kept in the file and polled by `poll_read` (or by whatever waits for
//!   the file next): no task to spawn and wake per read. Dropping the file drops the read, which
//!   loses nothing the caller was promised; the buffer stays owned by the operation until the
//!   kernel is done with it (an io_uring op hands it to its ring, a blocking-pool job keeps it);
//! - a seek from the start or the current position runs inline, on the caller's thread, inside
//!   `start_seek`: such an `lseek(2)` only moves the file position (see [`lseek`]). The file
//!   stays `Idle`, and `poll_complete` reports the position reached. A seek from the end may
//!   wait for a network filesystem to give the size: it is a future polled in place, like a
//!   read, around a blocking-pool job.
//!
//! Rules, as Tokio's `File`:
//! 1. `poll_write` copies into the buffer, starts the write and returns `Ready(n)` at once. The
//!    write's error is reported by the next write, flush or seek completion.
//! 2. A read fills the buffer with up to `min(wanted, max_buf_size)` bytes; later reads are
//!    served from it.
//! 3. Read data still buffered means the kernel's file position is ahead of the caller's: a
//!    write, seek or `set_len` first moves it back by the unread length and drops that data.
//! 4. An operation starts only when the file is idle, so a seek (and the rewind of rule 3)
//!    always happens after the read or write before it has ended.

use std::fmt;
use std::future::Future;
use std::io::{self, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::io::ReadBuf;

use super::buf::Buf;
use crate::fs::backend;
use crate::rt::task::JoinHandle;

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
    Busy(Pending),
}

/// The operation of a `Busy` file.
pub(crate) enum Pending {
    /// A write (a blocking-pool job that runs even during shutdown) or a `set_len` (a spawned
    /// task): it completes even if the file is dropped.
    Task(JoinHandle<(Operation, Buf)>),
    /// A read, polled in place. Dropping it (with the file) cancels it; the buffer then stays
    /// with the operation until the kernel has let go of it (`backend`'s contract, point 2).
    Local(Pin<Box<dyn Future<Output = (Operation, Buf)> + Send + Sync>>),
}

impl Pending {
    /// Drives the operation; a `JoinError` (the runtime dropped the task at shutdown) becomes
    /// an error with a fresh buffer, so the file stays usable. Once it returns `Ready`, the
    /// operation is spent: the caller replaces it.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<(io::Result<Operation>, Buf)> {
        Poll::Ready(match self {
            Pending::Task(handle) => match ready!(Pin::new(handle).poll(cx)) {
                Ok((op, buf)) => (Ok(op), buf),
                Err(_) => (Err(backend::background_task_failed()), Buf::default()),
            },
            Pending::Local(fut) => {
                let (op, buf) = ready!(fut.as_mut().poll(cx));
                (Ok(op), buf)
            }
        })
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::Task(handle) => f.debug_tuple("Task").field(handle).finish(),
            Pending::Local(_) => f.write_str("Local(..)"),
        }
    }
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

    /// Waits for the operation in flight. The buffer is back in `Idle` afterwards, also when
    /// the operation's task was lost (see [`Pending::poll`]).
    pub(crate) fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Operation>> {
        let State::Busy(pending) = &mut self.state else {
            unreachable!("poll_busy: callers check for Busy first");
        };
        let (res, buf) = ready!(pending.poll(cx));
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

    /// Starts `op` as a task of its own, for an operation that must complete even if the file
    /// is dropped.
    fn spawn(&mut self, op: impl Future<Output = (Operation, Buf)> + Send + 'static) {
        self.state = State::Busy(Pending::Task(crate::spawn(op)));
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        std: &Arc<std::fs::File>,
        max_buf_size: usize,
        direct_io: bool,
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
                let op = read(Arc::clone(std), buf, len, direct_io);
                self.state = State::Busy(Pending::Local(Box::pin(op)));
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
                Operation::Seek(res) => self.seeked(&res),
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
                let rewound = rewind_unread(std, &mut buf);
                if let Err(e) = rewound {
                    // Nothing accepted: the caller learns at once that the write cannot go
                    // where it expects (Tokio would accept the bytes and report this later).
                    self.state = State::Idle(Some(buf));
                    return Poll::Ready(Err(e));
                }
                let n = copy(&mut buf);
                self.state = State::Busy(Pending::Task(start_write(Arc::clone(std), buf)));
                return Poll::Ready(Ok(n));
            }
            match ready!(self.poll_busy(cx))? {
                Operation::Write(res) => res?,
                Operation::Read(_) | Operation::SetLen(_) => {}
                Operation::Seek(res) => self.seeked(&res),
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
                self.seeked(&res);
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

    /// Seeks, after dropping read data still buffered (rule 3). `SeekFrom::Start` and
    /// `SeekFrom::Current` happen at once (see [`lseek`]): unlike Tokio, whose seek runs in the
    /// background and reports its error through `poll_complete`, their error comes from here
    /// (`AsyncSeekExt::seek` reports it the same either way). `SeekFrom::End` runs on the
    /// blocking pool, as in Tokio, and `poll_complete` waits for it.
    ///
    /// # Errors
    /// If an operation is in flight (call `poll_complete` first, as Tokio requires), or the
    /// error of `lseek(2)`.
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
        if let SeekFrom::End(_) = pos {
            // May ask a network or FUSE filesystem for the size: on the blocking pool, as a
            // future polled in place (nothing is lost if the file is dropped meanwhile).
            self.state = State::Busy(Pending::Local(Box::pin(seek_end(
                Arc::clone(std),
                buf,
                pos,
            ))));
            return Ok(());
        }
        // Inline, not on the blocking pool: see `lseek`. The file is idle, so the read or
        // write before this seek has ended (rule 4). The file stays idle: `poll_complete`
        // reports the position reached.
        let res = lseek(std, pos);
        self.state = State::Idle(Some(buf));
        self.pos = res?;
        Ok(())
    }

    /// Waits for the operation in flight and reports the position the last seek reached: the
    /// result of a `SeekFrom::End` in flight, or the position an inline seek already reached.
    /// A write error is kept for the next write or flush, as Tokio does.
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            if let State::Idle(_) = self.state {
                return Poll::Ready(Ok(self.pos));
            }
            match ready!(self.poll_busy(cx))? {
                Operation::Read(_) | Operation::Write(Ok(())) | Operation::SetLen(_) => {}
                Operation::Write(Err(e)) => self.last_write_err = Some(e),
                Operation::Seek(res) => {
                    self.seeked(&res);
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// Records where a seek that ran in the background left the position.
    fn seeked(&mut self, res: &io::Result<u64>) {
        if let Ok(pos) = res {
            self.pos = *pos;
        }
    }

    /// Starts `set_len` as a background operation (so that dropping the caller's future leaves
    /// the file in a valid state), after moving the position back over unread data.
    ///
    /// # Errors
    /// The error of that move, if it fails; `set_len` is then not started.
    pub(crate) fn start_set_len(&mut self, std: &Arc<std::fs::File>, len: u64) -> io::Result<()> {
        let mut buf = self.take_buf();
        let rewound = rewind_unread(std, &mut buf);
        if rewound.is_ok() {
            self.spawn(set_len(Arc::clone(std), buf, len));
        } else {
            self.state = State::Idle(Some(buf));
        }
        rewound
    }
}

async fn read(
    std: Arc<std::fs::File>,
    mut buf: Buf,
    len: usize,
    direct_io: bool,
) -> (Operation, Buf) {
    buf.prepare_read(len);
    let (res, mut buf) = backend::read_into(std, buf, 0, None, direct_io).await;
    buf.finish_read(&res);
    (Operation::Read(res), buf)
}

/// The write `poll_write` starts: a blocking-pool job that runs even if the runtime shuts down
/// before it starts, as Tokio's (`spawn_mandatory_blocking`). Not an io_uring write in a task:
/// the shutdown drops tasks and cancels every operation in flight, so a write accepted just
/// before it would be lost (`tests/fs_file_write_survives_runtime_shutdown.rs`).
fn start_write(std: Arc<std::fs::File>, mut buf: Buf) -> JoinHandle<(Operation, Buf)> {
    crate::runtime::Handle::current()
        .inner
        .spawn_blocking_must_run(move || {
            // std's `write_all` retries `EINTR` and reports a write of 0 as `WriteZero`.
            let res = std::io::Write::write_all(&mut &*std, buf.held());
            buf.clear();
            (Operation::Write(res), buf)
        })
}

async fn set_len(std: Arc<std::fs::File>, buf: Buf, len: u64) -> (Operation, Buf) {
    (Operation::SetLen(backend::set_len(std, len).await), buf)
}

/// `lseek(2)` with `SEEK_END`, on the blocking pool (see [`lseek`]).
async fn seek_end(std: Arc<std::fs::File>, buf: Buf, pos: SeekFrom) -> (Operation, Buf) {
    let res = backend::blocking(move || (&*std).seek(pos)).await;
    (Operation::Seek(res), buf)
}

/// Puts the kernel's file position back where the caller thinks it is, if read data is
/// buffered (rule 3), and drops that data.
fn rewind_unread(std: &std::fs::File, buf: &mut Buf) -> io::Result<()> {
    match buf.rewind_unread() {
        Some(pos) => lseek(std, pos).map(drop),
        None => Ok(()),
    }
}

/// `lseek(2)` with `SEEK_SET` or `SEEK_CUR`, inline on the calling thread.
///
/// This is not a blocking call to move off the worker: for these two, every filesystem's
/// `llseek` (the generic one, and NFS's, CIFS's and FUSE's, which defer to it) only computes the
/// new position of the open file description, under a lock held for that update. It never waits
/// for a device, a server or a FUSE daemon. There is no io_uring opcode for it, and running it
/// on the blocking pool costs a round trip between threads per seek (tens of microseconds), many
/// times the call itself.
///
/// `SEEK_END` is not done here: it needs the file's size, which NFS, CIFS and FUSE revalidate
/// with a request to the server or daemon first ([`seek_end`] runs it on the blocking pool).
///
/// Ordering: callers run it only while the file is idle, so the operation before it has ended
/// and its effect on the position (a read or write advances it) is already there.
///
/// `EINTR` is retried like everywhere in `fs` (`lseek` is not documented to return it).
fn lseek(std: &std::fs::File, pos: SeekFrom) -> io::Result<u64> {
    debug_assert!(
        !matches!(pos, SeekFrom::End(_)),
        "SEEK_END may wait for a server: seek_end"
    );
    let mut file = std;
    loop {
        match file.seek(pos) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            res => return res,
        }
    }
}

/// std's error for a write that made no progress.
pub(crate) fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")
}
