//! `IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`: a TCP listener's accept, armed once on a
//! worker's ring, that posts a completion per connection it accepts (a new fd, made
//! `SOCK_NONBLOCK | SOCK_CLOEXEC` by the kernel), until an error, a full CQ or a cancel ends it
//! (`docs/URING-NET.md`, decision 8; the protocol is in `docs/URING-OPS.md`, "TCP accepts").
//!
//! What a completion creates: a connection's fd. One nobody takes (the listener was dropped,
//! or dropped with connections queued, or the completion came after) is closed in `release`.
//! The listening fd: the operation holds a clone of the listener's `Arc<SocketFd>`
//! (`rt/uring/socket_fd.rs`), dropped with its cell after the final completion, so the number
//! the entry names stays open (and is never reused) while the kernel may act on it.

use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::rt::uring::multishot::{submit_multishot_local, MultishotOperation, OpStream};
use crate::rt::uring::ring::Ring;
use crate::rt::uring::socket_fd::SocketFd;
use crate::rt::uring::Completion;
use io_uring::{opcode, squeue, types};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// The opcode (the probe gates on it; multishot accepts came with Linux 5.19, which the rings
/// already require for their cancel of everything, `probe.rs`).
pub(crate) const OPCODE: u8 = opcode::AcceptMulti::CODE;

/// Connections a listener may leave accepted and untaken before its multishot accept is
/// cancelled: a listener nobody accepts from leaves the rest in the kernel's backlog (which
/// `listen` bounds, and where the kernel refuses or drops beyond it), and holds at most this
/// many fds (plus those accepted before the cancel lands). The next accept re-arms.
pub(crate) const QUEUE_CAP: usize = 128;

/// The operation: the listening socket (its listener's fd holder), and the ring it is armed
/// on, whose `waiting_accepts` counts it until its final completion is taken or released.
pub(crate) struct AcceptMulti {
    fd: Arc<SocketFd>,
    ring: Option<Arc<Ring>>,
}

impl AcceptMulti {
    /// The request has ended (its final completion is being taken or released): it no longer
    /// waits on its ring.
    fn ended(&mut self, completion: &Completion) {
        if !io_uring::cqueue::more(completion.flags()) {
            if let Some(ring) = self.ring.take() {
                // Relaxed: a hint (`LocalRing::only_accepts_wait`).
                ring.waiting_accepts.fetch_sub(1, Relaxed);
            }
        }
    }
}

// SAFETY: the entry points at no memory (no address is asked for: a multishot accept has
// nowhere to put one per connection); it names `fd.raw()`, open while any holder of `fd`
// lives (`socket_fd.rs`: the listener owns it until its drop hands it to the holder, whose
// last clone closes it), and the operation holds a clone until it is dropped with its cell,
// after the final completion; building it gives up nothing; it is one multishot accept,
// touching no other request or ring, whose every completion but the last has `F_MORE`.
unsafe impl MultishotOperation for AcceptMulti {
    const OPCODE: u8 = OPCODE;
    type Item = io::Result<OwnedFd>;

