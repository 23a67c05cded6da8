//! A stream socket's receive over io_uring (`Builder::net_io_uring`, `docs/URING-NET.md`): the
//! state a stream keeps between reads, and the reads and readiness answers made from it.
//!
//! # Protocol
//! 1. A `poll_read` with no receive armed reads the socket through epoll first: bytes already
//!    there return at that poll (an accepted stream is assumed readable, and Tokio's tests
//!    read it at the first poll), and a stream whose runtime is gone gets the shutdown error.
//!    Only when that read finds the socket empty (`Pending`, epoll's waker registered) does it
//!    arm a multishot receive on the calling worker's ring (`Receive::arm`), if it runs on a
//!    worker holding its core. The receive then carries the task's wake-up, and the waker
//!    that read left with epoll is dropped: epoll would report the next bytes too, though the
//!    receive takes them, and wake the task for nothing (once per stream, at a time the
//!    kernel's order of the two decides). On threads that are not workers, reads go through
//!    epoll as before (`Head::Epoll`); the readiness methods never arm.
//! 2. The receive's completions queue in its cell, reaped by whoever reaps that ring; a read
//!    on any thread takes them in order (decision 1). A taken chunk that does not fit the
//!    caller's buffer stays here, with its offset, for the next read: a read future dropped
//!    at any point loses nothing (decision 5), since a chunk leaves the queue only into this
//!    state, under its lock.
//! 3. End-of-file is remembered: every later read returns 0 bytes. An error is handed to the
//!    next read (or `try_read`) once; the read after arms again.
//! 4. A receive ended by an empty buffer group (`ENOBUFS`, counted per ring) is followed by
//!    one read through epoll (the bytes wait in the socket, so the socket is marked readable
//!    at once rather than when epoll reports it), then re-armed: a reader never spins on an
//!    empty group. One ended otherwise (the kernel stops a multishot request on a
//!    full CQ) is re-armed at once. A kernel without multishot receives (`EINVAL`) makes this
//!    stream read through epoll for good.
//! 5. Dropping the stream drops the receive: its cell cancels the request on its ring, chunks
//!    it had not handed over go back to the group, and its clone of the stream's fd holder
//!    (`rt/uring/socket_fd.rs`) drops at the final completion: the socket's fd, handed to the
//!    holder by the stream's drop, closes then if nothing else holds it.
//!
//! 6. The per-stream cap (decision 4): a receive that has 4 chunks queued and untaken is
//!    cancelled by its reaper (`ops/recv_multi.rs`, `QUEUE_CAP`); the stream reads them, sees
//!    the end, and re-arms at its next read (step 4's "ended otherwise"). The kernel keeps
//!    filling buffers until the cancel lands at the owner's next tick.
//! 7. The receive follows a reader that settled on another worker: a read (not a readiness
//!    poll) that waits on a worker whose ring is not the receive's, `FOLLOW_AFTER` times in a
//!    row, ends the receive as the cap does (`Receive::end_to_follow`, one cancel, counted as
//!    `recv_follows`); the chunks already received are read first, and the read after the end
//!    re-arms on the reader's worker, so bytes keep their order. Until then readiness answers
//!    from epoll, marked readable at the end if the receive's readiness was still set
//!    (`ready_until_refused`). Without it, two tasks ping-ponging on one
//!    worker with both receives on the other's ring crossed threads twice per message (the
//!    receive's task work runs on the thread that armed it): `net` `tcp_echo_1conn_uring`
//!    took 3-4x Tokio's time in about half the runs.
//! 8. Raw reads (`try_io`/`async_io` with `READABLE`: the caller's code reads the socket
//!    itself) end the receive for good (`poll_raw`): the stream reads through epoll from then
//!    on (`epoll_only`); on the receive's own worker the cancel enters the kernel at once
//!    (`Receive::end_now`). Bytes the receive delivered are the stream's next, and a raw read
//!    would skip them: it fails at once (`ErrorKind::Other`) while any wait, until reads have
//!    taken them. With none delivered, it waits for the receive's final completion (and so
//!    does read readiness), so no byte that arrives after that is taken by the ring. An error
//!    the receive got is handed to the raw read; end-of-file lets it run (the socket says
//!    end-of-file again).

