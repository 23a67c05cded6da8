//! A TCP listener's accepts over io_uring (`Builder::net_io_uring`, `docs/URING-NET.md`,
//! decision 8): the multishot accept a listener keeps armed, and the waiters it wakes.
//!
//! # Protocol
//! 1. An accept with no request armed, polled on a worker holding its core, arms a multishot
//!    accept on that worker's ring (`Acceptor::arm`); polled on any other thread (`block_on`
//!    on a multi-thread runtime, a plain thread) it accepts through epoll, as without the
//!    switch (`Poll::Ready(None)` here).
//! 2. The request's completions queue in its cell, reaped by whoever reaps that ring; an
//!    accept on any thread takes the oldest (an fd), under this state's lock. A connection
//!    leaves the queue only into the caller's hands: a dropped `accept` future loses none.
//! 3. Any number of tasks may wait: each registers its waker in `waiters` (a `WakeAll`), and
//!    the cell holds one waker, the `WakeAll`'s own, which wakes them all; each polls again
//!    and one takes the connection. Only accepts that wait on an armed request register there. Those that wait
//!    on epoll (step 1's other threads) are woken through epoll by a worker that arms, since
//!    connections then go to the ring and not to the socket (`ReadinessHint::wake_readers`):
//!    the arm counts (`arms`), and an accept that saw no request compares the count before
//!    its epoll wait with the count after registering there, so an arm in between is never
//!    missed (`poll_accept_or`). A waker kept in `waiters` while nothing is armed would
//!    outlive the runtime: a task holding its listener would never be freed (Tokio's
//!    `io_driver_drop.rs`, `shutdown_drops_waker_holding_registration`).
//! 4. An error completion (`EMFILE`, `ECONNABORTED`, ...) ends the request: it is reported as
//!    `accept(2)`'s would be (the listener's backoff applies), and the next accept re-arms.
//!    A request ended otherwise (the cap's cancel, the runtime's, a full CQ) is re-armed at
//!    once by the accept that finds the end, at most once per poll (then epoll answers).
//! 5. The cap (`ops/accept_multi.rs`, `QUEUE_CAP`): the reaper that queues the cap-th untaken
//!    connection cancels the request; the queued ones wait for accepts, the rest stays in the
//!    kernel's backlog, and the accept that drains the queue re-arms (step 4).
//! 6. Dropping the listener drops the request: its cell cancels it on its ring, closes the
//!    connections queued and every one whose completion comes later (`release`), and drops
//!    its clone of the listener's fd holder at the final completion: the listening fd,
//!    handed to the holder by the listener's drop, closes then.

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crate::loom::sync::Mutex;
use crate::rt::reactor::ReadinessHint;
use crate::rt::uring::ops::accept_multi::{Acceptor, Event};
use crate::rt::uring::socket_fd::SocketFd;
use crate::util::wake_list::WakeAll;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A listener's accept state; `None` in the listener when its runtime accepts through epoll.
pub(crate) struct UringAccept {
    state: Mutex<Option<Acceptor>>,
    /// The tasks waiting for a connection (step 3); the request's cell holds its waker.
    waiters: WakeAll,
    /// The listener's fd holder: every request armed holds a clone.
    fd: Arc<SocketFd>,
    /// The listener's epoll readiness, whose waiters an arm wakes (step 3).
    epoll: ReadinessHint,
    /// Requests armed so far, counted under `state`'s lock (step 3).
    arms: AtomicU64,
}

/// No request is armed, and none could be armed by this poll: as of `arms` requests armed.
struct NoneArmed {
    arms: u64,
}

/// What an accept found (`UringAccept::poll_accept_or`).
pub(crate) enum Accepted<T> {
    /// A connection, or an accept's error, from the ring's request.
    Ring(io::Result<OwnedFd>),
    /// What the epoll accept returned: no request was armed, and none could be here.
    Epoll(T),
}

