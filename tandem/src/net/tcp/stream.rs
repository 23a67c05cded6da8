//! `TcpStream`: a TCP connection.

use super::split::{split, ReadHalf, WriteHalf};
use super::split_owned::{split_owned, OwnedReadHalf, OwnedWriteHalf};
use super::uring_recv::{Head, UringRecv};
use crate::io::{AsyncRead, AsyncWrite, Interest, ReadBuf, Ready};
use crate::net::{buf_mut, send, to_socket_addrs, ToSocketAddrs};
use crate::rt::reactor::{Direction, PollEvented};
use crate::rt::uring::ops::send::{SendQueue, Written};
use crate::rt::uring::socket_fd::SocketFd;
use bytes::BufMut;
use socket2::SockRef;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
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
    /// `None` inside only after `into_std` or in the drop (`PollEvented::take_inner`).
    io: PollEvented<mio::net::TcpStream>,
    /// The socket's fd as ring operations name it (`Builder::net_io_uring`; `None` when the
    /// stream uses epoll only). `recv`, `send` and every operation they push hold clones. The
    /// drop leaves epoll, then hands the fd to it instead of closing it: the last holder
    /// closes it, after the final completion of every operation naming it
    /// (`rt/uring/socket_fd.rs`). One fd per connection, no `dup`.
    fd: Option<Arc<SocketFd>>,
    /// The receive over io_uring (`Builder::net_io_uring`); `None` when reads use epoll.
    recv: Option<Box<UringRecv>>,
    /// The send queue over io_uring (`Builder::net_io_uring`); `None` when writes use epoll.
    /// A stream dropped with sends in flight still sends what they took, then the fd closes.
    send: Option<SendQueue>,
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
        let io = PollEvented::new(stream)?;
        let (recv_on, send_on) = crate::rt::context::with_current(|handle| {
            handle.map_or((false, false), |handle| {
                let uring = &handle.driver().uring;
                (uring.net_recv(), uring.net_send())
            })
        });
        // Made here, not at the first arm or send: an allocation either way, no syscall, and
        // the receive and the send queue are made here too.
        let fd = (recv_on || send_on).then(|| {
            // SAFETY: the stream owns the fd (`io`) and closes it only by handing it to this
            // holder (its `Drop`, after leaving epoll), or, in `into_std`, by giving it away
            // once no other clone is left (else it gives a `dup` and hands this one over).
            Arc::new(unsafe { SocketFd::new(io.as_raw_fd()) })
        });
        Ok(TcpStream {
            recv: fd
                .clone()
                .filter(|_| recv_on)
                .map(|fd| UringRecv::new(fd, io.registration().readiness_hint())),
            send: fd.clone().filter(|_| send_on).map(SendQueue::new),
            fd,
            io,
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
    /// ring, at that worker's next tick. Bytes taken by writes and not yet sent still go out,
    /// before those written to the returned stream only if they went out first: flush first.
    /// While that receive's cancel or those sends have not completed, the returned stream is a
    /// duplicate of the socket's fd, whose original closes after their last completion.)
    pub fn into_std(mut self) -> io::Result<std::net::TcpStream> {
        // The receive's cancel is issued; sends in flight go on.
        drop(self.recv.take());
        drop(self.send.take());
        let (io, deregistered) = self
            .io
            .take_inner()
            .expect("the socket is the stream's until into_std or its drop");
        let stream = std::net::TcpStream::from(io);
        // (The drop that follows finds nothing left to do.)
        match self.fd.take().map(Arc::try_unwrap) {
            // No operation names the fd (or none ever could): the caller may close it at will.
            None | Some(Ok(_)) => deregistered.map(|()| stream),
            // Operations still name it (a cancel or sends not completed): the caller gets a
            // duplicate, the holder the fd itself (socket_fd.rs, rule 3). Rare: one `dup`.
            Some(Err(holder)) => {
                let dup = stream.try_clone();
                holder.adopt(OwnedFd::from(stream));
                deregistered.and(dup)
            }
        }
    }

    /// The receive over io_uring, if this stream's has been armed (or holds something): the
    /// readiness methods answer from it.
    fn active_recv(&self) -> Option<&UringRecv> {
        self.recv.as_deref().filter(|recv| recv.is_active())
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
        let recv = self.active_recv().filter(|_| interest.is_readable());
        let send = self.active_send().filter(|_| interest.is_writable());
        if recv.is_some() || send.is_some() {
            return std::future::poll_fn(|cx| self.poll_ready_uring(cx, recv, send, interest))
                .await;
        }
        let event = self.io.registration().readiness(interest).await?;
        Ok(event.ready)
    }

    /// `ready` with a receive armed or sends in flight: readable from the receive's queue (or
    /// epoll), writable from the send queue's room (or epoll, once no send is in flight).
    fn poll_ready_uring(
        &self,
        cx: &mut Context<'_>,
        recv: Option<&UringRecv>,
        send: Option<&SendQueue>,
        interest: Interest,
    ) -> Poll<io::Result<Ready>> {
        if interest.is_readable() {
            let head = match recv {
                Some(recv) => recv.poll_ready(cx),
                None => Poll::Ready(Head::Epoll),
            };
            match head {
                Poll::Ready(Head::Ready) => return Poll::Ready(Ok(Ready::READABLE)),
                Poll::Ready(Head::Epoll) => {
                    if let Poll::Ready(event) = self.io.registration().poll_read_ready(cx) {
                        return Poll::Ready(event.map(|event| event.ready));
                    }
                }
                Poll::Pending => {}
            }
        }
        if interest.is_writable() {
            match send.and_then(|send| send.poll_write_ready(cx)) {
                Some(Poll::Ready(())) => return Poll::Ready(Ok(Ready::WRITABLE)),
                Some(Poll::Pending) => {}
                None => {
                    if let Poll::Ready(event) = self.io.registration().poll_write_ready(cx) {
                        return Poll::Ready(event.map(|event| event.ready));
                    }
                }
            }
        }
        Poll::Pending
    }

    /// The send queue over io_uring, if a send is in flight: write readiness answers from it.
    fn active_send(&self) -> Option<&SendQueue> {
        self.send.as_ref().filter(|send| send.is_sending())
    }

    /// Waits until the stream is readable (data, end-of-file, or an error to report).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the last task to call this (or `poll_read`) is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(recv) = self.active_recv() {
            return self
                .poll_ready_uring(cx, Some(recv), None, Interest::READABLE)
                .map_ok(drop);
        }
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness. Only the last task to call this (or `poll_write`) is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(send) = &self.send {
            if let Some(ready) = send.poll_write_ready(cx) {
                return ready.map(Ok);
            }
        }
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// Reads what is available into `buf` without waiting; `WouldBlock` if nothing is.
    ///
    /// `Ok(0)` means end-of-file (or an empty `buf`).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(recv) = self.active_recv() {
            let mut buf = ReadBuf::new(buf);
            if let Some(res) = recv.try_read(&mut buf) {
                return res.map(|()| buf.filled().len());
            }
            let buf = buf.initialize_unfilled();
            return self
                .io
                .registration()
                .try_io(Interest::READABLE, || (&*self.io).read(buf));
        }
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*self.io).read(buf))
    }

    /// As [`try_read`](TcpStream::try_read), appending to `buf`'s spare capacity (which need not
    /// be initialised); returns the bytes read.
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        if let Some(recv) = self.active_recv() {
            let from_recv = buf_mut::read_into(buf, |dst| {
                let mut dst = ReadBuf::uninit(dst);
                match recv.try_read(&mut dst) {
                    Some(res) => res.map(|()| (dst.filled().len(), true)),
                    None => Ok((0, false)),
                }
            })?;
            if from_recv.1 {
                return Ok(from_recv.0);
            }
        }
        self.io
            .registration()
            .try_io(Interest::READABLE, || buf_mut::recv(&*self.io, buf))
    }

    /// As [`try_read`](TcpStream::try_read), scattering into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        if self.active_recv().is_some() {
            // One chunk's worth, into the first non-empty slice.
            return match bufs.iter_mut().find(|buf| !buf.is_empty()) {
                Some(buf) => self.try_read(buf),
                None => Ok(0),
            };
        }
        self.io
            .registration()
            .try_io(Interest::READABLE, || (&*self.io).read_vectored(bufs))
    }

    /// Writes what fits of `buf` without waiting; `WouldBlock` if nothing does.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        if let Some(res) = self.try_write_uring(&[IoSlice::new(buf)]) {
            return res;
        }
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || send::send(&*self.io, buf))
    }

    /// As [`try_write`](TcpStream::try_write), gathering from several buffers.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if let Some(res) = self.try_write_uring(bufs) {
            return res;
        }
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || send::send_vectored(&*self.io, bufs))
    }

    /// `try_write` through the send queue; `None`: write to the socket.
    fn try_write_uring(&self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        match self.send.as_ref()?.write(None, bufs) {
            Written::Queued(Poll::Ready(res)) => Some(res),
            Written::Queued(Poll::Pending) => Some(Err(io::ErrorKind::WouldBlock.into())),
            Written::Direct => None,
        }
    }

    /// Runs `f` (an operation on the raw socket) if the stream looks ready for `interest`.
    ///
    /// If `f` returns `WouldBlock`, the readiness is cleared so the next wait is real. Outside
    /// that, `f` must not block.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().try_io(interest, f)
    }

    /// Waits for `interest` and runs `f`, again after each `WouldBlock`, until it completes.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.registration().async_io(interest, f).await
    }

    /// Receives data without removing it from the queue; waits until some is available.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        if self.active_recv().is_some() {
            let mut buf = ReadBuf::new(buf);
            return std::future::poll_fn(|cx| self.poll_peek(cx, &mut buf)).await;
        }
        self.io
            .registration()
            .async_io(Interest::READABLE, || self.io.peek(buf))
            .await
    }

    /// Polls to receive data without removing it from the queue.
    ///
    /// Only the last task to poll for reading is woken.
    pub fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        if let Some(recv) = self.active_recv() {
            let before = buf.filled().len();
            if let Some(res) = ready!(recv.poll_peek(cx, buf)) {
                return Poll::Ready(res.map(|()| buf.filled().len() - before));
            }
        }
        let n = ready!(self.io.registration().poll_io(cx, Direction::Read, || self
            .io
            .peek(buf.initialize_unfilled())))?;
        buf.advance(n);
        Poll::Ready(Ok(n))
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

    // The I/O shared with the halves.

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &self.recv {
            None => self.io.poll_read(cx, buf),
            Some(recv) => recv.poll_read(cx, buf, |cx, buf| self.io.poll_read(cx, buf)),
        }
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(send) = &self.send {
            if let Written::Queued(res) = send.write(Some(cx), &[IoSlice::new(buf)]) {
                return res;
            }
        }
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || send::send(&*self.io, buf))
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(send) = &self.send {
            if let Written::Queued(res) = send.write(Some(cx), bufs) {
                return res;
            }
        }
        self.io.registration().poll_io(cx, Direction::Write, || {
            send::send_vectored(&*self.io, bufs)
        })
    }

    /// `poll_flush`, for the stream and its write halves: waits until every byte a write took
    /// was sent (over io_uring; without it nothing is buffered here).
    pub(crate) fn poll_flush_priv(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.send {
            Some(send) => send.poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// `poll_shutdown`, for the stream and its write halves: waits for the sends in flight,
    /// then shuts the write side down.
    pub(crate) fn poll_shutdown_priv(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_flush_priv(cx))?;
        Poll::Ready(self.shutdown_std(Shutdown::Write))
    }

    /// A write half dropped: shut the write side down now, or after the last send in flight.
    pub(crate) fn shutdown_on_drop(&self) {
        if self
            .send
            .as_ref()
            .is_some_and(|send| !send.shutdown_when_sent())
        {
            return;
        }
        // The peer may be gone already (ENOTCONN): nothing left to tell it.
        let _ = self.shutdown_std(Shutdown::Write);
    }

    /// `shutdown(2)`, for `poll_shutdown` and the write halves. `ENOTCONN` is success, as in
    /// Tokio (its issue 4665): the connection is already gone (after a reset, for one), so
    /// this side's writes are already over, which is what shutting down asks for. Reporting it
    /// would make a shutdown fail or not by a race with the network.
    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        match self.io.shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Without `Builder::net_io_uring` writes go straight to the kernel: nothing is buffered
    /// here. With it, waits until the bytes writes took were sent.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_priv(cx)
    }

    /// Shuts the write side down (`shutdown(SHUT_WR)`, after the sends in flight): the peer
    /// reads end-of-file.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_shutdown_priv(cx)
    }
}

/// Under `Builder::net_io_uring`: leaves epoll, then hands the fd to its holder instead of
/// closing it, so the number stays open while a ring operation may name it (the receive being
/// cancelled by `recv`'s drop below, sends in flight); the last holder closes it. Without it,
/// `PollEvented`'s drop deregisters and closes, as before.
impl Drop for TcpStream {
    fn drop(&mut self) {
        let Some(holder) = self.fd.take() else {
            return;
        };
        if let Some((io, _deregistered)) = self.io.take_inner() {
            // Deregistered (or failed to, with nothing left to do about it) before the fd can
            // close: no event can name this registration once the number is reused.
            holder.adopt(OwnedFd::from(io));
        }
        // `recv` and `send` drop after this: the receive's cancel is issued, sends go on.
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
