//! Stream writes that cannot raise SIGPIPE.
//!
//! `write(2)`/`writev(2)` on a stream socket whose peer is gone raise SIGPIPE, which kills the
//! process unless it ignores the signal. Rust binaries ignore it by default, but a library must
//! not rely on that (a C host program, or a test that restored the default, would die). These
//! helpers use `send(2)`/`sendmsg(2)` with `MSG_NOSIGNAL` instead: the caller gets `EPIPE`
//! (`BrokenPipe`) or `ECONNRESET` (`ConnectionReset`).

use socket2::SockRef;
use std::io::{self, IoSlice};
use std::os::fd::AsFd;

/// `send(2)` with `MSG_NOSIGNAL`.
pub(crate) fn send(sock: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(sock).send_with_flags(buf, libc::MSG_NOSIGNAL)
}

/// `sendmsg(2)` with `MSG_NOSIGNAL`.
pub(crate) fn send_vectored(sock: &impl AsFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    SockRef::from(sock).send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
}
