//! `SocketFd`: a stream socket's fd number as ring entries name it, and, once the stream is
//! gone, the fd itself (`docs/URING-NET.md`, decision 9 as built).
//!
//! Under `Builder::net_io_uring` a `TcpStream` or `UnixStream` (their shared `net/stream_io.rs`)
//! makes one `Arc<SocketFd>` when it is created
//! (an allocation, no syscall). Its receive (`ops/recv_multi.rs`) and its send queue
//! (`ops/send.rs`) hold clones, and every entry they push names `raw()`. The fd is the
//! socket's own: no `dup`, one fd per connection.
//!
//! # Ownership
//! 1. While the stream lives, the stream owns the fd (its `mio` socket); the holder only names
//!    it. Every holder clone is taken from the stream (or from an op holding one), so none
//!    exists before the stream, and the number is open from the holder's creation on.
//! 2. The stream's drop leaves epoll first (`PollEvented::take_inner` deregisters), then hands
//!    the fd to the holder ([`SocketFd::adopt`]) instead of closing it, then drops its clone.
//!    The last clone's drop closes the fd, exactly once (`OwnedFd`'s drop, `close(2)`). An op
//!    drops its clone only after its final completion (a multishot receive's cell after the
//!    CQE without `MORE`, a send's after its one CQE), so the number stays open, and is never
//!    reused, while the kernel may act on an entry naming it.
//! 3. `into_std` (`StreamIo::into_fd`) hands the fd to the caller, who may close it at once. So it first
//!    drops the stream's receive (a cancel) and send queue; if no op then holds the holder
//!    (`Arc::try_unwrap` succeeds), nothing names the fd and it is returned as it is. Otherwise
//!    (a receive whose cancel has not completed, sends in flight) the caller gets a `dup` and
//!    the holder adopts the original, closed after the last completion: the rare path keeps
//!    the one duplicate it needs.
//! 4. A stream leaked (`mem::forget`) never adopts: its fd leaks open with it, so a holder's
//!    number is still never reused.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

/// A socket's fd number, and its ownership once the stream hands it over.
pub(crate) struct SocketFd {
    raw: RawFd,
    /// The fd, adopted from the dropped stream; closed when the last holder drops.
    owned: OnceLock<OwnedFd>,
}

impl SocketFd {
    /// A holder naming `raw`, the fd of a stream that owns it and will hand it over at its
    /// drop (`adopt`), or return it from `into_std` only when no other holder is left.
    ///
    /// # Safety
    /// `raw` must stay open, as this socket, while any clone of the holder lives: its owner
    /// closes it only by `adopt`ing it here, or once no other clone is left (rules 1 to 3
    /// above). Ring entries name `raw()` on that promise (I/O safety: a reused number would
    /// send or receive on another file).
    pub(crate) unsafe fn new(raw: RawFd) -> SocketFd {
        SocketFd {
            raw,
            owned: OnceLock::new(),
        }
    }

    /// The fd number entries name. Open while this holder lives (the module's ownership rules).
    pub(crate) fn raw(&self) -> RawFd {
        self.raw
    }

    /// Takes ownership of the fd (the stream's drop, or `into_std`'s rare path, after leaving
    /// epoll): closed when the last holder drops.
    pub(crate) fn adopt(&self, fd: OwnedFd) {
        debug_assert_eq!(fd.as_raw_fd(), self.raw, "adopted another fd");
        if let Err(fd) = self.owned.set(fd) {
            // Adopted twice: the stream drops once, so this cannot happen. Closing this one
            // could close a number another holder's entry names: leak it instead.
            debug_assert!(false, "fd {} adopted twice", self.raw);
            std::mem::forget(fd);
        }
    }
}

impl std::fmt::Debug for SocketFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketFd")
            .field("raw", &self.raw)
            .field("adopted", &self.owned.get().is_some())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SocketFd;
    use std::io::Read;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;

    fn is_open(raw: i32) -> bool {
        // SAFETY: F_GETFD reads the fd's flags; it touches no memory.
        unsafe { libc::fcntl(raw, libc::F_GETFD) >= 0 }
    }

    /// The fd closes at the last holder's drop after adoption, not before; a holder never
    /// adopting closes nothing.
    #[test]
    fn the_last_holder_closes_the_adopted_fd() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let raw = a.as_raw_fd();
        // SAFETY: `a` stays open until it is adopted, and the holder closes it.
        let holder = Arc::new(unsafe { SocketFd::new(raw) });
        let op = holder.clone();
        holder.adopt(OwnedFd::from(a));
        drop(holder);
        assert!(is_open(raw), "an op still holds it");
        assert!(b.read(&mut [0; 1]).is_err(), "open: no end-of-file yet");
        assert_eq!(op.raw(), raw);
        drop(op);
        // Closed by the last holder: the peer reads end-of-file (the number itself may be
        // reused at once by another test's thread).
        assert_eq!(b.read(&mut [0; 1]).unwrap(), 0);

        let (c, _d) = UnixStream::pair().unwrap();
        // SAFETY: no entry names it; `c` outlives the holder.
        drop(Arc::new(unsafe { SocketFd::new(c.as_raw_fd()) }));
        assert!(is_open(c.as_raw_fd()), "not adopted: still the stream's");
    }
}
