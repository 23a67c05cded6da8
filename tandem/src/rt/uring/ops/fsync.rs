//! `IORING_OP_FSYNC`: `sync_all` and (with DATASYNC) `sync_data`.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub(crate) const CODE: u8 = opcode::Fsync::CODE;

struct Fsync {
    file: Arc<File>,
    data_only: bool,
}

// SAFETY: the entry names `file`'s fd, which the op keeps open; it points at no memory.
unsafe impl OpCode for Fsync {
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

pub(crate) async fn fsync(rings: Uring, file: Arc<File>, data_only: bool) -> io::Result<()> {
    let (result, _op) = Op::new(rings, Fsync { file, data_only }).await;
    result.into_io().map(drop)
}

/// The blocking pool's half: `fsync(2)`, or `fdatasync(2)` if `data_only`, on the calling
/// thread, as std makes them.
pub(crate) fn blocking(file: &File, data_only: bool) -> io::Result<()> {
    if data_only {
        file.sync_data()
    } else {
        file.sync_all()
    }
}
