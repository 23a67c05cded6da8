//! `IORING_OP_RENAMEAT`: `fs::rename`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::Path;

pub(crate) const CODE: u8 = opcode::RenameAt::CODE;

struct Rename {
    from: CString,
    to: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl OpCode for Rename {
    fn entry(&mut self) -> squeue::Entry {
        let cwd = types::Fd(libc::AT_FDCWD);
        opcode::RenameAt::new(cwd, self.from.as_ptr(), cwd, self.to.as_ptr()).build()
    }
}

pub(crate) async fn rename(rings: Uring, from: &Path, to: &Path) -> io::Result<()> {
    let op = Rename {
        from: super::cstring(from)?,
        to: super::cstring(to)?,
    };
    let (result, _op) = Op::new(rings, op).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `rename(2)` on the calling thread, as std makes it.
pub(crate) fn blocking(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}