    fn entry(&mut self) -> squeue::Entry {
        opcode::AcceptMulti::new(types::Fd(self.fd.raw()))
            .flags(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
            .build()
    }

    fn item(&mut self, completion: Completion) -> io::Result<OwnedFd> {
        self.ended(&completion);
        let fd = completion.io_result()?;
        // SAFETY: a successful accept's result is a new fd, handed to this completion alone;
        // `item` or `release` sees each completion once (`multishot.rs`, steps 2 to 4).
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    fn release(&mut self, completion: Completion) {
        self.ended(&completion);
        if completion.result() >= 0 {
            // SAFETY: as in `item`: a new fd nobody else has seen, closed here.
            drop(unsafe { OwnedFd::from_raw_fd(completion.result()) });
        }
    }
}

/// What an accept finds next on an armed multishot accept.
pub(crate) enum Event {
    /// An accepted connection (counted on the ring).
    Conn(OwnedFd),
    /// The accept failed (`EMFILE`, `ENFILE`, `ECONNABORTED`, ...): reported to the caller as
    /// `accept(2)`'s error would be. The request has ended: arm again to go on.
    Error(io::Error),
    /// The request ended without an error to report: the cap's cancel or the runtime's
    /// (`ECANCELED`), or the kernel stopped it (a full CQ). Arm again to go on.
    Ended,
    /// The entry never reached a kernel (the runtime shut down): accept through epoll.
    Refused,
}

/// An armed multishot accept of one listener.
pub(crate) struct Acceptor {
    stream: OpStream<AcceptMulti>,
}

impl Acceptor {
    /// Arms an accept of the listener `fd` holds on the calling worker's ring. `None` on a
    /// thread that is not a worker holding its core.
    pub(crate) fn arm(fd: &Arc<SocketFd>) -> Option<Acceptor> {
        let stream = submit_multishot_local(QUEUE_CAP, |local| {
            let ring = local.ring();
            ring.metrics.accept_arms.fetch_add(1, Relaxed);
            // Relaxed: a hint (`LocalRing::only_accepts_wait`).
            ring.waiting_accepts.fetch_add(1, Relaxed);
            Some(AcceptMulti {
                fd: fd.clone(),
                ring: Some(ring.clone()),
            })
        })?;
        Some(Acceptor { stream })
    }

    /// The next event; registers `cx`'s waker if there is none yet.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        let next = ready!(self.stream.poll_next(cx));
        Poll::Ready(match next {
            Some(Ok(Ok(fd))) => {
                if let Some(ring) = self.stream.ring() {
                    ring.metrics.accepts.fetch_add(1, Relaxed);
                }
                Event::Conn(fd)
            }
            Some(Ok(Err(e))) if e.raw_os_error() == Some(libc::ECANCELED) => Event::Ended,
            Some(Ok(Err(e))) => Event::Error(e),
            Some(Err(_)) => Event::Refused,
            None => Event::Ended,
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::AcceptMulti;
    use crate::rt::uring::multishot::MultishotOperation;
    use crate::rt::uring::socket_fd::SocketFd;
    use crate::rt::uring::Completion;
    use io_uring::IoUring;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::sync::Arc;

    fn is_open(raw: i32) -> bool {
        // SAFETY: F_GETFD reads the fd's flags; it touches no memory.
        unsafe { libc::fcntl(raw, libc::F_GETFD) >= 0 }
    }

    /// The operation on a plain ring (no runtime): one entry accepts two connections (each
    /// with `F_MORE`, non-blocking and close-on-exec), `item` hands an fd over, `release`
    /// closes an untaken one (its peer reads end-of-file), and a cancel ends the request.
    #[test]
    fn items_release_and_cancel_of_a_real_accept() {
        let Ok(mut uring) = IoUring::new(8) else {
            return; // no io_uring here
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut op = AcceptMulti {
            // SAFETY: `listener` owns the fd and outlives the holder and the ring.
            fd: Arc::new(unsafe { SocketFd::new(listener.as_raw_fd()) }),
            ring: None,
        };
        let entry = op.entry().user_data(7);
        // SAFETY: the entry names `listener`'s fd, alive until after the ring is dropped.
        unsafe { uring.submission().push(&entry).unwrap() };
        uring.submit().unwrap();
        let _a = TcpStream::connect(addr).unwrap();
        let mut b = TcpStream::connect(addr).unwrap();
        uring.submit_and_wait(2).unwrap();
        let cqes: Vec<_> = uring
            .completion()
            .map(|c| Completion::new(c.result(), c.flags()))
            .collect();
        assert_eq!(cqes.len(), 2, "{cqes:?}");
        assert!(cqes.iter().all(|c| io_uring::cqueue::more(c.flags())));
        let taken = op.item(cqes[0]).unwrap();
        // SAFETY: F_GETFL/F_GETFD read flags of an fd we own.
        let (fl, fd_flags) = unsafe {
            (
                libc::fcntl(taken.as_raw_fd(), libc::F_GETFL),
                libc::fcntl(taken.as_raw_fd(), libc::F_GETFD),
            )
        };
        assert_ne!(fl & libc::O_NONBLOCK, 0, "accepted non-blocking");
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0, "accepted close-on-exec");
        let released = cqes[1].result();
        op.release(cqes[1]);
        assert!(!is_open(released) || released == taken.as_raw_fd());
        // `b` was accepted second: its server side is closed, so it reads end-of-file.
        b.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        assert_eq!(b.read(&mut [0; 1]).unwrap(), 0);
        // A cancel ends the request: one final completion without `F_MORE`.
        let cancel = io_uring::opcode::AsyncCancel::new(7).build().user_data(8);
        // SAFETY: the cancel entry points at no memory.
        unsafe { uring.submission().push(&cancel).unwrap() };
        uring.submit_and_wait(2).unwrap();
        let end = uring
            .completion()
            .find(|c| c.user_data() == 7)
            .expect("the accept's final completion");
        assert!(!io_uring::cqueue::more(end.flags()));
        assert_eq!(end.result(), -libc::ECANCELED);
        drop(uring);
    }
}
