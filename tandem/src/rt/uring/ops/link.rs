//! `IORING_OP_LINKAT`: `hard_link`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// `link(2)`: a new name `dst` for the file `src`.
pub(crate) struct Link {
    pub(crate) src: PathBuf,
    pub(crate) dst: PathBuf,
}

impl Call for Link {
    const CODE: u8 = opcode::LinkAt::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        let op = LinkAt {
            src: super::cstring(&self.src)?,
            dst: super::cstring(&self.dst)?,
        };
        OpFuture::routed(uring, op).await?
    }

    fn blocking(self) -> io::Result<()> {
        std::fs::hard_link(self.src, self.dst)
    }
}

/// The ring's operation, which owns the paths as the kernel reads them.
struct LinkAt {
    src: CString,
    dst: CString,
}

// SAFETY: the entry points at the two heap C strings the op owns.
unsafe impl Operation for LinkAt {
    const OPCODE: u8 = opcode::LinkAt::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        let cwd = types::Fd(libc::AT_FDCWD);
        opcode::LinkAt::new(cwd, self.src.as_ptr(), cwd, self.dst.as_ptr()).build()
    }
}
