//! `TcpStream`: a TCP connection.

use super::split::{split, ReadHalf, WriteHalf};
use super::split_owned::{split_owned, OwnedReadHalf, OwnedWriteHalf};
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::stream_io::StreamIo;
use crate::net::{to_socket_addrs, ToSocketAddrs};
use bytes::BufMut;
use socket2::SockRef;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A TCP connection between a local and a remote socket.
///
/// Made by [`connect`](TcpStream::connect), by accepting on a
/// [`TcpListener`](crate::net::TcpListener), or with [`TcpSocket`](crate::net::TcpSocket).
/// Reading and writing go through [`AsyncRead`] and [`AsyncWrite`] (with the extension traits
/// [`AsyncReadExt`](crate::io::AsyncReadExt) and [`AsyncWriteExt`](crate::io::AsyncWriteExt)),
/// or through the readiness methods ([`readable`](TcpStream::readable) then
/// [`try_read`](TcpStream::try_read), ...).
///
/// [`AsyncWrite::poll_shutdown`] half-closes the connection: the peer reads end-of-file while
/// this side can still read; on a connection already gone (reset by the peer) it succeeds, as in
/// Tokio. Writes to a reset peer fail with `BrokenPipe` or `ConnectionReset`; they never raise
/// SIGPIPE.
///
/// ```
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
/// use tandem::net::{TcpListener, TcpStream};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
/// client.write_all(b"hello").await?;
/// client.shutdown().await?; // the server reads EOF after "hello"
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await?;
/// assert_eq!(got, b"hello");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TcpStream {
    /// The socket, through epoll or the worker rings (`Builder::net_io_uring`; shared with
    /// `UnixStream`, `net/stream_io.rs`).
    io: StreamIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each address it resolves to until one connects.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let addrs = to_socket_addrs(addr).await?;
        crate::net::each_addr(addrs, |addr| async move {
            let stream = mio::net::TcpStream::connect(addr)?;
            TcpStream::connect_mio(stream).await
        })
        .await
    }

    /// Registers a socket whose non-blocking `connect` was started, and waits for the outcome.
    pub(crate) async fn connect_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::new(stream)?;
        let registration = stream.io.registration();
        loop {
            // Writable (or an error/hang-up) once the handshake completes or fails.
            let event = registration.readiness(Interest::WRITABLE).await?;
            if let Some(e) = stream.io.take_error()? {
                return Err(e);
            }
            match stream.io.peer_addr() {
                Ok(_) => return Ok(stream),
                // Still connecting: that was an early wake-up (mio documents this check).
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    if event.ready.is_write_closed() {
                        return Err(e);
                    }
                    registration.clear_readiness(event);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A stream `accept` returned: assumed readable and writable before the driver's first
    /// event (data may already be queued), as in Tokio; a read that finds nothing clears it.
    pub(crate) fn new_accepted(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::new(stream)?;
        stream
            .io
            .registration()
            .assume_ready(Ready::READABLE | Ready::WRITABLE);
        Ok(stream)
    }

    #[track_caller]
    pub(crate) fn new(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: StreamIo::new(stream)?,
        })
    }

    /// Wraps a connected standard library stream, putting it in non-blocking mode.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::new(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a standard library stream, still in
    /// non-blocking mode. (Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring),
    /// once a read has armed the stream's receive: bytes it took from the socket and no read
    /// returned yet are dropped, and so are bytes that arrive before its cancel reaches its
    /// ring (at once when called on the worker it was armed on, else at that worker's next
    /// tick). Bytes taken by writes and not yet sent are sent first (this waits up to 200 ms
    /// for them), so the returned stream's writes follow them; if the peer has made no room for
    /// them by then, this fails with `ErrorKind::Other` and the dropped stream still sends
    /// them: flush first. While that receive's cancel has not completed, the returned stream
    /// is a duplicate of the socket's fd, whose original closes after its final completion.)
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_fd().map(std::net::TcpStream::from)
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The remote address of this connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Takes the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Waits until the stream is ready for any of `interest`, and returns the readiness found.
    ///
    /// The readiness stays set until an operation on the stream returns `WouldBlock`.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Waits until the stream is readable (data, end-of-file, or an error to report).
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
    ///
    /// `Ok(0)` means end-of-file (or an empty `buf`).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// As [`try_read`](TcpStream::try_read), appending to `buf`'s spare capacity (which need not
    /// be initialised); returns the bytes read.
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.try_read_buf(buf)
    }

    /// As [`try_read`](TcpStream::try_read), scattering into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_read_vectored(bufs)
    }

    /// Writes what fits of `buf` without waiting; `WouldBlock` if nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// As [`try_write`](TcpStream::try_write), gathering from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }

    /// Runs `f` (an operation on the raw socket) if the stream looks ready for `interest`.
    ///
    /// If `f` returns `WouldBlock`, the readiness is cleared so the next wait is real. Outside
    /// that, `f` must not block.
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

    /// Receives data without removing it from the queue; waits until some is available.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.peek(buf, |io, buf| io.peek(buf)).await
    }

    /// Polls to receive data without removing it from the queue.
    ///
    /// Only the last task to poll for reading is woken.
    pub fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_peek(cx, buf, |io, buf| io.peek(buf))
    }

    /// Whether `TCP_NODELAY` (no Nagle coalescing) is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.nodelay()
    }

    /// Sets `TCP_NODELAY`: small writes go out at once instead of being coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.set_nodelay(nodelay)
    }

    /// Whether `TCP_QUICKACK` is set.
    pub fn quickack(&self) -> io::Result<bool> {
        SockRef::from(self).tcp_quickack()
    }

    /// Sets `TCP_QUICKACK`: acknowledge at once rather than delay (the kernel may reset it).
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        SockRef::from(self).set_tcp_quickack(quickack)
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self).linger()
    }

    /// Sets `SO_LINGER`. With `Some(Duration::ZERO)` closing resets the connection.
    ///
    /// Deprecated as in Tokio: a non-zero linger makes dropping the stream block the thread
    /// until the data is sent or the time is up. Use
    /// [`set_zero_linger`](TcpStream::set_zero_linger) to reset on close.
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        SockRef::from(self).set_linger(dur)
    }

    /// Sets a zero `SO_LINGER`: closing the stream resets the connection (the peer gets
    /// `ConnectionReset`) instead of a graceful close.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        SockRef::from(self).set_linger(Some(Duration::ZERO))
    }

    /// The `IP_TTL` of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Sets `IP_TTL`, the time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// Splits the stream into a borrowed read half and write half, usable concurrently (for
    /// example in one `join!`), with no locking and no allocation.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Splits the stream into owned halves that can move to different tasks.
    ///
    /// Dropping the [`OwnedWriteHalf`] shuts the write side down (the peer reads end-of-file);
    /// [`OwnedReadHalf::reunite`] puts the halves back together.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// The I/O shared with the halves (reads, writes, flush, shutdown).
    pub(crate) fn stream_io(&self) -> &StreamIo<mio::net::TcpStream> {
        &self.io
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
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

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::from_std`].
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

/// Lets a function take a stream or any of its halves (`impl AsRef<TcpStream>`), as in Tokio.
impl AsRef<TcpStream> for TcpStream {
    fn as_ref(&self) -> &TcpStream {
        self
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
