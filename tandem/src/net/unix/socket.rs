//! `UnixSocket`: a Unix-domain socket to configure (bind) before it becomes a listener, a
//! stream or a datagram socket.

use crate::net::{UnixDatagram, UnixListener, UnixStream};
use socket2::{Domain, SockAddr, Socket, Type};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::Path;

/// A Unix-domain socket that has not yet become a [`UnixListener`], a [`UnixStream`] or a
/// [`UnixDatagram`].
///
/// Make a stream socket ([`new_stream`](UnixSocket::new_stream)) to
/// [`listen`](UnixSocket::listen) or [`connect`](UnixSocket::connect), or a datagram socket
/// ([`new_datagram`](UnixSocket::new_datagram)) to turn into a
/// [`UnixDatagram`](UnixSocket::datagram); either may be [`bind`](UnixSocket::bind)-ed first.
/// Calling a stream-only method on a datagram socket, or the reverse, is an error (Tokio's
/// messages), not a panic.
///
/// ```
/// use tandem::net::UnixSocket;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("tandem-doc-sock-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// std::fs::create_dir(&dir)?;
/// let server = UnixSocket::new_stream()?;
/// server.bind(dir.join("server.sock"))?;
/// let listener = server.listen(16)?;
///
/// let client = UnixSocket::new_stream()?;
/// let stream = client.connect(dir.join("server.sock")).await?;
/// let (_accepted, _) = listener.accept().await?;
/// assert!(stream.peer_addr()?.as_pathname().is_some());
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixSocket {
    inner: Socket,
}

impl UnixSocket {
    /// A new datagram socket (non-blocking, close-on-exec).
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::DGRAM)
    }

    /// A new stream socket (non-blocking, close-on-exec).
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::STREAM)
    }

    fn new(ty: Type) -> io::Result<UnixSocket> {
        let inner = Socket::new(Domain::UNIX, ty.nonblocking(), None)?;
        Ok(UnixSocket { inner })
    }

    /// The socket's type, asked of the kernel (`SO_TYPE`): a socket made from a raw descriptor
    /// may be of either.
    fn ty(&self) -> io::Result<Type> {
        self.inner.r#type()
    }

    /// Binds the socket to `path` (which must not exist yet). A path whose first byte is NUL
    /// names the rest in the abstract namespace (Linux).
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.bind(&SockAddr::unix(path)?)
    }

    /// Turns a stream socket into a listener with a queue of `backlog` pending connections
    /// (clamped to `i32::MAX`).
    ///
    /// # Errors
    /// On a datagram socket, and those of `listen(2)` (a socket not bound yet is bound to an
    /// autobound abstract name).
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.ty()? == Type::DGRAM {
            return Err(io::Error::other(
                "listen cannot be called on a datagram socket",
            ));
        }
        self.inner
            .listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        let std = std::os::unix::net::UnixListener::from(OwnedFd::from(self.inner));
        UnixListener::new(mio::net::UnixListener::from_std(std))
    }

    /// Connects a stream socket to the socket bound at `path` (a leading NUL names an abstract
    /// address) and returns the stream once connected.
    ///
    /// # Errors
    /// On a datagram socket, and those of `connect(2)`.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.ty()? == Type::DGRAM {
            return Err(io::Error::other(
                "connect cannot be called on a datagram socket",
            ));
        }
        match self.inner.connect(&SockAddr::unix(path)?) {
            // A non-blocking connect that has not completed yet: `connect_mio` waits for it.
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let std = std::os::unix::net::UnixStream::from(OwnedFd::from(self.inner));
        UnixStream::connect_mio(mio::net::UnixStream::from_std(std)).await
    }

    /// Turns a datagram socket into a [`UnixDatagram`].
    ///
    /// # Errors
    /// On a stream socket.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if self.ty()? == Type::STREAM {
            return Err(io::Error::other(
                "datagram cannot be called on a stream socket",
            ));
        }
        let std = std::os::unix::net::UnixDatagram::from(OwnedFd::from(self.inner));
        UnixDatagram::new(mio::net::UnixDatagram::from_std(std))
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for UnixSocket {
    /// Wraps a Unix-domain socket descriptor; it should be non-blocking (the listener, stream
    /// or datagram socket it becomes relies on it).
    ///
    /// # Safety
    /// `fd` must be an open socket descriptor that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        UnixSocket {
            // SAFETY: the caller passes an open descriptor it gives up ownership of.
            inner: unsafe { Socket::from_raw_fd(fd) },
        }
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}

impl fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixSocket")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
