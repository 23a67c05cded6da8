//! `IORING_OP_RECV` with `IORING_RECV_MULTISHOT` and `IOSQE_BUFFER_SELECT`: a stream socket's
//! receive, armed once on a worker's ring, that posts a completion per chunk received into a
//! buffer of that ring's group (`buf_group.rs`), until end-of-file, an error, an empty group
//! (`ENOBUFS`) or a cancel ends it (`docs/URING-NET.md`, decisions 1, 3 and 9).
//!
//! What a completion creates: a taken buffer (`TakenBuf`). A completion nobody takes (the
//! stream was dropped, or dropped with chunks queued) gives it back in `release`. The fd: the
//! operation holds a clone of the stream's `Arc<SocketFd>` (`rt/uring/socket_fd.rs`), the
//! socket's own fd, no duplicate; the operation is dropped with its cell, after its final
//! completion, so the number the entry names stays open (and is never reused) while the kernel
//! may still act on it. A dropped stream hands the fd to the holder; the last holder closes it.

use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::rt::uring::buf_group::{BufGroup, TakenBuf};
use crate::rt::uring::multishot::{submit_multishot_local, MultishotOperation, OpStream};
use crate::rt::uring::socket_fd::SocketFd;
use crate::rt::uring::Completion;
use io_uring::{opcode, squeue, types};
use std::io;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// Chunks a stream may leave queued before its receive is cancelled (`docs/URING-NET.md`,
/// decision 4): a lagging reader then holds at most this many of its ring's buffers (plus the
/// one it reads from, and those the kernel fills before the cancel lands), and the rest waits
/// in the socket, under TCP flow control. The next read after the queue drains re-arms.
const QUEUE_CAP: usize = 4;

/// The operation: the socket (its stream's fd holder) and the group its buffers come from.
pub(crate) struct RecvMulti {
    fd: Arc<SocketFd>,
    group: Arc<BufGroup>,
}

/// One completion, made an item.
pub(crate) enum Chunk {
    Data(TakenBuf),
    Eof,
    Error(io::Error),
}

// SAFETY: the entry points at no memory (the kernel picks a buffer of `group`, which the ring
// that registered it keeps alive until its fd closes, `ring/mod.rs`); it names `fd.raw()`, open
// while any holder of `fd` lives (`socket_fd.rs`: the stream owns it until its drop hands it
// to the holder, whose last clone closes it), and the operation holds a clone until it is
// dropped with its cell, after the final completion; building it gives up nothing; it is one multishot receive, touching no other
// request or ring. It is pushed only by `submit_multishot_local`, on the ring whose group
// `group` is (`Receive::arm`), which keeps `IOSQE_BUFFER_SELECT`.
unsafe impl MultishotOperation for RecvMulti {
    const OPCODE: u8 = opcode::RecvMulti::CODE;
    type Item = Chunk;

    fn entry(&mut self) -> squeue::Entry {
        opcode::RecvMulti::new(types::Fd(self.fd.raw()), self.group.id()).build()
    }

    fn item(&mut self, completion: Completion) -> Chunk {
        let res = completion.result();
        // SAFETY: a completion of this receive, pushed on the ring `group` is registered with
        // and naming it (`Receive::arm`); `item` or `release` sees each completion once.
        let buf = unsafe { self.group.take(completion.flags(), res.max(0) as u32) };
        // A buffer that came with an end or an error (none should) is given back as it drops.
        match (res, buf) {
            (1.., Some(buf)) => Chunk::Data(buf),
            (1.., None) => unreachable!("a receive of {res} bytes named no buffer"),
            (0, _) => Chunk::Eof,
            (..0, _) => Chunk::Error(io::Error::from_raw_os_error(-res)),
        }
    }

    fn release(&mut self, completion: Completion) {
        // SAFETY: as in `item`; the buffer, if any, is given back as the `TakenBuf` drops.
        drop(unsafe {
            self.group
                .take(completion.flags(), completion.result().max(0) as u32)
        });
    }
}

/// What a reader finds next on an armed receive.
pub(crate) enum Event {
    /// Received bytes, in order.
    Data(TakenBuf),
    /// The peer shut down its side: every later receive is empty.
    Eof,
    /// The receive failed (a reset); it has ended.
    Error(io::Error),
    /// The ring's buffer group ran dry (`ENOBUFS`): the receive ended, the bytes wait in the
    /// socket. Counted on the ring.
    NoBuffers,
    /// The kernel cannot receive multishot (before 6.0: `EINVAL`): use epoll.
    Unsupported,
    /// The receive ended without an error (the kernel stops a multishot request by itself, on
    /// a full CQ; or the runtime cancelled it at shutdown): arm again to go on.
    Ended,
}

/// An armed multishot receive of one socket.
pub(crate) struct Receive {
    stream: OpStream<RecvMulti>,
}

impl Receive {
    /// Arms a receive of the socket `fd` holds on the calling worker's ring. `None` on a thread
    /// that is not a worker holding its core, or whose ring has no buffer group.
    pub(crate) fn arm(fd: &Arc<SocketFd>) -> Option<Receive> {
        let stream = submit_multishot_local(QUEUE_CAP, |local| {
            let group = local.buf_group()?.clone();
            local.ring().metrics.recv_arms.fetch_add(1, Relaxed);
            Some(RecvMulti {
                fd: fd.clone(),
                group,
            })
        })?;
        Some(Receive { stream })
    }

