//! `IORING_OP_LINKAT`: `hard_link`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::Path;

pub(crate) const CODE: u8 = opcode::LinkAt::CODE;

struct Link {
    src: CString,
    dst: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl OpCode for Link {
    fn entry(&mut self) -> squeue::Entry {
        let cwd = types::Fd(libc::AT_FDCWD);
        opcode::LinkAt::new(cwd, self.src.as_ptr(), cwd, self.dst.as_ptr()).build()
    }
}

pub(crate) async fn hard_link(rings: Uring, src: &Path, dst: &Path) -> io::Result<()> {
    let op = Link {
        src: super::cstring(src)?,
        dst: super::cstring(dst)?,
    };
    let (result, _op) = Op::new(rings, op).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `link(2)` on the calling thread, as std makes it.
pub(crate) fn blocking(src: &Path, dst: &Path) -> io::Result<()> {
    std::fs::hard_link(src, dst)
}
