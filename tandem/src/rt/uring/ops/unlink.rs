//! `IORING_OP_UNLINKAT`: `remove_file`, and `remove_dir` with AT_REMOVEDIR.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::Path;

pub(crate) const CODE: u8 = opcode::UnlinkAt::CODE;

struct Unlink {
    path: CString,
    dir: bool,
}

// SAFETY: the entry points at the heap C string the op owns.
unsafe impl OpCode for Unlink {
    fn entry(&mut self) -> squeue::Entry {
        let flags = if self.dir { libc::AT_REMOVEDIR } else { 0 };
        opcode::UnlinkAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(flags)
            .build()
    }
}

/// Removes a file (`dir == false`) or an empty directory.
pub(crate) async fn unlink(rings: Uring, path: &Path, dir: bool) -> io::Result<()> {
    let op = Unlink {
        path: super::cstring(path)?,
        dir,
    };
    let (result, _op) = Op::new(rings, op).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `unlink(2)`, or `rmdir(2)` if `dir`, on the calling thread, as std
/// makes them.
pub(crate) fn blocking(path: &Path, dir: bool) -> io::Result<()> {
    if dir {
        std::fs::remove_dir(path)
    } else {
        std::fs::remove_file(path)
    }
}
