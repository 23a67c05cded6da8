//! `IORING_OP_STATX`: the size and type of an open file (what `fs::read` sizes its buffer with).

use crate::uring::{Op, OpCode, Rings};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub(crate) const CODE: u8 = opcode::Statx::CODE;

struct Statx {
    file: Arc<File>,
    buf: Box<libc::statx>,
}

// SAFETY: the entry points at `buf` (heap, owned by the op) and at a static empty path; it names
// `file`'s fd, which the op keeps open.
unsafe impl OpCode for Statx {
    fn entry(&mut self) -> squeue::Entry {
        let buf: *mut libc::statx = &mut *self.buf;
        opcode::Statx::new(
            types::Fd(self.file.as_raw_fd()),
            c"".as_ptr(),
            buf.cast::<types::statx>(),
        )
        .flags(libc::AT_EMPTY_PATH)
        .mask(libc::STATX_SIZE | libc::STATX_TYPE)
        .build()
    }
}

/// The file's size in bytes, and whether it is a regular file.
pub(crate) async fn size_and_type(rings: Arc<Rings>, file: Arc<File>) -> io::Result<(u64, bool)> {
    // SAFETY: `statx` is plain old data; all zeroes is a valid value.
    let buf = Box::new(unsafe { std::mem::zeroed::<libc::statx>() });
    let (result, op) = Op::new(rings, Statx { file, buf }).await;
    result.into_io()?;
    let regular = u32::from(op.buf.stx_mode) & libc::S_IFMT == libc::S_IFREG;
    Ok((op.buf.stx_size, regular))
}
