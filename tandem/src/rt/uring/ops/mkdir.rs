//! `IORING_OP_MKDIRAT`: `create_dir`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::io;
use std::path::PathBuf;

/// `mkdir(2)` of `path` with permission bits `mode` (before the umask).
pub(crate) struct MkDir {
    pub(crate) path: PathBuf,
    pub(crate) mode: libc::mode_t,
}

impl Call for MkDir {
    const CODE: u8 = opcode::MkDirAt::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        let op = MkDirAt {
            path: super::cstring(&self.path)?,
            mode: self.mode,
        };
        OpFuture::routed(uring, op).await?
    }

    fn blocking(self) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(self.mode).create(self.path)
    }
}

/// The ring's operation, which owns the path as the kernel reads it.
struct MkDirAt {
    path: CString,
    mode: libc::mode_t,
}

// SAFETY: the entry points at the heap C string the op owns.
unsafe impl Operation for MkDirAt {
    const OPCODE: u8 = opcode::MkDirAt::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        opcode::MkDirAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .mode(self.mode)
            .build()
    }
}
