//! One io_uring opcode per file: the operation's owned data, its SQE, what its completion
//! creates (and how a cancelled one releases it), and the async function `fs/backend.rs` calls.
//! The calls without a buffer (fsync, ftruncate, rename, unlink, mkdir, link, symlink) also carry
//! their blocking pool's half, `blocking`: the same call made through std on the calling thread,
//! which `fs/backend.rs` runs on the pool when the route says so.
//!
//! Every function here takes the runtime's `Rings` (from `Handle::route`), so the choice between
//! io_uring and the blocking pool is made once, by the caller, per opcode.

pub(crate) mod close;
pub(crate) mod fsync;
pub(crate) mod ftruncate;
pub(crate) mod link;
pub(crate) mod mkdir;
pub(crate) mod open;
pub(crate) mod read;
pub(crate) mod rename;
pub(crate) mod statx;
pub(crate) mod symlink;
pub(crate) mod unlink;
pub(crate) mod write;

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A path as the kernel wants it, with std's error for an interior NUL.
pub(crate) fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "file name contained an unexpected NUL byte",
        )
    })
}

/// The most bytes one read or write asks for (Linux caps a transfer at this anyway).
pub(crate) const MAX_RW: usize = 0x7fff_f000;
