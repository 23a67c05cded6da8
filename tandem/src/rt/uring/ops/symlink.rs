//! `IORING_OP_SYMLINKAT`: `symlink`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::Path;

pub(crate) const CODE: u8 = opcode::SymlinkAt::CODE;

struct Symlink {
    target: CString,
    link: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl OpCode for Symlink {
    fn entry(&mut self) -> squeue::Entry {
        opcode::SymlinkAt::new(
            types::Fd(libc::AT_FDCWD),
            self.target.as_ptr(),
            self.link.as_ptr(),
        )
        .build()
    }
}

/// Creates `link` pointing at `target`.
pub(crate) async fn symlink(rings: Uring, target: &Path, link: &Path) -> io::Result<()> {
    let op = Symlink {
        target: super::cstring(target)?,
        link: super::cstring(link)?,
    };
    let (result, _op) = Op::new(rings, op).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `symlink(2)` on the calling thread, as std makes it.
pub(crate) fn blocking(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}
