//! `IORING_OP_SEND` with `MSG_NOSIGNAL`: a stream socket's sends over io_uring, behind a
//! bounded send buffer (`docs/URING-NET.md`, decision 6; the protocol is in
//! `docs/URING-OPS.md`, "Stream sends").
//!
//! # Protocol
//! 1. A write copies its bytes into the queue (`SendQueue::write`). If no send is in flight, it
//!    pushes one send entry of those bytes on the calling worker's ring. No enter of its own
//!    while anything else of the ring is in the kernel (an armed receive, another send) or
//!    the worker has other tasks queued: the worker submits its SQ once per tick, when it runs
//!    out of tasks, and before it parks. Otherwise (an idle ring, as for `Op`) it is submitted
//!    at once and its inline completion reaped. On a thread that is not a worker holding its
//!    core it copies nothing and the caller writes through the socket (`Written::Direct`). While a send is in flight, bytes are appended to `pending`, up to
//!    `SEND_BOUND` unsent bytes in all; above it a write waits.
//! 2. The send's completion, reaped on its ring by whichever thread reaps it, runs the
//!    operation's `release` (nobody awaits a send: its cell is orphaned from the start):
//!    a short send sends the rest of its buffer first, else everything appended meanwhile
//!    goes in the next send. That send is queued on the same ring (`Ring::push_remote`): the
//!    owner pushes it at its next tick. So a stream never has sends on two rings, and its
//!    bytes keep their order.
//! 3. The operation owns the buffer the kernel reads until its completion, and the queue
//!    (`Arc<Shared>`), which holds a clone of the stream's fd holder (`Arc<SocketFd>`,
//!    `rt/uring/socket_fd.rs`: the socket's own fd, no duplicate): the number the entry names
//!    stays open while an entry may name it, whatever happens to the stream (its drop hands the
//!    fd to the holder, whose last clone closes it). A stream dropped with sends in flight
//!    still sends every byte it took (as a `write(2)` that returned would have), then the fd
//!    closes (if its receive's final completion came too).
//! 4. An error completion drops the bytes not sent and is handed to the next write, flush or
//!    shutdown, once. The waiting tasks are woken at every completion (room was made, or the
//!    queue emptied, or an error waits).
//! 5. The runtime's shutdown cancels the send in flight, and its closed ring refuses the next
//!    one. The bytes those carried, and those appended behind them, were taken by writes that
//!    returned, as `write(2)`s that left them with the kernel would have: so the completion
//!    (`send_behind`) hands them to the socket itself, on the thread shutting the ring down,
//!    waiting for room until the shutdown's deadline (`Ring::shutdown_deadline`, bounded by
//!    `Runtime::shutdown_timeout`). What the peer has not made room for by then is dropped,
//!    and the error kept for a next write.
//! 6. Raw writes (`try_io`/`async_io` with `WRITABLE`: the caller's code writes the socket
//!    itself) wait for the sends in flight (`poll_raw`), and from the first one on no send
//!    starts again: a write with none in flight goes to the socket (`Written::Direct`), and
//!    write readiness waits for the last send to complete before the socket's answers. So
//!    the bytes writes took always reach the socket before the caller's own.

use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::Mutex;
use crate::rt::uring::cell::{tag, CqeResult, OpCell, OpCode};
use crate::rt::uring::op::build_entry;
use crate::rt::uring::ring::{LocalRing, Queued, Ring};
use crate::rt::uring::socket_fd::SocketFd;
use crate::util::wake_list::WakeList;
use io_uring::{opcode, squeue, types};
use std::io::{self, IoSlice};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Unsent bytes a stream may hold (in the send in flight and appended behind it): above this,
/// a write waits for a completion.
pub(crate) const SEND_BOUND: usize = 64 * 1024;

/// A spare buffer larger than this is let go when the queue empties: an idle connection keeps
/// no large buffer.
const SPARE_KEEP: usize = 16 * 1024;

