//! `StreamIo`: the I/O of a connected stream socket (TCP or Unix-domain), through epoll or,
//! under `Builder::net_io_uring`, through the worker rings (`docs/URING-NET.md`). `TcpStream`
//! and `UnixStream` each hold one and add what only their kind of socket has (addresses, TCP
//! options, peer credentials, `peek`'s syscall).
//!
//! # What it holds
//! - `io`: the socket, registered with the reactor (`PollEvented`). It answers every readiness
//!   and I/O call while no ring operation owns a direction.
//! - `fd`, `recv`, `send` (all three `None` without the switch): the fd holder ring entries
//!   name (`rt/uring/socket_fd.rs`), the multishot receive's state (`uring_recv.rs`) and the
//!   send queue (`rt/uring/ops/send.rs`).
//!
//! # Which path answers
//! 1. Reads: through `recv` (it reads the socket through epoll first, then arms on a worker's
//!    ring), else through epoll. Readiness (`ready`, `poll_read_ready`, `try_read*`, `peek`)
//!    answers from the receive once it is armed or holds something, else from epoll.
//! 2. Writes: into the send queue, unless it says `Direct` (no send in flight, and not on a
//!    worker or handed to the caller's own writes by `try_io`/`async_io`: a plain `send(2)`
//!    through epoll). Write readiness answers from the queue while a send is in flight, else
//!    from epoll.
//! 3. Flush and shutdown wait for the sends in flight; a dropped write half asks for the
//!    shutdown after the last one (`shutdown_on_drop`).
//!
//! # Drop
//! The drop leaves epoll, then hands the fd to its holder instead of closing it (the receive's
//! cancel and the sends in flight still name it); the last holder closes it after the final
//! completion. `into_fd` is the same with the fd given to the caller (`socket_fd.rs`, rule 3).

use super::uring_recv::{Head, UringRecv};
use crate::io::{Interest, ReadBuf, Ready};
use crate::net::{buf_mut, send};
use crate::rt::reactor::{Direction, PollEvented};
use crate::rt::uring::ops::send::{SendQueue, Written};
use crate::rt::uring::socket_fd::SocketFd;
use crate::rt::uring::NetStreamSlot;
use bytes::BufMut;
use socket2::SockRef;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net::Shutdown;
use std::ops::Deref;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// A mio stream socket a [`StreamIo`] drives: its reads, by the syscalls each kind uses.
pub(crate) trait StreamSocket: mio::event::Source + AsRawFd + AsFd + Into<OwnedFd> {
    /// `read(2)`.
    fn read_socket(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// `readv(2)`.
    fn read_socket_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>;
}

impl StreamSocket for mio::net::TcpStream {
    fn read_socket(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }

    fn read_socket_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Read::read_vectored(&mut &*self, bufs)
    }
}

impl StreamSocket for mio::net::UnixStream {
    fn read_socket(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }

    fn read_socket_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Read::read_vectored(&mut &*self, bufs)
    }
}

/// A connected stream socket's I/O, through epoll or the worker rings.
pub(crate) struct StreamIo<E: StreamSocket> {
    /// `None` inside only after `into_fd` or in the drop (`PollEvented::take_inner`).
    io: PollEvented<E>,
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
    /// The stream's place among those that use the rings (`rt/uring/stream_budget.rs`):
    /// without one, made while the cap's worth were open, it uses epoll for its whole life.
    _ring_place: Option<NetStreamSlot>,
}

