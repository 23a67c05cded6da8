//! `IORING_OP_WRITE`: write from an owned buffer, at an offset or at the file position.

use crate::rt::uring::buf::IoBuf;
use crate::rt::uring::{CqeResult, Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub(crate) const CODE: u8 = opcode::Write::CODE;

struct Write<B> {
    file: Arc<File>,
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
}

// SAFETY: the entry points into `buf`'s initialised bytes from `buf_start` (stable memory while
// the op owns it, `IoBuf`'s contract), and names `file`'s fd, which the op keeps open.
unsafe impl<B: IoBuf> OpCode for Write<B> {
    fn entry(&mut self) -> squeue::Entry {
        let init = self.buf.bytes_init();
        let start = self.buf_start.min(init);
        let len = (init - start).min(super::MAX_RW) as u32;
        // SAFETY: `start <= bytes_init`, so the pointer stays inside the buffer.
        let ptr = unsafe { self.buf.stable_ptr().add(start) };
        // -1 (u64::MAX): write at the file position (or the end, with O_APPEND), as write(2).
        let offset = self.offset.unwrap_or(u64::MAX);
        opcode::Write::new(types::Fd(self.file.as_raw_fd()), ptr, len)
            .offset(offset)
            .build()
    }
}

/// Writes `buf[buf_start..bytes_init]`.
pub(crate) async fn write_from<B: IoBuf>(
    rings: Uring,
    file: Arc<File>,
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
) -> (io::Result<usize>, B) {
    let (result, op): (CqeResult, Write<B>) = Op::new(
        rings,
        Write {
            file,
            buf,
            buf_start,
            offset,
        },
    )
    .await;
    (result.into_io().map(|n| n as usize), op.buf)
}

/// The blocking pool's half: writes `buf[buf_start..bytes_init]` on the calling thread, at
/// `offset` (`pwrite(2)`) or at the file position (`write(2)`; with `O_APPEND`, at the end),
/// retried on `EINTR`.
///
/// # Panics
/// If `buf_start > buf.bytes_init()`.
pub(crate) fn blocking<B: IoBuf>(
    file: &File,
    buf: &B,
    buf_start: usize,
    offset: Option<u64>,
) -> io::Result<usize> {
    assert!(
        buf_start <= buf.bytes_init(),
        "write_from: start past the data's end"
    );
    let len = buf.bytes_init() - buf_start;
    // SAFETY: `buf_start <= bytes_init` (asserted above).
    let ptr = unsafe { buf.stable_ptr().add(buf_start) };
    let fd = file.as_raw_fd();
    super::retry_eintr(|| {
        Ok(match offset {
            // SAFETY: `ptr` points to `len` initialised bytes owned by `buf`, which is not
            // touched during the call (`IoBuf`'s contract).
            None => unsafe { libc::write(fd, ptr.cast(), len) },
            // SAFETY: as for `write`.
            Some(off) => unsafe { libc::pwrite(fd, ptr.cast(), len, super::off_t(off)?) },
        })
    })
}