/// A stream's send queue. One allocation, made only when the runtime sends over io_uring.
pub(crate) struct SendQueue {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// The stream's fd holder: the sends name `fd.raw()`, open while `Shared` lives.
    fd: Arc<SocketFd>,
}

#[derive(Default)]
struct State {
    /// Bytes taken by writes and not yet in a send entry, in order behind the send in flight.
    pending: Vec<u8>,
    /// Bytes of the send in flight not yet sent (its buffer from its start); with `sending`.
    in_flight: usize,
    /// A send of this stream is in flight: its completion submits the next.
    sending: bool,
    /// An error completion, for the next write, flush or shutdown.
    error: Option<io::Error>,
    /// The tasks waiting for room, for the sends to complete, or for an error: the writer,
    /// and any number in `writable()`/`ready()` (Tokio's readiness futures all wake). One
    /// entry per task (`will_wake`); all are woken, and leave, at the next completion.
    wakers: WakeList,
    /// Shut the write side down once the last send has completed (a write half dropped while
    /// sends were in flight).
    shutdown_after: bool,
    /// A buffer to reuse for the next send.
    spare: Vec<u8>,
    /// The last write found no room (`Pending`, or `WouldBlock` for `try_write`): write
    /// readiness is off until room frees up. As a socket's through epoll, readiness stays set
    /// after writes that were taken, even one that filled the queue, until a write is refused.
    blocked: bool,
    /// The caller writes the socket itself (step 6): no send starts any more.
    raw: bool,
    /// The ring the sends in flight are on (with `sending`).
    ring: Option<Arc<Ring>>,
}

/// A waker that unparks a thread (`finish_now`'s wait off the sends' ring).
struct UnparkThread(std::thread::Thread);