use crate::loom::sync::Mutex;
use crate::rt::reactor::{ReadinessHint, Ready};
use crate::rt::uring::buf_group::TakenBuf;
use crate::rt::uring::ops::recv_multi::{Event, Receive};
use crate::rt::uring::socket_fd::SocketFd;
use crate::util::read_buf::ReadBuf;
use crate::util::wake_list::WakeAll;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A stream's receive state; `None` in the stream when its runtime receives through epoll.
pub(crate) struct UringRecv {
    state: Mutex<State>,
    /// The stream's fd holder: every receive armed holds a clone.
    fd: Arc<SocketFd>,
}

struct State {
    /// The socket's readiness through epoll, marked readable when a receive ends for want of
    /// buffers: the bytes it could not take wait in the socket, and the read through epoll
    /// that follows must try the socket at once. The event epoll queued for those bytes may
    /// come late: with receives over the rings, every request queues one nobody needs, and a
    /// worker takes no more than its queue has room for per turn; at -c10000 the reads that
    /// waited for it timed out (2 s).
    epoll: ReadinessHint,
    /// A chunk taken from the receive and not yet all read, and how much of it was read.
    chunk: Option<(TakenBuf, usize)>,
    /// The armed receive, if any.
    receive: Option<Receive>,
    /// An error for the next read.
    error: Option<io::Error>,
    /// The peer shut down: every read returns 0 bytes.
    eof: bool,
    /// The next read goes through epoll (after `ENOBUFS`).
    epoll_once: bool,
    /// Every read goes through epoll (no multishot receives in this kernel).
    epoll_only: bool,
    /// The last read from the receive's queue took bytes and was not refused: read readiness
    /// stays set, as a socket's through epoll does until a read finds nothing (`WouldBlock`
    /// for `try_read`, or a `poll_read` that fills less than its buffer, which is known to
    /// have drained the socket), even when the queue is now empty.
    ready_until_refused: bool,
    /// Waits in a row of the reader on a worker whose ring is not the receive's (step 7).
    waits_away: u8,
    /// Every task waiting on the receive (reads, readiness, a raw read's hand-off): Tokio's
    /// `readable()`/`ready()` may be awaited by any number of tasks at once, and the receive's
    /// cell holds one waker, this one's, which wakes them all.
    waiters: WakeAll,
}

/// Waits in a row on another worker after which a receive is ended, to be re-armed there
/// (step 7). A reader stolen once is pulled home by its next wake (the receive's reaper
/// schedules it on its own worker), so it waits away once; one that keeps waiting away has
/// settled there.
const FOLLOW_AFTER: u8 = 4;

/// What waits at the head of the stream.
pub(crate) enum Head {
    /// A chunk, an error or end-of-file: a read returns at once.
    Ready,
    /// Nothing here: ask the socket (through epoll), as without io_uring.
    Epoll,
}

impl UringRecv {
    /// The state for a new stream (whose runtime receives streams through io_uring), whose socket
    /// `fd` holds.
    pub(crate) fn new(fd: Arc<SocketFd>, epoll: ReadinessHint) -> Box<UringRecv> {
        Box::new(UringRecv {
            state: Mutex::new(State {
                epoll,
                chunk: None,
                receive: None,
                error: None,
                eof: false,
                epoll_once: false,
                epoll_only: false,
                ready_until_refused: false,
                waits_away: 0,
                waiters: WakeAll::new(),
            }),
            fd,
        })
    }

