//! `IORING_OP_UNLINKAT`: `remove_file`, and `remove_dir` with AT_REMOVEDIR.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// `unlink(2)` of a file, or `rmdir(2)` of an empty directory if `dir`.
pub(crate) struct Unlink {
    pub(crate) path: PathBuf,
    pub(crate) dir: bool,
}

impl Call for Unlink {
    const CODE: u8 = opcode::UnlinkAt::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        let op = UnlinkAt {
            path: super::cstring(&self.path)?,
            dir: self.dir,
        };
        OpFuture::routed(uring, op).await?
    }

    fn blocking(self) -> io::Result<()> {
        if self.dir {
            std::fs::remove_dir(self.path)
        } else {
            std::fs::remove_file(self.path)
        }
    }
}

/// The ring's operation, which owns the path as the kernel reads it.
struct UnlinkAt {
    path: CString,
    dir: bool,
}

// SAFETY: the entry points at the heap C string the op owns.
unsafe impl Operation for UnlinkAt {
    const OPCODE: u8 = opcode::UnlinkAt::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        let flags = if self.dir { libc::AT_REMOVEDIR } else { 0 };
        opcode::UnlinkAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(flags)
            .build()
    }
}
