//! `UnixListener`: accepts Unix-domain stream connections.

use crate::net::accept_backoff::AcceptBackoff;
use crate::net::unix::socketaddr;
use crate::net::unix::SocketAddr;
use crate::net::UnixStream;
use crate::rt::reactor::Interest;
use crate::rt::reactor::{Direction, PollEvented};
use socket2::{Domain, SockAddr, Socket, Type};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{ready, Context, Poll};

/// The backlog `bind` listens with (as [`TcpListener`](crate::net::TcpListener)'s).
const DEFAULT_BACKLOG: i32 = 1024;

/// A Unix-domain socket server, listening for connections.
///
/// Running out of descriptors is handled as for [`TcpListener`](crate::net::TcpListener):
/// `accept` returns the error, and the next one pauses before it retries.
///
/// ```
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
/// use tandem::net::{UnixListener, UnixStream};
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("tandem-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = UnixStream::connect(&path).await?;
/// let (mut server, _) = listener.accept().await?;
/// client.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hi");
/// std::fs::remove_file(&path)?;
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
    backoff: AcceptBackoff,
}

impl UnixListener {
    /// Binds a listener to the filesystem path `path` (which must not exist yet), with a
    /// backlog of 1024.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    ///
    /// A path whose first byte is NUL names the rest in the abstract namespace (Linux).
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_sockaddr(&SockAddr::unix(path)?)
    }

    /// Binds a listener to `addr` (a path, or an abstract name), with a backlog of 1024.
    ///
    /// # Errors
    /// `InvalidInput` for an unnamed address, and those of `bind(2)`/`listen(2)`.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::bind_sockaddr(&socketaddr::to_sockaddr(&addr.0)?)
    }

    #[track_caller]
    fn bind_sockaddr(addr: &SockAddr) -> io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        socket.bind(addr)?;
        socket.listen(DEFAULT_BACKLOG)?;
        let std = std::os::unix::net::UnixListener::from(socket);
        UnixListener::new(mio::net::UnixListener::from_std(std))
    }

    #[track_caller]
    pub(crate) fn new(listener: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new_with_interest(listener, Interest::READABLE)?,
            backoff: AcceptBackoff::new(),
        })
    }

    /// Wraps a standard library listener, putting it in non-blocking mode.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::new(mio::net::UnixListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a standard library listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io
            .into_inner()
            .map(std::os::unix::net::UnixListener::from)
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr().map(SocketAddr)
    }

    /// Takes the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Accepts a new connection, returning its stream and the peer's address.
    ///
    /// Any number of tasks may wait in `accept` on one listener.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait().await;
        let res = self
            .io
            .registration()
            .async_io(Interest::READABLE, || self.io.accept())
            .await;
        self.finish_accept(res)
    }

    /// Polls to accept a new connection. Only the last task to call this is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        ready!(self.backoff.poll_wait(cx));
        let res = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.accept()));
        Poll::Ready(self.finish_accept(res))
    }

    fn finish_accept(
        &self,
        res: io::Result<(mio::net::UnixStream, std::os::unix::net::SocketAddr)>,
    ) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.record(&res);
        let (stream, addr) = res?;
        Ok((UnixStream::new_accepted(stream)?, SocketAddr(addr)))
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