impl std::task::Wake for UnparkThread {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// What a write did.
pub(crate) enum Written {
    /// Taken (`Ok(n)`), or an error to report; `Pending`: no room (the waker is registered if a
    /// context was given).
    Queued(Poll<io::Result<usize>>),
    /// No send is in flight, and this thread has no worker ring or the caller writes the
    /// socket itself (step 6): write to the socket directly.
    Direct,
}

impl SendQueue {
    /// The queue for a new stream (whose runtime sends streams through io_uring), whose socket `fd`
    /// holds.
    pub(crate) fn new(fd: Arc<SocketFd>) -> SendQueue {
        SendQueue {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                fd,
            }),
        }
    }

    /// A write of `bufs` (gathered). `cx`: register a waker if there is no room (`None`:
    /// `try_write`).
    pub(crate) fn write(&self, cx: Option<&mut Context<'_>>, bufs: &[IoSlice<'_>]) -> Written {
        let mut state = self.shared.state.lock();
        if let Some(e) = state.error.take() {
            return Written::Queued(Poll::Ready(Err(e)));
        }
        if state.shutdown_after {
            // Shut down after the sends in flight (`shutdown_after_sends`): as a write after
            // `shutdown(2)`, refused, rather than sent before the FIN.
            return Written::Queued(Poll::Ready(Err(io::Error::from_raw_os_error(libc::EPIPE))));
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Written::Queued(Poll::Ready(Ok(0)));
        }
        if !state.sending {
            debug_assert!(state.pending.is_empty(), "bytes pending with no send");
            if state.raw {
                return Written::Direct;
            }
            let Some((n, submitted)) = self.start(&mut state, bufs, total) else {
                return Written::Direct;
            };
            drop(state);
            if let Some(ring) = submitted {
                // Submitted at once (as `Op` is, when nothing else would share the enter): the
                // kernel sends inline when the socket has room, so reap that completion now,
                // with the queue's lock released (its `release` takes it); the next write then
                // finds no send in flight instead of appending behind a finished one.
                ring.reap();
            }
            return Written::Queued(Poll::Ready(Ok(n)));
        }
        let room = SEND_BOUND.saturating_sub(state.in_flight + state.pending.len());
        if room == 0 {
            state.blocked = true;
            if let Some(cx) = cx {
                state.set_waker(cx);
            }
            return Written::Queued(Poll::Pending);
        }
        let n = gather(&mut state.pending, bufs, room);
        Written::Queued(Poll::Ready(Ok(n)))
    }

    /// Pushes the first send (of up to `SEND_BOUND` bytes of `bufs`) on the calling worker's
    /// ring; returns the bytes taken, and the ring if the entry was submitted at once (the
    /// ring's rule for `Op`s: the worker has no other task queued and none of the ring's work
    /// is in the kernel, so no batch would form; `LocalRing::submits_alone`). `None`: not on a
    /// worker holding its core.
    fn start(
        &self,
        state: &mut State,
        bufs: &[IoSlice<'_>],
        total: usize,
    ) -> Option<(usize, Option<Arc<Ring>>)> {
        crate::rt::uring::with_local_ring(|local, idle| {
            let mut buf = std::mem::take(&mut state.spare);
            let n = gather(&mut buf, bufs, total.min(SEND_BOUND));
            state.sending = true;
            state.ring = Some(local.ring().clone());
            state.in_flight = n;
            let op = SendOp {
                queue: self.shared.clone(),
                buf,
                start: 0,
                ring: local.ring().clone(),
            };
            let alone = local.submits_alone(idle);
            push_local(local, op);
            if alone {
                // Entries the kernel refuses for now stay queued for the worker's next flush.
                let _ = local.submitter().flush();
                return (n, Some(local.ring().clone()));
            }
            (n, None)
        })
    }

    /// True while a send is in flight (its completion will submit what follows).
    pub(crate) fn is_sending(&self) -> bool {
        self.shared.state.lock().sending
    }

    /// `poll_flush`: ready once every byte taken was sent (or an error, reported once).
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.state.lock();
        if let Some(e) = state.error.take() {
            return Poll::Ready(Err(e));
        }
        if !state.sending {
            return Poll::Ready(Ok(()));
        }
        state.set_waker(cx);
        Poll::Pending
    }

    /// Write readiness: ready unless the last write was refused for want of room and none has
    /// freed up since (so, as through epoll, ready after a write that filled the queue, until
    /// a write is refused), or with an error to report; `None` when no send is in flight (the
    /// socket's readiness answers).
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Option<Poll<()>> {
        let mut state = self.shared.state.lock();
        if state.error.is_some() {
            return Some(Poll::Ready(()));
        }
        if !state.sending {
            return None;
        }
        if state.raw {
            // A raw write waits for the last send (step 6): the socket answers after it.
            state.set_waker(cx);
            return Some(Poll::Pending);
        }
        if state.in_flight + state.pending.len() < SEND_BOUND {
            state.blocked = false;
            return Some(Poll::Ready(()));
        }
        if !state.blocked {
            return Some(Poll::Ready(()));
        }
        state.set_waker(cx);
        Some(Poll::Pending)
    }

    /// Before a raw write (step 6): from now on no send starts; ready once none is in flight
    /// (an error a send left is reported here, as to a write). `cx`: register the waker
    /// (`None`: `try_io`, which says `WouldBlock` meanwhile).
    pub(crate) fn poll_raw(&self, cx: Option<&mut Context<'_>>) -> Poll<io::Result<()>> {
        let mut state = self.shared.state.lock();
        state.raw = true;
        if let Some(e) = state.error.take() {
            return Poll::Ready(Err(e));
        }
        if !state.sending {
            return Poll::Ready(Ok(()));
        }
        if let Some(cx) = cx {
            state.set_waker(cx);
        }
        Poll::Pending
    }

    /// For `into_std`, whose caller writes the socket itself from then on: no send starts any
    /// more (step 6), and the sends in flight are finished before it returns, waiting up to
    /// `FINISH_WAIT` for their last completion (whoever reaps it). On their own worker, the
    /// ring's queued entries are submitted and its completions reaped meanwhile (as a write on
    /// an idle ring does): nobody else would submit them while this blocks. `Err(WouldBlock)`:
    /// some are still in flight (the peer has not made room for them).
    pub(crate) fn finish_now(&self) -> io::Result<()> {
        /// How long to wait for the sends in flight.
        const FINISH_WAIT: std::time::Duration = std::time::Duration::from_millis(200);
        /// How long to sleep between two rounds of submitting and reaping.
        const ROUND: std::time::Duration = std::time::Duration::from_millis(1);
        let ring = {
            let mut state = self.shared.state.lock();
            state.raw = true;
            if !state.sending {
                return Ok(());
            }
            state.ring.clone()
        };
        let deadline = std::time::Instant::now() + FINISH_WAIT;
        let waker = Waker::from(Arc::new(UnparkThread(std::thread::current())));
        loop {
            let own = crate::rt::uring::with_local_ring(|local, _| {
                if !ring.as_ref().is_some_and(|r| Arc::ptr_eq(local.ring(), r)) {
                    return false;
                }
                let mut sub = local.submitter();
                // The next send a completion queued goes to the remote list (step 2).
                sub.drain_remote();
                // Entries the kernel refuses for now stay queued for the next round.
                let _ = sub.flush();
                true
            });
            if own == Some(true) {
                // Reaped outside the worker's core (its wake-ups schedule tasks there), as
                // `write` reaps an inline completion.
                if let Some(ring) = &ring {
                    ring.reap();
                }
            }
            {
                let mut state = self.shared.state.lock();
                if !state.sending {
                    return Ok(());
                }
                state.wakers.register(&waker);
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            std::thread::park_timeout(ROUND.min(deadline - now));
        }
    }

    /// A raw write's hand-off (step 6) under way: ready once no send is in flight (or none was
    /// asked for); else registers `cx`'s waker.
    pub(crate) fn poll_handoff(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.state.lock();
        if !state.raw || !state.sending {
            return Poll::Ready(());
        }
        state.set_waker(cx);
        Poll::Pending
    }

    /// `poll_shutdown`: with sends in flight, shuts the write side down once the last completes
    /// and says so at once (`Some(Ok)`), as `shutdown(2)` queues the FIN behind the bytes in the
    /// socket's buffer: waiting for them would wait for the peer to read, and a peer that
    /// reads only after our shutdown never would (Tokio's `io_copy_bidirectional.rs`). An
    /// earlier send's error is reported instead (`Some(Err)`). `None`: nothing in flight, the
    /// caller shuts down now.
    pub(crate) fn shutdown_after_sends(&self) -> Option<io::Result<()>> {
        if let Some(e) = self.shared.state.lock().error.take() {
            return Some(Err(e));
        }
        (!self.shutdown_when_sent()).then_some(Ok(()))
    }

    /// A dropped write half: shut the write side down now (`true`: the caller does), or, with
    /// sends in flight, once the last completes (here, on the fd the queue's holder names).
    pub(crate) fn shutdown_when_sent(&self) -> bool {
        let mut state = self.shared.state.lock();
        if state.sending {
            state.shutdown_after = true;
            return false;
        }
        true
    }
}

