//! `pipe`: the two ends of a Unix pipe (anonymous, or a FIFO opened by path) driven by the
//! reactor: [`Sender`] writes, [`Receiver`] reads.
//!
//! Each end is registered for its one direction only (a `Sender` never waits for reads). A FIFO
//! opened with [`OpenOptions`] is opened `O_NONBLOCK`, so opening a receiver never waits for a
//! writer, and opening a sender with no reader fails with `ENXIO` (unless
//! [`read_write`](OpenOptions::read_write)). Conversions from files and descriptors check that
//! the descriptor is a pipe opened for the right direction (unless `*_unchecked`) and switch it
//! to non-blocking mode.
//!
//! Writes use `write(2)`: a pipe has no `MSG_NOSIGNAL`, so writing to a pipe whose readers are
//! all gone raises SIGPIPE, which Rust programs ignore by default (the write then fails with
//! `BrokenPipe`), as in Tokio.

use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::buf_mut;
use crate::rt::reactor::{Direction, PollEvented};
use bytes::BufMut;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Creates an anonymous pipe (`pipe2(2)`, non-blocking and close-on-exec): what is written to
/// the [`Sender`] is read from the [`Receiver`].
///
/// ```
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
/// use tandem::net::unix::pipe;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut tx, mut rx) = pipe::pipe()?;
/// tx.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// rx.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Panics
/// Outside a runtime, or if the runtime's I/O driver is not enabled.
#[track_caller]
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (tx, rx) = mio::unix::pipe::new()?;
    Ok((Sender::from_mio(tx)?, Receiver::from_mio(rx)?))
}

/// How to open a FIFO by path as a [`Sender`] or a [`Receiver`].
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    read_write: bool,
    unchecked: bool,
}

/// Which end of a pipe a descriptor is to become.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Sender,
    Receiver,
}

impl OpenOptions {
    /// Default options: open for the end's one direction, and check the path is a FIFO.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing (`O_RDWR`, Linux only). A sender so opened
    /// succeeds with no reader present; a receiver so opened never reads end-of-file, since it
    /// is itself a writer, and can wait for writer after writer.
    pub fn read_write(&mut self, value: bool) -> &mut Self {
        self.read_write = value;
        self
    }

