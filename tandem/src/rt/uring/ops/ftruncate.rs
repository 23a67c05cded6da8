//! `IORING_OP_FTRUNCATE` (Linux 6.9): `set_len`.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// `ftruncate(2)`: truncates or extends the file to `len` bytes. The ring's operation too: it
/// keeps the file, and with it the fd the entry names, open until the completion.
pub(crate) struct Ftruncate {
    pub(crate) file: Arc<File>,
    pub(crate) len: u64,
}

impl Call for Ftruncate {
    const CODE: u8 = opcode::Ftruncate::CODE;
    type Output = ();

    async fn via_uring(self, uring: Uring) -> io::Result<()> {
        OpFuture::routed(uring, self).await?
    }

    fn blocking(self) -> io::Result<()> {
        self.file.set_len(self.len)
    }
}

// SAFETY: the entry names `file`'s fd, which the op keeps open; it points at no memory.
unsafe impl Operation for Ftruncate {
    const OPCODE: u8 = opcode::Ftruncate::CODE;
    type Output = io::Result<()>;

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }

    fn entry(&mut self) -> squeue::Entry {
        opcode::Ftruncate::new(types::Fd(self.file.as_raw_fd()), self.len).build()
    }
}