    /// Reads into `buf`: from the chunk held, else from the receive (armed here on a worker's
    /// first read), else through `epoll_read`.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        epoll_read: impl FnOnce(&mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<()>>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut state = self.state.lock();
        if state.is_idle() {
            // Not armed: the socket first. Bytes already there (an accepted stream is assumed
            // readable) return at this poll, as through epoll; a receive armed now would
            // answer only once its completion is reaped. A stream whose runtime is gone gets
            // the shutdown error here. Only a read that finds the socket empty arms.
            match state.read_socket(cx, buf, epoll_read) {
                Poll::Ready(res) => return Poll::Ready(res),
                // The socket is empty: arm (which drops epoll's waker), and wait on the receive.
                Poll::Pending => {
                    return match std::task::ready!(state.poll_head(Some(cx), Some(&self.fd))) {
                        Head::Ready => Poll::Ready(state.poll_read_queued(buf)),
                        Head::Epoll => Poll::Pending,
                    }
                }
            }
        }
        match state.poll_head(Some(cx), Some(&self.fd)) {
            Poll::Ready(Head::Ready) => Poll::Ready(state.poll_read_queued(buf)),
            Poll::Ready(Head::Epoll) => state.read_socket(cx, buf, epoll_read),
            Poll::Pending => {
                state.ready_until_refused = false;
                Poll::Pending
            }
        }
    }

    /// `try_read`: from the chunk held or queued; `None`: not armed, or drained after a
    /// receive that ended, ask the socket. `WouldBlock` while the armed receive has nothing.
    pub(crate) fn try_read(&self, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        let mut state = self.state.lock();
        match state.poll_head(None, None) {
            Poll::Ready(Head::Ready) => {
                let res = state.read_queued(buf);
                state.ready_until_refused = res.is_ok();
                Some(res)
            }
            Poll::Ready(Head::Epoll) => None,
            Poll::Pending => {
                state.ready_until_refused = false;
                Some(Err(io::ErrorKind::WouldBlock.into()))
            }
        }
    }

    /// `peek`: copies from the head without consuming it (an error is still consumed, as a
    /// socket's would be).
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<Option<io::Result<()>>> {
        let mut state = self.state.lock();
        match std::task::ready!(state.poll_head(Some(cx), None)) {
            Head::Ready => Poll::Ready(Some(state.read_head(buf, false))),
            Head::Epoll => Poll::Ready(None),
        }
    }

    /// Readiness: `Ready(Head::Ready)` when a read would return at once from what the receive
    /// delivered, or no read was refused since the last that took bytes (`ready_until_refused`:
    /// the next `try_read` may then find nothing and say `WouldBlock`, which ends it, as
    /// through epoll); `Ready(Head::Epoll)` when the socket's readiness answers (not armed).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Head> {
        let mut state = self.state.lock();
        match state.poll_head(Some(cx), None) {
            Poll::Pending if state.ready_until_refused => Poll::Ready(Head::Ready),
            head => head,
        }
    }

    /// Before a raw read (step 8): ends the receive for good; `Ready(Err)` at once while it
    /// holds bytes a raw read would skip, `Ready(Ok)` once it has ended and holds none. `cx`:
    /// register the waker (`None`: `try_io`, which says `WouldBlock` meanwhile).
    pub(crate) fn poll_raw(&self, mut cx: Option<&mut Context<'_>>) -> Poll<io::Result<()>> {
        let mut state = self.state.lock();
        state.epoll_only = true;
        if let Some(receive) = state.receive.as_mut() {
            // Until the cancel lands the ring may still take bytes that arrive.
            receive.end_now();
        }
        loop {
            // What the receive has delivered comes first, whether or not it has ended: a
            // caller looping on `readable` (which answers from it) and `try_io` must hear why
            // it cannot read, not `WouldBlock` until an end the loop keeps the worker from
            // reaping.
            match state.poll_head(None, None) {
                Poll::Ready(Head::Epoll) => return Poll::Ready(Ok(())),
                Poll::Ready(Head::Ready) => {
                    if state.chunk.is_some() {
                        return Poll::Ready(Err(io::Error::other(
                            "bytes received over io_uring are ahead of what try_io/async_io \
                             would read from the socket: read them (read, try_read) first",
                        )));
                    }
                    // An error the receive got, else end-of-file (which the socket repeats).
                    return Poll::Ready(state.error.take().map_or(Ok(()), Err));
                }
                Poll::Pending => {}
            }
            // Armed (ending), nothing delivered: wait for its final completion.
            let receive = state
                .receive
                .as_ref()
                .expect("only an armed receive is pending");
            let mut waiters = cx.as_deref_mut().map(|cx| {
                state.waiters.register(cx.waker());
                Context::from_waker(state.waiters.waker())
            });
            if receive.poll_final(waiters.as_mut()).is_pending() {
                // Readiness waits for the end too: one kept set would answer at once, and a
                // caller looping on `readable` and `try_io` would spin.
                state.ready_until_refused = false;
                return Poll::Pending;
            }
            // It ended meanwhile: take what it delivered.
        }
    }

    /// A raw read's hand-off (step 8) under way: ready once it is done (the receive ended, or
    /// holds bytes that reads return first), or if none was asked for; else registers `cx`'s
    /// waker.
    pub(crate) fn poll_handoff(&self, cx: &mut Context<'_>) -> Poll<()> {
        {
            let state = self.state.lock();
            if !state.epoll_only || state.receive.is_none() {
                return Poll::Ready(());
            }
        }
        self.poll_raw(Some(cx)).map(drop)
    }

    /// True if the receive is armed or holds something: the readiness methods must consult it.
    pub(crate) fn is_active(&self) -> bool {
        let state = self.state.lock();
        state.receive.is_some() || state.chunk.is_some() || state.error.is_some() || state.eof
    }
}

