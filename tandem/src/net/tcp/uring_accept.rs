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
//! 3. Any number of tasks may wait: each registers its waker in `Waiters`, and the cell holds
//!    one waker, the `Waiters`' own, which wakes them all; each polls again and one takes the
//!    connection. Accepts waiting on epoll (step 1's other threads) register too, so an arm by
//!    a worker, after which connections go to the ring and not the socket, wakes them.
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

use crate::loom::sync::Mutex;
use crate::rt::uring::ops::accept_multi::{Acceptor, Event};
use crate::rt::uring::socket_fd::SocketFd;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A listener's accept state; `None` in the listener when its runtime accepts through epoll.
pub(crate) struct UringAccept {
    state: Mutex<Option<Acceptor>>,
    /// The tasks waiting for a connection (step 3).
    waiters: Arc<Waiters>,
    /// `waiters` as the waker the request's cell holds.
    wake_all: Waker,
    /// The listener's fd holder: every request armed holds a clone.
    fd: Arc<SocketFd>,
}

impl UringAccept {
    /// The state for a new listener (whose runtime accepts TCP through io_uring), whose socket
    /// `fd` holds.
    pub(crate) fn new(fd: Arc<SocketFd>) -> Box<UringAccept> {
        let waiters = Arc::new(Waiters::default());
        Box::new(UringAccept {
            state: Mutex::new(None),
            wake_all: Waker::from(waiters.clone()),
            waiters,
            fd,
        })
    }

    /// The listener's fd holder.
    pub(crate) fn fd(&self) -> &Arc<SocketFd> {
        &self.fd
    }

    /// The next connection from the ring: `Ready(Some(fd))`, `Ready(Some(Err))` for an
    /// accept's error, `Pending` (the waker registered) while the armed request has none, or
    /// `Ready(None)`: none armed here, accept through epoll (the waker is registered too, for
    /// an arm elsewhere).
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Option<io::Result<OwnedFd>>> {
        self.waiters.register(cx.waker());
        let mut ring_cx = Context::from_waker(&self.wake_all);
        let mut state = self.state.lock();
        let mut armed_here = false;
        loop {
            let acceptor = match &mut *state {
                Some(acceptor) => acceptor,
                None if armed_here => return Poll::Ready(None),
                None => match Acceptor::arm(&self.fd) {
                    Some(acceptor) => {
                        armed_here = true;
                        state.insert(acceptor)
                    }
                    None => return Poll::Ready(None),
                },
            };
            match acceptor.poll_next(&mut ring_cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Event::Conn(fd)) => return Poll::Ready(Some(Ok(fd))),
                Poll::Ready(Event::Error(e)) => {
                    *state = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Event::Refused) => {
                    *state = None;
                    return Poll::Ready(None);
                }
                Poll::Ready(Event::Ended) => *state = None,
            }
        }
    }

    /// Drops the armed request, if any (`into_std`): its cancel is issued, connections it
    /// queued are closed.
    pub(crate) fn disarm(&self) {
        let acceptor = self.state.lock().take();
        drop(acceptor);
    }
}

/// The wakers of the tasks waiting for a connection; woken all at once, by the request's cell
/// (after the ring's CQ lock is released) or by `Waiters::wake_by_ref`.
#[derive(Default)]
struct Waiters {
    list: Mutex<Vec<Waker>>,
}

impl Waiters {
    fn register(&self, waker: &Waker) {
        let mut list = self.list.lock();
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Collected under the lock, woken after it.
        let woken = std::mem::take(&mut *self.list.lock());
        for waker in woken {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Waiters;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every registered waiter is woken, once per registration (a waker registered twice is
    /// kept once), and the list empties: a waiter must register again to be woken again.
    #[test]
    fn every_waiter_is_woken_once_per_registration() {
        let waiters = Arc::new(Waiters::default());
        let (a, b) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        waiters.register(&wa);
        waiters.register(&wa);
        waiters.register(&wb);
        let wake_all = Waker::from(waiters.clone());
        wake_all.wake_by_ref();
        assert_eq!(a.0.load(Ordering::Relaxed), 1);
        assert_eq!(b.0.load(Ordering::Relaxed), 1);
        wake_all.wake_by_ref();
        assert_eq!(
            a.0.load(Ordering::Relaxed),
            1,
            "woken without registering again"
        );
        waiters.register(&wb);
        wake_all.wake();
        assert_eq!(b.0.load(Ordering::Relaxed), 2);
    }
}