    /// Skips the check that the path is a FIFO. (A regular file registered with epoll fails
    /// with `EPERM`; other kinds of file may work.)
    pub fn unchecked(&mut self, value: bool) -> &mut Self {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` for reading. Does not wait for a writer.
    ///
    /// # Errors
    /// Those of `open(2)`, and `InvalidInput` if the path is not a FIFO (unless
    /// [`unchecked`](OpenOptions::unchecked)).
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        let file = self.open(path.as_ref(), End::Receiver)?;
        Receiver::from_owned_fd_unchecked(file.into())
    }

    /// Opens the FIFO at `path` for writing.
    ///
    /// # Errors
    /// `ENXIO` if no reader has the FIFO open (unless [`read_write`](OpenOptions::read_write)),
    /// the other errors of `open(2)`, and `InvalidInput` if the path is not a FIFO (unless
    /// [`unchecked`](OpenOptions::unchecked)).
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        let file = self.open(path.as_ref(), End::Sender)?;
        Sender::from_owned_fd_unchecked(file.into())
    }

    fn open(&self, path: &Path, end: End) -> io::Result<File> {
        let mut options = std::fs::OpenOptions::new();
        // `O_NONBLOCK` at open: a blocking open of a FIFO waits for the other end.
        options
            .read(end == End::Receiver || self.read_write)
            .write(end == End::Sender || self.read_write)
            .custom_flags(libc::O_NONBLOCK);
        let file = options.open(path)?;
        if !self.unchecked && !is_fifo(&file)? {
            return Err(not_a_pipe());
        }
        Ok(file)
    }
}

/// The writing end of a pipe.
///
/// Made by [`pipe()`], [`OpenOptions::open_sender`], or from a file or descriptor. Writes with
/// [`AsyncWrite`] or the readiness methods; `poll_shutdown` does nothing (drop the sender to
/// close it: the receiver then reads end-of-file once no writer is left).
#[derive(Debug)]
pub struct Sender {
    io: PollEvented<mio::unix::pipe::Sender>,
}

impl Sender {
    #[track_caller]
    fn from_mio(tx: mio::unix::pipe::Sender) -> io::Result<Sender> {
        Ok(Sender {
            io: PollEvented::new_with_interest(tx, Interest::WRITABLE)?,
        })
    }

    /// Wraps a file that is a pipe opened for writing, putting it in non-blocking mode.
    ///
    /// # Errors
    /// `InvalidInput` if the file is not a pipe, or is not open for writing.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd(file.into())
    }

    /// As [`from_file`](Sender::from_file), from an owned descriptor.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Sender> {
        let fd = checked(fd, End::Sender)?;
        Sender::from_owned_fd_unchecked(fd)
    }

    /// Wraps a file without checking that it is a pipe open for writing, nor making it
    /// non-blocking: the caller vouches for both.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd_unchecked(file.into())
    }

    /// As [`from_file_unchecked`](Sender::from_file_unchecked), from an owned descriptor.
    #[track_caller]
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Sender> {
        Sender::from_mio(mio::unix::pipe::Sender::from(fd))
    }

    /// Waits until the pipe is ready for any of `interest` (only writability is ever
    /// reported), and returns the readiness found.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let event = self.io.registration().readiness(interest).await?;
        Ok(event.ready)
    }

    /// Waits until the pipe is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to call this (or `poll_write`) is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Writes what fits of `buf` without waiting; `WouldBlock` if nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(|| (&*self.io).write(buf))
    }

    /// As [`try_write`](Sender::try_write), gathering from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.try_io(|| (&*self.io).write_vectored(bufs))
    }

    /// Runs `f` (an operation on the raw pipe) if the pipe looks writable. If `f` returns
    /// `WouldBlock`, the readiness is cleared so the next wait is real.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::WRITABLE, f)
    }

    /// Deregisters the pipe and returns its descriptor, switched back to blocking mode (to hand
    /// to a child process, say).
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let tx = self.io.into_inner()?;
        tx.set_nonblocking(false)?;
        Ok(tx.into())
    }

    /// Deregisters the pipe and returns its descriptor, still in non-blocking mode.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

impl AsyncWrite for Sender {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || (&*self.io).write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || (&*self.io).write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Does nothing: a pipe has no half-close; dropping the sender closes it.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsRawFd for Sender {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for Sender {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

/// The reading end of a pipe.
///
/// Made by [`pipe()`], [`OpenOptions::open_receiver`], or from a file or descriptor. Reads with
/// [`AsyncRead`] or the readiness methods; a read returns 0 (end-of-file) once no writer has
/// the pipe open, and data again if a new writer opens a FIFO.
#[derive(Debug)]
pub struct Receiver {
    io: PollEvented<mio::unix::pipe::Receiver>,
}

impl Receiver {
    #[track_caller]
    fn from_mio(rx: mio::unix::pipe::Receiver) -> io::Result<Receiver> {
        Ok(Receiver {
            io: PollEvented::new_with_interest(rx, Interest::READABLE)?,
        })
    }

    /// Wraps a file that is a pipe opened for reading, putting it in non-blocking mode.
    ///
    /// # Errors
    /// `InvalidInput` if the file is not a pipe, or is not open for reading.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_file(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd(file.into())
    }

    /// As [`from_file`](Receiver::from_file), from an owned descriptor.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Receiver> {
        let fd = checked(fd, End::Receiver)?;
        Receiver::from_owned_fd_unchecked(fd)
    }

    /// Wraps a file without checking that it is a pipe open for reading, nor making it
    /// non-blocking: the caller vouches for both.
    #[track_caller]
    pub fn from_file_unchecked(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd_unchecked(file.into())
    }

    /// As [`from_file_unchecked`](Receiver::from_file_unchecked), from an owned descriptor.
    #[track_caller]
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Receiver> {
        Receiver::from_mio(mio::unix::pipe::Receiver::from(fd))
    }

    /// Waits until the pipe is ready for any of `interest` (only readability, and the
    /// writers' close, are ever reported), and returns the readiness found.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let event = self.io.registration().readiness(interest).await?;
        Ok(event.ready)
    }

    /// Waits until the pipe is readable (data, or end-of-file).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the last task to call this (or `poll_read`) is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Reads what is available into `buf` without waiting; `WouldBlock` if nothing is, 0 at
    /// end-of-file.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(|| (&*self.io).read(buf))
    }

    /// As [`try_read`](Receiver::try_read), scattering into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.try_io(|| (&*self.io).read_vectored(bufs))
    }

    /// As [`try_read`](Receiver::try_read), appending to `buf`'s spare capacity (which need
    /// not be initialised).
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.try_io(|| {
            buf_mut::read_into(buf, |dst| Ok((buf_mut::read_fd(self.io.as_fd(), dst)?, ())))
                .map(|(n, ())| n)
        })
    }

    /// Runs `f` (an operation on the raw pipe) if the pipe looks readable. If `f` returns
    /// `WouldBlock`, the readiness is cleared so the next wait is real.
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.io.registration().try_io(Interest::READABLE, f)
    }

    /// Deregisters the pipe and returns its descriptor, switched back to blocking mode (to hand
    /// to a child process, say).
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let rx = self.io.into_inner()?;
        rx.set_nonblocking(false)?;
        Ok(rx.into())
    }

    /// Deregisters the pipe and returns its descriptor, still in non-blocking mode.
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_inner()?.into())
    }
}

impl AsyncRead for Receiver {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsRawFd for Receiver {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for Receiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

fn not_a_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a pipe")
}

fn is_fifo(file: &File) -> io::Result<bool> {
    Ok(file.metadata()?.file_type().is_fifo())
}

/// Checks that `fd` is a pipe open for `end`'s direction, and makes it non-blocking.
fn checked(fd: OwnedFd, end: End) -> io::Result<OwnedFd> {
    let file = File::from(fd);
    if !is_fifo(&file)? {
        return Err(not_a_pipe());
    }
    // SAFETY: `F_GETFL` only reads the status flags of `file`'s descriptor, open while `file`
    // lives; no memory is passed.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let mode = flags & libc::O_ACCMODE;
    let (ok, msg) = match end {
        End::Sender => (
            mode != libc::O_RDONLY,
            "not in O_WRONLY or O_RDWR access mode",
        ),
        End::Receiver => (
            mode != libc::O_WRONLY,
            "not in O_RDONLY or O_RDWR access mode",
        ),
    };
    if !ok {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: `F_SETFL` sets the status flags of `file`'s descriptor, open while `file`
        // lives, to its own flags plus `O_NONBLOCK`; no memory is passed.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file.into())
}
