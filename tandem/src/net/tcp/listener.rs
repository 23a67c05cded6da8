//! `TcpListener`: accepts TCP connections.

use super::uring_accept::{Accepted, UringAccept};
use crate::net::accept_backoff::AcceptBackoff;
use crate::net::{to_socket_addrs, TcpStream, ToSocketAddrs};
use crate::rt::reactor::Interest;
use crate::rt::reactor::{Direction, PollEvented};
use crate::rt::uring::socket_fd::SocketFd;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::pin;
use std::sync::Arc;
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
    /// `None` inside only after `into_std` or in the drop (`PollEvented::take_inner`).
    io: PollEvented<mio::net::TcpListener>,
    backoff: AcceptBackoff,
    /// Accepts over io_uring (`Builder::net_io_uring`): the multishot accept armed on a
    /// worker's ring and its waiters; `None` when accepts use epoll only. It holds the
    /// listener's fd holder (`rt/uring/socket_fd.rs`): the drop leaves epoll, then hands the fd
    /// to it, and the last holder (the request, after its final completion) closes it.
    uring: Option<Box<UringAccept>>,
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
        let io = PollEvented::new_with_interest(listener, Interest::READABLE)?;
        let uring_on = crate::rt::context::with_current(|handle| {
            handle.is_some_and(|handle| handle.driver().uring.net_accept())
        });
        let uring = uring_on.then(|| {
            // SAFETY: the listener owns the fd (`io`) and closes it only by handing it to this
            // holder (its `Drop`, after leaving epoll), or, in `into_std`, by giving it away
            // once no other clone is left (else it gives a `dup` and hands this one over).
            let fd = Arc::new(unsafe { SocketFd::new(io.as_raw_fd()) });
            UringAccept::new(fd, io.registration().readiness_hint())
        });
        Ok(TcpListener {
            io,
            backoff: AcceptBackoff::new(),
            uring,
        })
    }

    /// Accepts a new connection, returning its stream and the peer's address.
    ///
    /// Any number of tasks may wait in `accept` on one listener; each connection goes to one.
    /// Cancel safe: a dropped `accept` future has not taken a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.wait().await;
        let Some(uring) = self.ring_accept() else {
            let res = self
                .io
                .registration()
                .async_io(Interest::READABLE, || self.io.accept())
                .await;
            return self.finish_accept(res);
        };
        // The ring's connections first; through epoll (which any number of tasks may wait on)
        // only where none is armed and none can be (`uring_accept.rs`, step 1).
        let mut epoll = pin!(self
            .io
            .registration()
            .async_io(Interest::READABLE, || self.io.accept()));
        std::future::poll_fn(|cx| self.poll_ring_or(uring, cx, |cx| epoll.as_mut().poll(cx))).await
    }

    /// Polls to accept a new connection.
    ///
    /// Only the last task to call this is woken when a connection arrives (use
    /// [`accept`](TcpListener::accept) to wait from several tasks).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        ready!(self.backoff.poll_wait(cx));
        let epoll_accept = |cx: &mut Context<'_>| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.accept())
        };
        let Some(uring) = self.ring_accept() else {
            let res = ready!(epoll_accept(cx));
            return Poll::Ready(self.finish_accept(res));
        };
        self.poll_ring_or(uring, cx, epoll_accept)
    }

    /// An accept over the ring, else through `epoll_accept` where no request is armed and
    /// none can be (`UringAccept::poll_accept_or`), made a stream.
    fn poll_ring_or(
        &self,
        uring: &UringAccept,
        cx: &mut Context<'_>,
        mut epoll_accept: impl FnMut(
            &mut Context<'_>,
        ) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        loop {
            match ready!(uring.poll_accept_or(cx, &mut epoll_accept)) {
                Accepted::Epoll(res) => return Poll::Ready(self.finish_accept(res)),
                Accepted::Ring(res) => {
                    // A connection gone before it could be named (`None`): the next one.
                    if let Some(res) = self.finish_ring_accept(res) {
                        return Poll::Ready(res);
                    }
                }
            }
        }
    }

    /// The ring's accept state, unless the runtime the listener was registered with has shut
    /// down: an accept then gets the shutdown error through epoll, as without the switch,
    /// rather than arming on the ring of whichever runtime polls it and waiting for good
    /// (Tokio's `rt_shutdown_err.rs`).
    fn ring_accept(&self) -> Option<&UringAccept> {
        self.uring
            .as_deref()
            .filter(|_| !self.io.registration().is_shut_down())
    }

    fn finish_accept(
        &self,
        res: io::Result<(mio::net::TcpStream, SocketAddr)>,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.record(&res);
        let (stream, addr) = res?;
        Ok((TcpStream::new_accepted(stream)?, addr))
    }

    /// A connection (or an error) from the ring's multishot accept, made a stream with its
    /// peer's address (a multishot accept reports none: `getpeername`). `None` if the peer
    /// is gone already (`ENOTCONN`: reset before it was named): the fd is closed, and the
    /// caller takes the next connection, as if the kernel had dropped it from the backlog.
    fn finish_ring_accept(
        &self,
        res: io::Result<OwnedFd>,
    ) -> Option<io::Result<(TcpStream, SocketAddr)>> {
        let res = res.and_then(|fd| {
            let stream = std::net::TcpStream::from(fd);
            let addr = stream.peer_addr()?;
            Ok((mio::net::TcpStream::from_std(stream), addr))
        });
        if matches!(&res, Err(e) if e.raw_os_error() == Some(libc::ENOTCONN)) {
            return None;
        }
        Some(self.finish_accept(res))
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
    ///
    /// (Under [`Builder::net_io_uring`](crate::runtime::Builder::net_io_uring), connections a
    /// multishot accept took and no `accept` returned yet are closed, and so are those it takes
    /// before its cancel reaches its ring: at once when called on the worker it was armed on,
    /// else at that worker's next tick. While that cancel has not completed, the returned
    /// listener is a duplicate of the socket's fd, whose original closes after it.)
    pub fn into_std(mut self) -> io::Result<std::net::TcpListener> {
        // The accept's cancel is issued, and on its own worker submitted at once: connections
        // that arrive after this wait in the backlog for the caller.
        let holder = self.uring.take().map(|uring| {
            uring.disarm();
            crate::rt::uring::submit_local_now(None);
            uring.fd().clone()
        });
        let (io, deregistered) = self
            .io
            .take_inner()
            .expect("the socket is the listener's until into_std or its drop");
        let listener = std::net::TcpListener::from(io);
        match holder.map(Arc::try_unwrap) {
            // No operation names the fd (or none ever could): the caller may close it at will.
            None | Some(Ok(_)) => deregistered.map(|()| listener),
            // The accept's cancel has not completed: the caller gets a duplicate, the holder
            // the fd itself (socket_fd.rs, rule 3).
            Some(Err(holder)) => {
                let dup = listener.try_clone();
                holder.adopt(OwnedFd::from(listener));
                deregistered.and(dup)
            }
        }
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

/// Under `Builder::net_io_uring`: leaves epoll, then hands the fd to its holder instead of
/// closing it, so the number stays open while the multishot accept (cancelled by `uring`'s drop
/// below) may name it; the last holder closes it. Without it, `PollEvented`'s drop deregisters
/// and closes, as before.
impl Drop for TcpListener {
    fn drop(&mut self) {
        let Some(uring) = &self.uring else {
            return;
        };
        if let Some((io, _deregistered)) = self.io.take_inner() {
            // Deregistered before the fd can close: no event can name this registration once
            // the number is reused.
            uring
                .fd()
                .adopt(OwnedFd::from(std::net::TcpListener::from(io)));
        }
        // `uring` drops after this: the accept's cancel is issued, queued connections closed.
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