impl State {
    fn set_waker(&mut self, cx: &mut Context<'_>) {
        self.wakers.register(cx.waker());
    }

    /// A send completed with `res`: the next send to submit, if any. `op` is the completed
    /// send's (its buffer comes back for reuse or the rest of a short send).
    fn complete(&mut self, op: &mut SendOp, res: io::Result<usize>) -> Option<SendOp> {
        debug_assert!(self.sending, "a send completed with none in flight");
        let len = op.buf.len() - op.start;
        match res {
            Ok(n) if n > 0 && n < len => {
                // Short: the rest first, what was appended after it.
                op.ring.metrics.short_sends.fetch_add(1, Relaxed);
                self.in_flight = len - n;
                let buf = std::mem::take(&mut op.buf);
                return Some(op.next(buf, op.start + n));
            }
            Ok(n) if n == len => {
                if !self.pending.is_empty() {
                    let mut buf = std::mem::take(&mut op.buf);
                    buf.clear();
                    std::mem::swap(&mut buf, &mut self.pending);
                    self.in_flight = buf.len();
                    return Some(op.next(buf, 0));
                }
            }
            // A send of some bytes that took none: as write(2) returning 0.
            Ok(_) => self.error = Some(io::ErrorKind::WriteZero.into()),
            Err(e) => self.error = Some(e),
        }
        self.finish(std::mem::take(&mut op.buf), &op.queue.fd);
        None
    }

