//! The size query (`fs::read` sizing its buffer): routed by `IORING_OP_STATX`, which neither
//! half submits.
//!
//! The kernel always punts `IORING_OP_STATX` to its io-wq threads: a context switch and a
//! completion from another thread for every call (BENCHMARKS.md, the file-system section, has
//! what that cost small `fs::read`s). So where the route says io_uring, `fs/backend/inline.rs`
//! makes the query a `statx(2)` of the open fd on the worker itself, with `AT_STATX_DONT_SYNC`,
//! which reads the in-memory inode and never waits for a device or a server. A runtime without
//! rings, or a kernel without the opcode, takes the blocking pool for it: [`blocking`].

use io_uring::opcode;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileTypeExt;

pub(crate) const CODE: u8 = opcode::Statx::CODE;

/// What `fs::read` wants to know of a file it opened: its size, to size the buffer, and its type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SizeAndType {
    pub(crate) size: u64,
    /// A regular file: a short read means its end.
    pub(crate) regular: bool,
    /// A FIFO (or a pipe).
    pub(crate) fifo: bool,
}

/// The blocking pool's half: the size and type of an open file (`fstat`, through std).
pub(crate) fn blocking(file: &File) -> io::Result<SizeAndType> {
    let meta = file.metadata()?;
    Ok(SizeAndType {
        size: meta.len(),
        regular: meta.is_file(),
        fifo: meta.file_type().is_fifo(),
    })
}
