//! `TcpListener`: accepts TCP connections.

use crate::net::accept_backoff::AcceptBackoff;
use crate::net::{to_socket_addrs, TcpStream, ToSocketAddrs};
use crate::rt::reactor::Interest;
use crate::rt::reactor::{Direction, PollEvented};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

/// The backlog `bind` listens with (Tokio's recommendation for `TcpSocket::listen`; the kernel
/// caps it at `net.core.somaxconn`).
const DEFAULT_BACKLOG: i32 = 1024;

/// A TCP socket server, listening for connections.
///
/// ```
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
/// use tandem::net::{TcpListener, TcpStream};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// tandem::spawn(async move {
///     let (mut socket, _) = listener.accept().await.unwrap();
///     let mut buf = [0; 4];
///     socket.read_exact(&mut buf).await.unwrap();
///     socket.write_all(&buf).await.unwrap();
/// });
/// let mut stream = TcpStream::connect(addr).await?;
/// stream.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// stream.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Running out of descriptors
/// When the process has no descriptor left (`EMFILE`, `ENFILE`) `accept` returns that error;
/// the next `accept` waits a short, growing pause before it retries, so a loop on `accept()`
/// does not spin, and the connections queued meanwhile are accepted once descriptors free up
/// (see the [`net`](crate::net) module docs).
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
    backoff: AcceptBackoff,
}

impl TcpListener {
    /// Binds a listener to `addr`, trying each address it resolves to until one succeeds.
    ///
    /// The socket gets `SO_REUSEADDR` (as mio and Tokio set it) and a backlog of 1024; use
    /// [`TcpSocket`](crate::net::TcpSocket) for other settings.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let addrs = to_socket_addrs(addr).await?;
        crate::net::each_addr(addrs, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&SockAddr::from(addr))?;
        socket.listen(DEFAULT_BACKLOG)?;
        let std = std::net::TcpListener::from(socket);
        TcpListener::new(mio::net::TcpListener::from_std(std))
    }

    #[track_caller]
    pub(crate) fn new(listener: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::new_with_interest(listener, Interest::READABLE)?,
            backoff: AcceptBackoff::new(),
        })
    }

    /// Accepts a new connection, returning its stream and the peer's address.
    ///
    /// Any number of tasks may wait in `accept` on one listener; each connection goes to one.
    /// Cancel safe: a dropped `accept` future has not taken a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.wait().await;
        let res = self
            .io
            .registration()
            .async_io(Interest::READABLE, || self.io.accept())
            .await;
        self.finish_accept(res)
    }

    /// Polls to accept a new connection.
    ///
    /// Only the last task to call this is woken when a connection arrives (use
    /// [`accept`](TcpListener::accept) to wait from several tasks).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        ready!(self.backoff.poll_wait(cx));
        let res = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.accept()));
        Poll::Ready(self.finish_accept(res))
    }

    fn finish_accept(
        &self,
        res: io::Result<(mio::net::TcpStream, SocketAddr)>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.record(&res);
        let (stream, addr) = res?;
        Ok((TcpStream::new_accepted(stream)?, addr))
    }

    /// Wraps a standard library listener, putting it in non-blocking mode.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a standard library listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner().map(std::net::TcpListener::from)
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The `IP_TTL` of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Sets `IP_TTL`, the time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// Takes the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::from_std`].
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