    /// No send in flight any more: done, or failed (the bytes not sent are dropped with their
    /// error, already in `error`). `buf` was the last send's; `fd` is the stream's socket.
    fn finish(&mut self, mut buf: Vec<u8>, fd: &SocketFd) {
        self.pending.clear();
        self.sending = false;
        self.ring = None;
        self.in_flight = 0;
        if buf.capacity() <= SPARE_KEEP {
            buf.clear();
            self.spare = buf;
        }
        if self.pending.capacity() > SPARE_KEEP {
            self.pending = Vec::new();
        }
        if std::mem::take(&mut self.shutdown_after) {
            // SAFETY: a plain syscall on the socket's fd, open while the queue's holder lives
            // (`socket_fd.rs`), which the caller's `Shared` keeps alive; it touches no memory.
            // ENOTCONN (the peer is gone) leaves nothing to tell it; other errors have nobody
            // to go to.
            let _ = unsafe { libc::shutdown(fd.raw(), libc::SHUT_WR) };
        }
    }
}

/// Sends all of `bytes` on the socket `fd` from this thread (step 5), waiting for room with
/// `poll` until `deadline`; `TimedOut` if the peer has not made room for them all by then.
fn send_until(fd: &SocketFd, mut bytes: &[u8], deadline: std::time::Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live slice for the call; the fd is open while the caller's
        // `Shared` holds its holder (`socket_fd.rs`). MSG_NOSIGNAL: a reset peer gives EPIPE,
        // not SIGPIPE.
        let n = unsafe {
            libc::send(
                fd.raw(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n > 0 {
            bytes = &bytes[n as usize..];
            continue;
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the runtime shut down before the peer took these bytes",
                    ));
                }
                let wait = (deadline - now).as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
                let mut pollfd = libc::pollfd {
                    fd: fd.raw(),
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one `pollfd`, live for the call. Its result is not needed: the next
                // `send` says whether there is room.
                unsafe { libc::poll(&mut pollfd, 1, wait) };
            }
            _ => return Err(e),
        }
    }
    Ok(())
}