impl State {
    /// Nothing held and no receive armed, and none refused (`epoll_once`, `epoll_only`): the
    /// next read tries the socket, then arms.
    fn is_idle(&self) -> bool {
        self.chunk.is_none()
            && self.error.is_none()
            && !self.eof
            && self.receive.is_none()
            && !self.epoll_once
            && !self.epoll_only
    }

    /// A read through epoll; 0 bytes into a buffer with room is end-of-file, remembered.
    fn read_socket(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        epoll_read: impl FnOnce(&mut Context<'_>, &mut ReadBuf<'_>) -> Poll<io::Result<()>>,
    ) -> Poll<io::Result<()>> {
        let filled = buf.filled().len();
        let res = std::task::ready!(epoll_read(cx, buf));
        self.epoll_once = false;
        if res.is_ok() && buf.filled().len() == filled {
            self.eof = true;
        }
        Poll::Ready(res)
    }

    /// Finds what a read would return. `cx`: register a wake-up (else `Pending` means nothing
    /// is queued now). `arm`: arm a receive of this socket on the calling worker if none is
    /// armed.
    fn poll_head(
        &mut self,
        mut cx: Option<&mut Context<'_>>,
        arm: Option<&Arc<SocketFd>>,
    ) -> Poll<Head> {
        loop {
            if self.chunk.is_some() || self.error.is_some() || self.eof {
                return Poll::Ready(Head::Ready);
            }
            let Some(receive) = self.receive.as_mut() else {
                if self.epoll_once || self.epoll_only {
                    return Poll::Ready(Head::Epoll);
                }
                let Some(fd) = arm else {
                    return Poll::Ready(Head::Epoll);
                };
                match Receive::arm(fd) {
                    Some(receive) => {
                        self.receive = Some(receive);
                        // The receive wakes the task from now on (step 1).
                        if let Some(cx) = cx.as_deref() {
                            self.epoll.forget_reader(cx.waker());
                        }
                    }
                    // Not on a worker with a buffer group: this read goes through epoll.
                    None => return Poll::Ready(Head::Epoll),
                }
                continue;
            };
            let event = match cx.as_deref_mut() {
                Some(cx) => {
                    // Among the stream's waiters; the receive wakes them all.
                    self.waiters.register(cx.waker());
                    let next = receive.poll_next(&mut Context::from_waker(self.waiters.waker()));
                    match next {
                        Poll::Ready(event) => event,
                        Poll::Pending => {
                            // Only reads count (`arm`): a readiness poll is no reader settling.
                            if arm.is_some() {
                                self.waits_away = match receive.is_on_this_worker() {
                                    Some(false) => self.waits_away + 1,
                                    _ => 0,
                                };
                                if self.waits_away >= FOLLOW_AFTER {
                                    self.waits_away = 0;
                                    receive.end_to_follow();
                                }
                            }
                            return Poll::Pending;
                        }
                    }
                }
                None => std::task::ready!(receive.try_next()),
            };
            match event {
                Event::Data(buf) => self.chunk = Some((buf, 0)),
                Event::Eof => {
                    self.receive = None;
                    self.eof = true;
                }
                Event::Error(e) => {
                    self.receive = None;
                    self.error = Some(e);
                }
                Event::NoBuffers => {
                    self.receive = None;
                    self.epoll_once = true;
                    self.epoll.assume_ready(Ready::READABLE);
                }
                Event::Unsupported => {
                    self.receive = None;
                    self.epoll_only = true;
                }
                Event::Ended => {
                    self.receive = None;
                    // Readiness answers from epoll until the next read arms again: it stays
                    // set if it was (nothing refused since the last read took bytes), as the
                    // receive's would have.
                    if std::mem::take(&mut self.ready_until_refused) {
                        self.epoll.assume_ready(Ready::READABLE);
                    }
                }
            }
        }
    }

