//! `IORING_OP_FSYNC`: `sync_all` and (with DATASYNC) `sync_data`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// `fsync(2)`, or `fdatasync(2)` if `data_only`. The ring's operation too: it keeps the file,
/// and with it the fd the entry names, open until the completion.
pub(crate) struct Fsync {
    pub(crate) file: Arc<File>,
    pub(crate) data_only: bool,
}

impl Call for Fsync {
    const CODE: u8 = opcode::Fsync::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        OpFuture::routed(uring, self).await?
    }

    fn blocking(self) -> io::Result<()> {
        if self.data_only {
            self.file.sync_data()
        } else {
            self.file.sync_all()
        }
    }
}

// SAFETY: the entry names `file`'s fd, which the op keeps open; it points at no memory.
unsafe impl Operation for Fsync {
    const OPCODE: u8 = opcode::Fsync::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        let mut flags = types::FsyncFlags::empty();
        if self.data_only {
            flags |= types::FsyncFlags::DATASYNC;
        }
        opcode::Fsync::new(types::Fd(self.file.as_raw_fd()))
            .flags(flags)
            .build()
    }
}