impl<E: StreamSocket> StreamIo<E> {
    /// Registers `socket` with the current runtime's reactor, and, under
    /// `Builder::net_io_uring` while fewer streams than its cap use the rings, makes its fd
    /// holder, receive state and send queue.
    #[track_caller]
    pub(crate) fn new(socket: E) -> io::Result<StreamIo<E>> {
        let io = PollEvented::new(socket)?;
        let ring_place = crate::rt::context::with_current(|handle| {
            handle.and_then(|handle| handle.driver().uring.net_stream_slot())
        });
        // Receives and sends go through the rings together, with a place. Made here, not at
        // the first arm or send: an allocation either way, no syscall, and the receive and
        // the send queue are made here too.
        let fd = ring_place.is_some().then(|| {
            // SAFETY: `io` owns the fd and closes it only by handing it to this holder (the
            // drop below, after leaving epoll), or, in `into_fd`, by giving it away once no
            // other clone is left (else it gives a `dup` and hands this one over).
            Arc::new(unsafe { SocketFd::new(io.as_raw_fd()) })
        });
        Ok(StreamIo {
            recv: fd
                .clone()
                .map(|fd| UringRecv::new(fd, io.registration().readiness_hint())),
            send: fd.clone().map(SendQueue::new),
            fd,
            io,
            _ring_place: ring_place,
        })
    }

    /// Deregisters the socket and returns its fd (for `into_std`). Bytes writes took are sent
    /// first (`SendQueue::finish_now`, up to 200 ms): if some cannot be, this fails
    /// (`ErrorKind::Other`), the stream is dropped and sends them, so the caller's writes can
    /// never overtake them. Bytes the receive took and no read returned are dropped; while its
    /// cancel has not completed, the fd returned is a duplicate, and the original closes after
    /// its final completion.
    pub(crate) fn into_fd(mut self) -> io::Result<OwnedFd> {
        if let Some(Err(_)) = self.send.as_ref().map(SendQueue::finish_now) {
            return Err(io::Error::other(
                "into_std: bytes written to the stream could not all be sent over io_uring \
                 before it returned (the peer has not made room for them); flush the stream \
                 first",
            ));
        }
        // The receive's cancel is issued, and on its own worker submitted at once: it takes
        // no byte the caller's reads should get that arrives after this.
        drop(self.recv.take());
        crate::rt::uring::submit_local_now(None);
        drop(self.send.take());
        let (io, deregistered) = self
            .io
            .take_inner()
            .expect("the socket is the stream's until into_std or its drop");
        let fd: OwnedFd = io.into();
        // (The drop that follows finds nothing left to do.)
        match self.fd.take().map(Arc::try_unwrap) {
            // No operation names the fd (or none ever could): the caller may close it at will.
            None | Some(Ok(_)) => deregistered.map(|()| fd),
            // Operations still name it (a cancel or sends not completed): the caller gets a
            // duplicate, the holder the fd itself (socket_fd.rs, rule 3). Rare: one `dup`.
            Some(Err(holder)) => {
                let dup = fd.try_clone();
                holder.adopt(fd);
                deregistered.and(dup)
            }
        }
    }

    /// The receive over io_uring, if this stream's has been armed (or holds something): the
    /// readiness methods answer from it.
    fn active_recv(&self) -> Option<&UringRecv> {
        self.recv.as_deref().filter(|recv| recv.is_active())
    }

    /// The send queue over io_uring, if a send is in flight: write readiness answers from it.
    fn active_send(&self) -> Option<&SendQueue> {
        self.send.as_ref().filter(|send| send.is_sending())
    }