impl UringAccept {
    /// The state for a new listener (whose runtime accepts TCP through io_uring), whose socket
    /// `fd` holds and whose epoll readiness `epoll` reaches.
    pub(crate) fn new(fd: Arc<SocketFd>, epoll: ReadinessHint) -> Box<UringAccept> {
        Box::new(UringAccept {
            state: Mutex::new(None),
            waiters: WakeAll::new(),
            fd,
            epoll,
            arms: AtomicU64::new(0),
        })
    }

    /// The listener's fd holder.
    pub(crate) fn fd(&self) -> &Arc<SocketFd> {
        &self.fd
    }

    /// The next connection from the ring, else from `epoll_accept` (the listener's accept
    /// through epoll, polled only while no request is armed and none can be armed here).
    /// `Pending` with `cx`'s waker registered where the answer will come from: the armed
    /// request's `waiters`, or epoll, which an arm elsewhere wakes (step 3).
    pub(crate) fn poll_accept_or<T>(
        &self,
        cx: &mut Context<'_>,
        mut epoll_accept: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<Accepted<T>> {
        loop {
            let arms = match std::task::ready!(self.poll_ring(cx)) {
                Ok(res) => return Poll::Ready(Accepted::Ring(res)),
                Err(NoneArmed { arms }) => arms,
            };
            if let Poll::Ready(res) = epoll_accept(cx) {
                return Poll::Ready(Accepted::Epoll(res));
            }
            // Registered with epoll, under its waiters' lock, which an arming worker takes
            // after counting its arm, to wake them: an arm this count does not show wakes us.
            // (Our own arm, if we made one that ended at once, is in `arms`: one per poll.)
            if self.arms.load(Relaxed) == arms {
                return Poll::Pending;
            }
        }
    }

    /// The next connection from the ring: `Ready(Ok(Ok(fd)))`, `Ready(Ok(Err))` for an
    /// accept's error, `Pending` (the waker registered in `waiters`) while the armed request
    /// has none, or `Ready(Err)`: none armed, and none could be here (no waker registered).
    fn poll_ring(&self, cx: &mut Context<'_>) -> Poll<Result<io::Result<OwnedFd>, NoneArmed>> {
        let (res, armed) = self.poll_ring_locked(cx);
        if armed {
            // Accepts waiting on epoll come to the ring now (step 3); woken with no lock held.
            self.epoll.wake_readers();
        }
        res
    }

    /// `poll_ring` under the state's lock; true if it armed a request.
    fn poll_ring_locked(
        &self,
        cx: &mut Context<'_>,
    ) -> (Poll<Result<io::Result<OwnedFd>, NoneArmed>>, bool) {
        let mut ring_cx = Context::from_waker(self.waiters.waker());
        let mut state = self.state.lock();
        let mut armed_here = false;
        // Counted under the lock, as arms are: the state is `None` as of this count.
        let none_armed = || NoneArmed {
            arms: self.arms.load(Relaxed),
        };
        loop {
            let acceptor = match &mut *state {
                Some(acceptor) => acceptor,
                None if armed_here => return (Poll::Ready(Err(none_armed())), true),
                None => match Acceptor::arm(&self.fd) {
                    Some(acceptor) => {
                        armed_here = true;
                        self.arms.fetch_add(1, Relaxed);
                        state.insert(acceptor)
                    }
                    None => return (Poll::Ready(Err(none_armed())), false),
                },
            };
            // Before the request is polled: a completion after the poll wakes us.
            self.waiters.register(cx.waker());
            let res = match acceptor.poll_next(&mut ring_cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Event::Conn(fd)) => Poll::Ready(Ok(Ok(fd))),
                Poll::Ready(Event::Error(e)) => {
                    *state = None;
                    Poll::Ready(Ok(Err(e)))
                }
                Poll::Ready(Event::Refused) => {
                    *state = None;
                    Poll::Ready(Err(none_armed()))
                }
                Poll::Ready(Event::Ended) => {
                    *state = None;
                    continue;
                }
            };
            return (res, armed_here);
        }
    }

    /// Drops the armed request, if any (`into_std`): its cancel is issued, connections it
    /// queued are closed.
    pub(crate) fn disarm(&self) {
        let acceptor = self.state.lock().take();
        drop(acceptor);
    }
}
