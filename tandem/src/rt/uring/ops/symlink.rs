//! `IORING_OP_SYMLINKAT`: `symlink`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// `symlink(2)`: a symbolic link at `link` pointing to `target`.
pub(crate) struct Symlink {
    pub(crate) target: PathBuf,
    pub(crate) link: PathBuf,
}

impl Call for Symlink {
    const CODE: u8 = opcode::SymlinkAt::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        let op = SymlinkAt {
            target: super::cstring(&self.target)?,
            link: super::cstring(&self.link)?,
        };
        OpFuture::routed(uring, op).await?
    }

    fn blocking(self) -> io::Result<()> {
        std::os::unix::fs::symlink(self.target, self.link)
    }
}

/// The ring's operation, which owns the paths as the kernel reads them.
struct SymlinkAt {
    target: CString,
    link: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl Operation for SymlinkAt {
    const OPCODE: u8 = opcode::SymlinkAt::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        opcode::SymlinkAt::new(
            types::Fd(libc::AT_FDCWD),
            self.target.as_ptr(),
            self.link.as_ptr(),
        )
        .build()
    }
}