/// Appends up to `max` bytes of `bufs` to `dst`; returns how many.
fn gather(dst: &mut Vec<u8>, bufs: &[IoSlice<'_>], max: usize) -> usize {
    let mut left = max;
    for buf in bufs {
        if left == 0 {
            break;
        }
        let n = buf.len().min(left);
        dst.extend_from_slice(&buf[..n]);
        left -= n;
    }
    max - left
}

/// One send entry: the bytes `buf[start..]`, on `ring`, of the socket `queue.fd` names.
struct SendOp {
    /// The stream's queue: holds the fd holder the entry names (`Shared::fd`), and takes the
    /// completion.
    queue: Arc<Shared>,
    buf: Vec<u8>,
    start: usize,
    /// The ring the send is pushed on: the next one goes there too.
    ring: Arc<Ring>,
}

impl SendOp {
    /// Step 5: this send was cancelled or refused by the runtime's shutdown, its bytes (from
    /// `start`) unsent. Sends them, then what writes append meanwhile, to the socket from this
    /// thread, until `deadline`; the queue stays `sending` until then, so bytes keep their
    /// order.
    fn send_behind(&mut self, deadline: std::time::Instant) {
        let queue = self.queue.clone();
        let mut buf = std::mem::take(&mut self.buf);
        let mut start = self.start;
        loop {
            let res = send_until(&queue.fd, &buf[start..], deadline);
            let mut state = queue.state.lock();
            if res.is_ok() && !state.pending.is_empty() {
                buf.clear();
                std::mem::swap(&mut buf, &mut state.pending);
                state.in_flight = buf.len();
                start = 0;
                continue;
            }
            if let Err(e) = res {
                state.error = Some(e);
            }
            state.finish(buf, &queue.fd);
            let wakers = state.wakers.take();
            drop(state);
            wakers.wake_all();
            return;
        }
    }

    /// The next send of the same stream on the same ring.
    fn next(&self, buf: Vec<u8>, start: usize) -> SendOp {
        SendOp {
            queue: self.queue.clone(),
            buf,
            start,
            ring: self.ring.clone(),
        }
    }
}

/// A new cell for `op`, already marked as having no future (its completion goes to
/// `release`), and its entry carrying the ring's reference.
fn orphan_entry(op: SendOp) -> squeue::Entry {
    op.ring.metrics.sends.fetch_add(1, Relaxed);
    let mut cell = OpCell::new(op);
    let entry = build_entry(&mut cell);
    let user_data = cell.raw().into_user_data(tag::OP);
    // Nobody awaits a send: the cell is orphaned before the kernel sees it, so its completion
    // is handed to `release` (the reference `drop_future` returns, for a cancel, is not used:
    // a send is never cancelled but by the runtime's shutdown).
    drop(cell.drop_future());
    entry.user_data(user_data)
}

/// Pushes `op` on the calling worker's ring (`local`, which is `op.ring`).
fn push_local(local: &mut LocalRing, op: SendOp) {
    debug_assert!(Arc::ptr_eq(local.ring(), &op.ring));
    let entry = orphan_entry(op);
    local.submitter().push_ops(Queued::One(entry));
}

// SAFETY: the entry points into `buf` from `start` (a heap buffer that does not move while the
// operation owns it, and `start <= buf.len()`), and names `queue.fd.raw()`, the socket's fd,
// open while any clone of that holder lives (`socket_fd.rs`: the stream owns the fd until its
// drop hands it to the holder, whose last clone closes it); `queue` keeps `Shared`, and so its
// holder, alive until this operation is dropped, after its completion.
unsafe impl OpCode for SendOp {
    fn entry(&mut self) -> squeue::Entry {
        let len = (self.buf.len() - self.start).min(super::MAX_RW) as u32;
        // SAFETY: `start <= buf.len()`: the pointer stays inside the buffer (or one past it).
        let ptr = unsafe { self.buf.as_ptr().add(self.start) };
        opcode::Send::new(types::Fd(self.queue.fd.raw()), ptr, len)
            .flags(libc::MSG_NOSIGNAL)
            .build()
    }

    /// The completion (every send's: nobody awaits one): the next send, or the end.
    fn release(&mut self, result: CqeResult) {
        let shut_down = result.refused.is_some() || result.res == -libc::ECANCELED;
        if let Some(deadline) = self.ring.shutdown_deadline().filter(|_| shut_down) {
            self.send_behind(deadline);
            return;
        }
        let res = if result.refused.is_some() {
            Err(io::Error::other("background task failed"))
        } else if result.res < 0 {
            Err(io::Error::from_raw_os_error(-result.res))
        } else {
            Ok(result.res as usize)
        };
        let queue = self.queue.clone();
        let (next, wakers) = {
            let mut state = queue.state.lock();
            let next = state.complete(self, res);
            (next, state.wakers.take())
        };
        wakers.wake_all();
        if let Some(next) = next {
            // Through the owner's remote list: this thread may be any reaper, or the owner in
            // the middle of its ring turn (its submission side out of reach).
            let ring = next.ring.clone();
            ring.push_remote(orphan_entry(next));
        }
    }

    /// Sends are never cancelled by a dropped future (they have none).
    const CANCEL_ON_DROP: bool = false;
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{gather, SendOp, SendQueue, Shared, State};
    use crate::loom::sync::Mutex;
    use crate::rt::uring::cell::{CqeResult, OpCode};
    use crate::rt::uring::ring::Ring;
    use crate::rt::uring::socket_fd::SocketFd;
    use io_uring::IoUring;
    use std::io::{self, IoSlice};
    use std::sync::Arc;

    /// A queue with one send of `sent` in flight on a plain ring, and `pending` appended.
    fn in_flight(sent: &[u8], pending: &[u8]) -> Option<(SendQueue, SendOp)> {
        let ring = Ring::new(IoUring::new(8).ok()?, 0, false);
        let queue = SendQueue {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    pending: pending.to_vec(),
                    in_flight: sent.len(),
                    sending: true,
                    ..State::default()
                }),
                // SAFETY: -1 is no fd; no entry built here reaches a kernel, and no holder
                // of it adopts or closes anything.
                fd: Arc::new(unsafe { SocketFd::new(-1) }),
            }),
        };
        let op = SendOp {
            queue: queue.shared.clone(),
            buf: sent.to_vec(),
            start: 0,
            ring,
        };
        Some((queue, op))
    }

    fn ok(n: usize) -> io::Result<usize> {
        Ok(n)
    }

    /// A short send sends the rest of its buffer next, before what was appended; a full one
    /// sends what was appended; the last leaves the queue idle.
    #[test]
    fn completions_send_the_rest_first_then_what_was_appended() {
        let Some((queue, mut op)) = in_flight(b"abcdef", b"gh") else {
            return; // no io_uring here
        };
        let mut state = queue.shared.state.lock();
        let mut next = state
            .complete(&mut op, ok(4))
            .expect("the rest of a short send");
        assert_eq!(&next.buf[next.start..], b"ef");
        assert_eq!(state.in_flight, 2);
        assert_eq!(state.pending, b"gh", "appended bytes wait for the rest");
        let mut next = state
            .complete(&mut next, ok(2))
            .expect("the appended bytes");
        assert_eq!(&next.buf[next.start..], b"gh");
        assert!(state.pending.is_empty());
        assert!(state.complete(&mut next, ok(2)).is_none());
        assert!(!state.sending);
        assert_eq!(
            next.ring
                .metrics
                .short_sends
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    /// An error completion drops the unsent bytes and waits for the next write, once.
    #[test]
    fn an_error_is_kept_for_the_next_write_once() {
        let Some((queue, mut op)) = in_flight(b"abc", b"def") else {
            return;
        };
        {
            let mut state = queue.shared.state.lock();
            let err = io::Error::from_raw_os_error(libc::EPIPE);
            assert!(state.complete(&mut op, Err(err)).is_none());
            assert!(!state.sending && state.pending.is_empty());
        }
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let std::task::Poll::Ready(Err(e)) = queue.poll_flush(&mut cx) else {
            panic!("the error is reported");
        };
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
        assert!(queue.poll_flush(&mut cx).is_ready(), "reported once");
    }

    /// A next send queued on a ring that has closed (the runtime shut down) completes as
    /// refused: the queue ends with an error instead of waiting for a send that never comes.
    #[test]
    fn a_next_send_on_a_closed_ring_is_refused() {
        let Some((queue, mut op)) = in_flight(b"abc", b"def") else {
            return;
        };
        op.ring.close();
        // As the ring would: the completion of the first send, which pushes the next.
        op.release(CqeResult {
            res: 3,
            ..CqeResult::default()
        });
        let state = queue.shared.state.lock();
        assert!(!state.sending, "the refused send ended the queue");
        assert!(state.error.is_some());
    }

    #[test]
    fn gather_takes_at_most_max_in_order() {
        let mut dst = Vec::new();
        let bufs = [
            IoSlice::new(b"abc"),
            IoSlice::new(b""),
            IoSlice::new(b"defg"),
        ];
        assert_eq!(gather(&mut dst, &bufs, 5), 5);
        assert_eq!(dst, b"abcde");
        assert_eq!(gather(&mut dst, &bufs, 100), 7);
        assert_eq!(dst, b"abcdeabcdefg");
    }
}
