//! One io_uring opcode per file, each a call with both of its halves: the operation's owned
//! data, its SQE, what its completion creates (and how a cancelled one releases it, its
//! `OpCode::release`), and the same system call made on the calling thread (through std where
//! std makes it), which `fs/backend.rs` runs on the blocking pool when the route says so. The
//! halves meet in one of two traits, [`Call`] and, for the calls that move a buffer, [`BufCall`],
//! so `fs/backend.rs` routes every one the same way. Two are not calls: `close.rs`, whose
//! blocking half is dropping the `File` and whose ring half is never awaited, and `statx.rs`,
//! the size query, whose io_uring half is made inline (`fs/backend/inline.rs`).
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `accept_multi.rs` | `IORING_OP_ACCEPT`, multishot: a TCP listener's accepts (`docs/URING-NET.md`, decision 8); an fd nobody takes is closed. Not a `Call`: `net/tcp/uring_accept.rs` falls back to epoll itself |
//! | `close.rs` | `IORING_OP_CLOSE`: close an fd and report the error close(2) would give |
//! | `fsync.rs` | `IORING_OP_FSYNC`: `sync_all` and (with DATASYNC) `sync_data` |
//! | `ftruncate.rs` | `IORING_OP_FTRUNCATE` (Linux 6.9): `set_len` |
//! | `link.rs` | `IORING_OP_LINKAT`: `hard_link` |
//! | `mkdir.rs` | `IORING_OP_MKDIRAT`: `create_dir` |
//! | `open.rs` | `IORING_OP_OPENAT`: open a path; a cancelled open closes the fd it produced |
//! | `read.rs` | `IORING_OP_READ`: read into an owned buffer, at an offset or at the file position |
//! | `recv_multi.rs` | `IORING_OP_RECV`, multishot, into the worker ring's provided buffers: a stream socket's receive, TCP or Unix (`docs/URING-NET.md`); a chunk nobody takes goes back to its group. Not a `Call`: `net/uring_recv.rs` falls back to epoll itself |
//! | `rename.rs` | `IORING_OP_RENAMEAT`: `fs::rename` |
//! | `send.rs` | `IORING_OP_SEND` (`MSG_NOSIGNAL`): a stream socket's sends (TCP or Unix) behind its bounded send buffer; each completion submits the next send on the same ring (`docs/URING-NET.md`, decision 6). Not a `Call`: `net/stream_io.rs` writes through the socket itself off the workers |
//! | `statx.rs` | the size query, routed by `IORING_OP_STATX` (which the kernel always punts, so never submitted): its answer, and the pool's half |
//! | `symlink.rs` | `IORING_OP_SYMLINKAT`: `symlink` |
//! | `unlink.rs` | `IORING_OP_UNLINKAT`: `remove_file`, and `remove_dir` with AT_REMOVEDIR |
//! | `write.rs` | `IORING_OP_WRITE`: write from an owned buffer, at an offset or at the file position |
//!
//! The ring half takes the runtime's [`Uring`] proof (from `UringHandle::route`), so the choice
//! between io_uring and the blocking pool is made once, by the caller, per opcode.

pub(crate) mod accept_multi;
pub(crate) mod close;
pub(crate) mod fsync;
pub(crate) mod ftruncate;
pub(crate) mod link;
pub(crate) mod mkdir;
pub(crate) mod open;
pub(crate) mod read;
pub(crate) mod recv_multi;
pub(crate) mod rename;
pub(crate) mod send;
pub(crate) mod statx;
pub(crate) mod symlink;
pub(crate) mod unlink;
pub(crate) mod write;

use std::ffi::CString;
use std::future::Future;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::Uring;

/// A file-system call with both of its halves, which `fs/backend.rs` routes by [`Call::CODE`].
/// Both halves give std's results and errors for the same call.
pub(crate) trait Call: Send + Sized + 'static {
    /// The opcode the route is asked about.
    const CODE: u8;
    /// What the call gives on success.
    type Output: Send + 'static;
    /// The io_uring half, on the polling worker's ring.
    fn via_uring(self, uring: Uring) -> impl Future<Output = io::Result<Self::Output>> + Send;
    /// The blocking pool's half: the system call on the calling thread.
    fn blocking(self) -> io::Result<Self::Output>;
}

/// A call that moves a buffer to the kernel and hands it back with the result: a read or a
/// write. Its blocking half only borrows the call, so that the buffer comes back even from a
/// pool job dropped before it ran (at runtime shutdown).
pub(crate) trait BufCall: Send + Sized + 'static {
    /// The opcode the route is asked about.
    const CODE: u8;
    /// The buffer handed back.
    type Buf: Send + 'static;
    /// The io_uring half, on the polling worker's ring: bytes transferred, and the buffer.
    fn via_uring(self, uring: Uring)
        -> impl Future<Output = (io::Result<usize>, Self::Buf)> + Send;
    /// The blocking pool's half: the system call on the calling thread; bytes transferred.
    fn blocking(&mut self) -> io::Result<usize>;
    /// The buffer, given back whether or not the call ran.
    fn into_buf(self) -> Self::Buf;
}

/// A path as the kernel wants it, with std's error for an interior NUL.
pub(crate) fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| nul_in_path())
}

/// std's error for a path with an interior NUL byte.
pub(crate) fn nul_in_path() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "file name contained an unexpected NUL byte",
    )
}

/// The most bytes one read or write asks for (Linux caps a transfer at this anyway).
pub(crate) const MAX_RW: usize = 0x7fff_f000;

/// Calls `f` (a system call returning -1 on error) until it fails with something other than
/// `EINTR`. A `?` inside `f` ends the loop with that error.
pub(crate) fn retry_eintr<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<usize>
where
    T: TryInto<usize> + Copy + PartialEq + From<i8>,
{
    loop {
        let ret = f()?;
        if ret != T::from(-1) {
            return Ok(ret.try_into().unwrap_or_else(|_| {
                unreachable!("a system call's result other than -1 is not negative")
            }));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// An offset as `off_t`. An offset past `i64::MAX` would be negative, which the kernel rejects
/// with `EINVAL`; report that without the call.
pub(crate) fn off_t(offset: u64) -> io::Result<libc::off_t> {
    libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}
