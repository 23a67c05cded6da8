//! `IORING_OP_MKDIRAT`: `create_dir`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::Path;

pub(crate) const CODE: u8 = opcode::MkDirAt::CODE;

struct MkDir {
    path: CString,
    mode: libc::mode_t,
}

// SAFETY: the entry points at the heap C string the op owns.
unsafe impl OpCode for MkDir {
    fn entry(&mut self) -> squeue::Entry {
        opcode::MkDirAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .mode(self.mode)
            .build()
    }
}

pub(crate) async fn mkdir(rings: Uring, path: &Path, mode: libc::mode_t) -> io::Result<()> {
    let op = MkDir {
        path: super::cstring(path)?,
        mode,
    };
    let (result, _op) = Op::new(rings, op).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `mkdir(2)` with permission bits `mode` (before the umask) on the
/// calling thread, as std makes it.
pub(crate) fn blocking(path: &Path, mode: libc::mode_t) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(mode).create(path)
}
