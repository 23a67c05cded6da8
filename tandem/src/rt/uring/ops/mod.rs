//! One io_uring opcode per file: the operation's owned data, its SQE, what its completion
//! creates (and how a cancelled one releases it), and the async function `fs/backend.rs` calls.
//! Each also carries its blocking pool's half, `blocking`: the same system call made on the
//! calling thread (through std where std makes it), which `fs/backend.rs` runs on the pool when
//! the route says so. Not `statx.rs` (the size query is made inline or by `fs/backend.rs`) nor
//! `close.rs` (its blocking half is dropping the `File`).
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `close.rs` | `IORING_OP_CLOSE`: close an fd and report the error close(2) would give |
//! | `fsync.rs` | `IORING_OP_FSYNC`: `sync_all` and (with DATASYNC) `sync_data` |
//! | `ftruncate.rs` | `IORING_OP_FTRUNCATE` (Linux 6.9): `set_len` |
//! | `link.rs` | `IORING_OP_LINKAT`: `hard_link` |
//! | `mkdir.rs` | `IORING_OP_MKDIRAT`: `create_dir` |
//! | `open.rs` | `IORING_OP_OPENAT`: open a path; a cancelled open closes the fd it produced |
//! | `read.rs` | `IORING_OP_READ`: read into an owned buffer, at an offset or at the file position |
//! | `rename.rs` | `IORING_OP_RENAMEAT`: `fs::rename` |
//! | `statx.rs` | `IORING_OP_STATX`: probed, and used only to decide the route |
//! | `symlink.rs` | `IORING_OP_SYMLINKAT`: `symlink` |
//! | `unlink.rs` | `IORING_OP_UNLINKAT`: `remove_file`, and `remove_dir` with AT_REMOVEDIR |
//! | `write.rs` | `IORING_OP_WRITE`: write from an owned buffer, at an offset or at the file position |
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