    /// Whether this receive's ring is the calling worker's; `None` off the workers.
    pub(crate) fn is_on_this_worker(&self) -> Option<bool> {
        let ring = self.stream.ring()?;
        crate::rt::uring::with_local_ring(|local, _| Arc::ptr_eq(local.ring(), ring))
    }

    /// Ends the receive so that the next read re-arms it on the reader's worker
    /// (`net/uring_recv.rs`, step 7): what was received is still read first, in order.
    /// Counted on the ring (`recv_follows`).
    pub(crate) fn end_to_follow(&mut self) {
        if let Some(ring) = self.stream.ring() {
            ring.metrics.recv_follows.fetch_add(1, Relaxed);
        }
        self.stream.end();
    }

    /// Ends the receive (the events still to come, chunks received before the cancel lands and
    /// the final one, are delivered as before), and on its own worker the cancel goes into the
    /// kernel now rather than at the worker's next flush: bytes that arrive after this are not
    /// taken.
    pub(crate) fn end_now(&mut self) {
        self.stream.end();
        if let Some(ring) = self.stream.ring() {
            crate::rt::uring::submit_local_now(Some(ring));
        }
    }

    /// Ready once the receive's final completion has come: every chunk it took is queued
    /// (`OpStream::poll_final`).
    pub(crate) fn poll_final(&self, cx: Option<&mut Context<'_>>) -> Poll<()> {
        self.stream.poll_final(cx)
    }

    /// The next event; registers `cx`'s waker if there is none yet.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        let next = ready!(self.stream.poll_next(cx));
        Poll::Ready(self.event(next))
    }

    /// The next event if one is there, registering no waker.
    pub(crate) fn try_next(&mut self) -> Poll<Event> {
        let next = ready!(self.stream.try_next());
        Poll::Ready(self.event(next))
    }

    fn event(&self, next: Option<io::Result<Chunk>>) -> Event {
        match next {
            Some(Ok(Chunk::Data(buf))) => Event::Data(buf),
            Some(Ok(Chunk::Eof)) => Event::Eof,
            Some(Ok(Chunk::Error(e))) => match e.raw_os_error() {
                Some(libc::ENOBUFS) => {
                    if let Some(ring) = self.stream.ring() {
                        ring.metrics.recv_enobufs.fetch_add(1, Relaxed);
                    }
                    Event::NoBuffers
                }
                Some(libc::EINVAL) => Event::Unsupported,
                Some(libc::ECANCELED) => Event::Ended,
                _ => Event::Error(e),
            },
            // The entry never reached a kernel (the runtime shut down).
            Some(Err(e)) => Event::Error(e),
            None => Event::Ended,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Chunk, RecvMulti};
    use crate::rt::uring::buf_group::BufGroupOwner;
    use crate::rt::uring::multishot::MultishotOperation;
    use crate::rt::uring::socket_fd::SocketFd;
    use crate::rt::uring::Completion;
    use io_uring::IoUring;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    /// The operation on a plain ring (no runtime): its entry receives into the group, `item`
    /// turns completions into chunks and end-of-file, and `release` gives an untaken chunk's
    /// buffer back.
    #[test]
    fn items_and_release_of_a_real_receive() {
        let Ok(mut uring) = IoUring::new(8) else {
            return; // no io_uring here
        };
        let Ok(mut owner) = BufGroupOwner::register(&uring, 5, 4, 16) else {
            return; // no buffer rings (before 5.19)
        };
        let (mut tx, rx) = UnixStream::pair().unwrap();
        let mut op = RecvMulti {
            // SAFETY: `rx` owns the fd and outlives the holder and the ring (dropped first).
            fd: Arc::new(unsafe { SocketFd::new(rx.as_raw_fd()) }),
            group: owner.group().clone(),
        };
        let entry = op.entry().user_data(7);
        // SAFETY: the entry names `rx`'s fd (which `op`'s holder names, never adopted: `rx`
        // owns it) and the group, all alive until the ring is dropped at the end of this test
        // (after its last completion is reaped); `rx` drops after the ring.
        unsafe { uring.submission().push(&entry).unwrap() };
        tx.write_all(b"hello").unwrap();
        uring.submit_and_wait(1).unwrap();
        let cqes: Vec<_> = uring
            .completion()
            .map(|c| Completion::new(c.result(), c.flags()))
            .collect();
        let Chunk::Data(buf) = op.item(cqes[0]) else {
            panic!("a chunk expected: {cqes:?}");
        };
        assert_eq!(&*buf, b"hello");
        // A chunk nobody takes goes back to the group.
        tx.write_all(b"lost").unwrap();
        uring.submit_and_wait(1).unwrap();
        let cqe = uring.completion().next().unwrap();
        op.release(Completion::new(cqe.result(), cqe.flags()));
        assert_eq!(owner.republish(), 1);
        drop(buf);
        assert_eq!(owner.republish(), 1);
        // End-of-file ends the receive.
        drop(tx);
        uring.submit_and_wait(1).unwrap();
        let cqe = uring.completion().next().unwrap();
        assert!(!io_uring::cqueue::more(cqe.flags()));
        assert!(matches!(
            op.item(Completion::new(cqe.result(), cqe.flags())),
            Chunk::Eof
        ));
        drop(uring);
    }
}