    /// `read_queued` for `poll_read`: readiness stays set only after a read that filled its
    /// buffer (one that filled less took all there was, as a socket's short read through
    /// epoll, which clears its readiness too).
    fn poll_read_queued(&mut self, buf: &mut ReadBuf<'_>) -> io::Result<()> {
        let res = self.read_queued(buf);
        self.ready_until_refused = res.is_ok() && buf.remaining() == 0;
        res
    }

    /// Reads the head (`poll_head` returned `Head::Ready`), then the chunks queued behind it
    /// while `buf` has room, as a socket's read returns all that has arrived: a read that
    /// returned one chunk of a larger message would make an echo write it back in pieces, and
    /// the second piece then waits for the peer's delayed ACK (Nagle), 40 ms. An error or
    /// end-of-file behind data waits for the next read.
    fn read_queued(&mut self, buf: &mut ReadBuf<'_>) -> io::Result<()> {
        let had_data = self.chunk.is_some();
        self.read_head(buf, true)?;
        if !had_data {
            return Ok(());
        }
        while buf.remaining() > 0 {
            match self.poll_head(None, None) {
                Poll::Ready(Head::Ready) if self.chunk.is_some() => self.read_head(buf, true)?,
                _ => break,
            }
        }
        Ok(())
    }

    /// Copies the head into `buf` (`poll_head` returned `Head::Ready`); `consume`: advance past
    /// what was copied.
    fn read_head(&mut self, buf: &mut ReadBuf<'_>, consume: bool) -> io::Result<()> {
        if let Some((chunk, offset)) = self.chunk.as_mut() {
            let n = buf.remaining().min(chunk.len() - *offset);
            buf.put_slice(&chunk[*offset..*offset + n]);
            if consume {
                *offset += n;
                if *offset == chunk.len() {
                    // Back to its group (republished by the ring's owner).
                    self.chunk = None;
                }
            }
            return Ok(());
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        debug_assert!(self.eof, "read_head with nothing at the head");
        Ok(())
    }
}

impl std::fmt::Debug for UringRecv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("UringRecv")
            .field("armed", &state.receive.is_some())
            .field("held", &state.chunk.as_ref().map(|(c, o)| c.len() - o))
            .field("eof", &state.eof)
            .finish_non_exhaustive()
    }
}
