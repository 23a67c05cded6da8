//! `IORING_OP_RENAMEAT`: `fs::rename`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// `rename(2)` of `from` to `to`.
pub(crate) struct Rename {
    pub(crate) from: PathBuf,
    pub(crate) to: PathBuf,
}

impl Call for Rename {
    const CODE: u8 = opcode::RenameAt::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        let op = RenameAt {
            from: super::cstring(&self.from)?,
            to: super::cstring(&self.to)?,
        };
        OpFuture::routed(uring, op).await?
    }

    fn blocking(self) -> io::Result<()> {
        std::fs::rename(self.from, self.to)
    }
}

/// The ring's operation, which owns the paths as the kernel reads them.
struct RenameAt {
    from: CString,
    to: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl Operation for RenameAt {
    const OPCODE: u8 = opcode::RenameAt::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        let cwd = types::Fd(libc::AT_FDCWD);
        opcode::RenameAt::new(cwd, self.from.as_ptr(), cwd, self.to.as_ptr()).build()
    }
}
