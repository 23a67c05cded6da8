//! `UnixStream`: a Unix-domain stream connection.

use super::split::{split, ReadHalf, WriteHalf};
use super::split_owned::{split_owned, OwnedReadHalf, OwnedWriteHalf};
use super::{socketaddr, SocketAddr};
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::stream_io::StreamIo;
use bytes::BufMut;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A Unix-domain stream connection.
///
/// The API is [`TcpStream`](crate::net::TcpStream)'s without the TCP options:
/// [`AsyncRead`]/[`AsyncWrite`], the readiness methods, half-close with
/// [`AsyncWrite::poll_shutdown`], and [`split`](UnixStream::split)/
/// [`into_split`](UnixStream::into_split). Writes to a closed peer fail with `BrokenPipe`;
/// they never raise SIGPIPE. Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring)
/// it reads and writes through the worker rings exactly as `TcpStream` does (the same code).
///
/// ```
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
/// use tandem::net::UnixStream;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixStream {
    /// The socket, through epoll or the worker rings (`Builder::net_io_uring`; shared with
    /// `TcpStream`, `net/stream_io.rs`).
    io: StreamIo<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`. A path whose first byte is NUL names the rest
    /// in the abstract namespace (Linux).
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = socketaddr::from_path(path.as_ref())?;
        UnixStream::connect_std_addr(&addr).await
    }

    /// Connects to the socket bound at `addr` (a path, or an abstract name).
    ///
    /// # Errors
    /// `InvalidInput` for an unnamed address, and those of `connect(2)`.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::connect_std_addr(&addr.0).await
    }

    async fn connect_std_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixStream> {
        let stream = mio::net::UnixStream::connect_addr(addr)?;
        UnixStream::connect_mio(stream).await
    }

    /// Registers a stream whose non-blocking `connect(2)` has started, and waits for it to
    /// complete.
    pub(crate) async fn connect_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        let stream = UnixStream::new(stream)?;
        // A Unix-domain connect completes or fails at once, but wait for writability as the
        // non-blocking connect contract says, and report a late error.
        stream
            .io
            .registration()
            .readiness(Interest::WRITABLE)
            .await?;
        if let Some(e) = stream.io.take_error()? {
            return Err(e);
        }
        Ok(stream)
    }

    #[track_caller]
    pub(crate) fn new(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: StreamIo::new(stream)?,
        })
    }

    /// A connected pair of streams (`socketpair(2)`).
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        let (a, b) = (UnixStream::new(a)?, UnixStream::new(b)?);
        // A fresh pair can write at once: say so before the driver's first event does.
        a.io.registration().assume_ready(Ready::WRITABLE);
        b.io.registration().assume_ready(Ready::WRITABLE);
        Ok((a, b))
    }

    /// A stream `accept` returned: assumed readable and writable before the driver's first
    /// event (data may already be queued), as in Tokio; a read that finds nothing clears it.
    pub(crate) fn new_accepted(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        let stream = UnixStream::new(stream)?;
        stream
            .io
            .registration()
            .assume_ready(Ready::READABLE | Ready::WRITABLE);
        Ok(stream)
    }

    /// Wraps a standard library stream, putting it in non-blocking mode.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a standard library stream, still in
    /// non-blocking mode. (Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring),
    /// as [`TcpStream::into_std`](crate::net::TcpStream::into_std): once a read has armed the
    /// stream's receive, bytes it took from the socket and no read returned yet are dropped,
    /// and so are bytes that arrive before its cancel reaches its ring. Bytes taken by writes
    /// and not yet sent are sent first (waiting up to 200 ms), or, if the peer has made no room
    /// for them by then, this fails with `ErrorKind::Other` and the dropped stream still sends
    /// them: flush first. While that cancel has not completed, the returned stream is a
    /// duplicate of the socket's fd.)
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_fd().map(std::os::unix::net::UnixStream::from)
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr().map(SocketAddr)
    }

    /// The remote address of this connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr().map(SocketAddr)
    }

    /// The credentials of the process at the other end, as the kernel recorded them at
    /// `connect` (or `pair`).
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        super::ucred::peer_cred(self.io.as_fd())
    }

    /// Takes the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Waits until the stream is ready for any of `interest`, and returns the readiness found.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the last task to call this (or `poll_read`) is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_read_ready(cx)
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to call this (or `poll_write`) is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_write_ready(cx)
    }

    /// Reads what is available into `buf` without waiting; `WouldBlock` if nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// As [`try_read`](UnixStream::try_read), appending to `buf`'s spare capacity (which need not
    /// be initialised); returns the bytes read.
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.try_read_buf(buf)
    }

    /// As [`try_read`](UnixStream::try_read), scattering into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_read_vectored(bufs)
    }

    /// Writes what fits of `buf` without waiting; `WouldBlock` if nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// As [`try_write`](UnixStream::try_write), gathering from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }

    /// Runs `f` (an operation on the raw socket) if the stream looks ready for `interest`.
    ///
    /// If `f` returns `WouldBlock`, the readiness is cleared so the next wait is real.
    ///
    /// Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring), the first call
    /// hands the directions of `interest` back to the socket for good: it returns `WouldBlock`
    /// without calling `f` until the sends in flight have completed (writes) or the ring's
    /// receive has ended (reads), so `f` never overtakes bytes a write took nor misses bytes
    /// that arrive after it. Bytes the receive took before its end are the stream's next: until
    /// reads have taken them, a read through `f` fails with `ErrorKind::Other`.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io(interest, f)
    }

    /// Waits for `interest` and runs `f`, again after each `WouldBlock`, until it completes.
    ///
    /// Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring), waits first for
    /// the rings to let go of the socket, as [`try_io`](Self::try_io) describes.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io(interest, f).await
    }

    /// Splits the stream into a borrowed read half and write half, usable concurrently.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping the
    /// [`OwnedWriteHalf`] shuts the write side down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// The I/O shared with the halves (reads, writes, flush, shutdown).
    pub(crate) fn stream_io(&self) -> &StreamIo<mio::net::UnixStream> {
        &self.io
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Without `Builder::net_io_uring` writes go straight to the kernel: nothing is buffered
    /// here. With it, waits until the bytes writes took were sent.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_flush(cx)
    }

    /// Shuts the write side down (`shutdown(SHUT_WR)`, after the sends in flight): the peer
    /// reads end-of-file.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_shutdown(cx)
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::from_std`].
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

/// Lets a function take a stream or any of its halves (`impl AsRef<UnixStream>`), as in Tokio.
impl AsRef<UnixStream> for UnixStream {
    fn as_ref(&self) -> &UnixStream {
        self
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
