//! `IORING_OP_FTRUNCATE` (Linux 6.9): `set_len`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub(crate) const CODE: u8 = opcode::Ftruncate::CODE;

struct Ftruncate {
    file: Arc<File>,
    len: u64,
}

// SAFETY: the entry names `file`'s fd, which the op keeps open; it points at no memory.
unsafe impl OpCode for Ftruncate {
    fn entry(&mut self) -> squeue::Entry {
        opcode::Ftruncate::new(types::Fd(self.file.as_raw_fd()), self.len).build()
    }
}

pub(crate) async fn set_len(rings: Uring, file: Arc<File>, len: u64) -> io::Result<()> {
    let (result, _op) = Op::new(rings, Ftruncate { file, len }).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `ftruncate(2)` on the calling thread, as std makes it.
pub(crate) fn blocking(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)
}