    /// `ready`: from the receive's queue and the send queue while they are active, else epoll.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        if self.recv.is_some() || self.send.is_some() {
            std::future::poll_fn(|cx| self.poll_handoffs(cx, interest)).await;
        }
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

    /// `poll_read_ready`: only the last task to call this (or `poll_read`) is woken.
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(recv) = self.active_recv() {
            return self
                .poll_ready_uring(cx, Some(recv), None, Interest::READABLE)
                .map_ok(drop);
        }
        self.io.registration().poll_read_ready(cx).map_ok(drop)
    }

    /// `poll_write_ready`: only the last task to call this (or `poll_write`) is woken.
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(send) = &self.send {
            if let Some(ready) = send.poll_write_ready(cx) {
                return ready.map(Ok);
            }
        }
        self.io.registration().poll_write_ready(cx).map_ok(drop)
    }

    /// `try_io`: runs `f`, the caller's own I/O on the socket, if it is ready for `interest`.
    /// Over io_uring, first ends the receive for good (reads) or waits for the sends in flight
    /// (writes), so that `f` acts on the socket's bytes in their order (`uring_recv.rs` step 8,
    /// `ops/send.rs` step 6): `WouldBlock` meanwhile, without calling `f`.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        if self.poll_raw(None, interest)?.is_pending() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.io.registration().try_io(interest, f)
    }

    /// `async_io`: as `try_io`, waiting for the rings to let go of the socket, then for its
    /// readiness, running `f` again after each `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_raw(Some(cx), interest)).await?;
        self.io.registration().async_io(interest, f).await
    }

    /// Hands the directions of `interest` to the caller's own I/O: ready once neither the
    /// receive nor the send queue holds bytes that belong before it (for good: neither
    /// direction goes back to the rings).
    fn poll_raw(
        &self,
        mut cx: Option<&mut Context<'_>>,
        interest: Interest,
    ) -> Poll<io::Result<()>> {
        // Both directions start their hand-off (and register the waker) before either is
        // waited for.
        let read = match (&self.recv, interest.is_readable()) {
            (Some(recv), true) => recv.poll_raw(cx.as_deref_mut()),
            _ => Poll::Ready(Ok(())),
        };
        let write = match (&self.send, interest.is_writable()) {
            (Some(send), true) => send.poll_raw(cx),
            _ => Poll::Ready(Ok(())),
        };
        match (read, write) {
            (Poll::Ready(Err(e)), _) | (_, Poll::Ready(Err(e))) => Poll::Ready(Err(e)),
            (Poll::Ready(Ok(())), Poll::Ready(Ok(()))) => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }

    /// Waits for the hand-offs `try_io`/`async_io` started in the directions of `interest`
    /// (`poll_raw`) before readiness answers: `ready(READABLE | WRITABLE)` answering from the
    /// socket's writability while the receive is still ending would have a loop of `ready`
    /// and `try_io` spin.
    fn poll_handoffs(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<()> {
        let read = match (&self.recv, interest.is_readable()) {
            (Some(recv), true) => recv.poll_handoff(cx),
            _ => Poll::Ready(()),
        };
        let write = match (&self.send, interest.is_writable()) {
            (Some(send), true) => send.poll_handoff(cx),
            _ => Poll::Ready(()),
        };
        if read.is_pending() || write.is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(())
    }

    /// `try_read`: what is available, without waiting; `WouldBlock` if nothing is.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(recv) = self.active_recv() {
            let mut buf = ReadBuf::new(buf);
            if let Some(res) = recv.try_read(&mut buf) {
                return res.map(|()| buf.filled().len());
            }
            let buf = buf.initialize_unfilled();
            return self
                .io
                .registration()
                .try_io(Interest::READABLE, || self.io.read_socket(buf));
        }
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.read_socket(buf))
    }

    /// `try_read_buf`: as `try_read`, into `buf`'s spare capacity.
    pub(crate) fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
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

    /// `try_read_vectored`: as `try_read`, scattering (one chunk's worth, into the first
    /// non-empty slice, while the receive answers).
    pub(crate) fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        if self.active_recv().is_some() {
            return match bufs.iter_mut().find(|buf| !buf.is_empty()) {
                Some(buf) => self.try_read(buf),
                None => Ok(0),
            };
        }
        self.io
            .registration()
            .try_io(Interest::READABLE, || self.io.read_socket_vectored(bufs))
    }

    /// `try_write`: what fits of `buf`, without waiting; `WouldBlock` if nothing does.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        if let Some(res) = self.try_write_uring(&[IoSlice::new(buf)]) {
            return res;
        }
        self.io
            .registration()
            .try_io(Interest::WRITABLE, || send::send(&*self.io, buf))
    }

    /// `try_write_vectored`: as `try_write`, gathering.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
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

    /// `peek`, whose syscall the socket's kind gives (`peek`): from the receive's head once it
    /// is armed, else through epoll.
    pub(crate) async fn peek(
        &self,
        buf: &mut [u8],
        peek: impl Fn(&E, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if self.active_recv().is_some() {
            let mut buf = ReadBuf::new(buf);
            return std::future::poll_fn(|cx| self.poll_peek(cx, &mut buf, &peek)).await;
        }
        self.io
            .registration()
            .async_io(Interest::READABLE, || peek(&self.io, buf))
            .await
    }

    /// `poll_peek`, as `peek`; only the last task to poll for reading is woken.
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        peek: impl Fn(&E, &mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if let Some(recv) = self.active_recv() {
            let before = buf.filled().len();
            if let Some(res) = ready!(recv.poll_peek(cx, buf)) {
                return Poll::Ready(res.map(|()| buf.filled().len() - before));
            }
        }
        let n = ready!(self.io.registration().poll_io(cx, Direction::Read, || peek(
            &self.io,
            buf.initialize_unfilled()
        )))?;
        buf.advance(n);
        Poll::Ready(Ok(n))
    }

    /// `poll_read`, for the stream and its read halves.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &self.recv {
            None => self.io.poll_read(cx, buf),
            Some(recv) => recv.poll_read(cx, buf, |cx, buf| self.io.poll_read(cx, buf)),
        }
    }

    /// `poll_write`, for the stream and its write halves.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(send) = &self.send {
            if let Written::Queued(res) = send.write(Some(cx), &[IoSlice::new(buf)]) {
                return res;
            }
        }
        self.io
            .registration()
            .poll_io(cx, Direction::Write, || send::send(&*self.io, buf))
    }

    /// `poll_write_vectored`, for the stream and its write halves.
    pub(crate) fn poll_write_vectored(
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

    /// `poll_flush`: waits until every byte a write took was sent (over io_uring; without it
    /// nothing is buffered here).
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.send {
            Some(send) => send.poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// `poll_shutdown`: shuts the write side down, after the sends in flight if any (without
    /// waiting for them: `SendQueue::shutdown_after_sends`).
    pub(crate) fn poll_shutdown(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(res) = self.send.as_ref().and_then(SendQueue::shutdown_after_sends) {
            return Poll::Ready(res);
        }
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

    /// `shutdown(2)`. `ENOTCONN` is success, as in Tokio (its issues 4665 for TCP, 8520 for
    /// Unix sockets): the connection is already gone (after a reset, for one), so this side's
    /// writes are already over, which is what shutting down asks for. Reporting it would make
    /// a shutdown fail or not by a race with the peer.
    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        match SockRef::from(&*self.io).shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }
}

/// The socket's own methods (addresses, options) and `registration()` through `PollEvented`.
impl<E: StreamSocket> Deref for StreamIo<E> {
    type Target = PollEvented<E>;

    fn deref(&self) -> &PollEvented<E> {
        &self.io
    }
}

/// Under `Builder::net_io_uring`: leaves epoll, then hands the fd to its holder instead of
/// closing it, so the number stays open while a ring operation may name it (the receive being
/// cancelled by `recv`'s drop below, sends in flight); the last holder closes it. Without it,
/// `PollEvented`'s drop deregisters and closes, as before.
impl<E: StreamSocket> Drop for StreamIo<E> {
    fn drop(&mut self) {
        let Some(holder) = self.fd.take() else {
            return;
        };
        if let Some((io, _deregistered)) = self.io.take_inner() {
            // Deregistered (or failed to, with nothing left to do about it) before the fd can
            // close: no event can name this registration once the number is reused.
            holder.adopt(io.into());
        }
        // `recv` and `send` drop after this: the receive's cancel is issued, sends go on.
    }
}
