//! `IORING_OP_WRITE`: write from an owned buffer, at an offset or at the file position.

use super::BufCall;
use crate::rt::uring::buf::IoBuf;
use crate::rt::uring::{CqeResult, Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// A write of `buf[buf_start..bytes_init]`: at `offset` (`pwrite(2)`), or at the file position
/// (`write(2)`; with `O_APPEND`, at the end) if `offset` is `None`. The ring's operation too: it
/// owns the buffer and the file until the completion.
pub(crate) struct Write<B> {
    file: Arc<File>,
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
}

impl<B: IoBuf> Write<B> {
    /// # Panics
    /// If `buf_start > buf.bytes_init()`.
    pub(crate) fn new(file: Arc<File>, buf: B, buf_start: usize, offset: Option<u64>) -> Self {
        assert!(
            buf_start <= buf.bytes_init(),
            "write_from: start past the data's end"
        );
        Write {
            file,
            buf,
            buf_start,
            offset,
        }
    }
}

impl<B: IoBuf> BufCall for Write<B> {
    const CODE: u8 = opcode::Write::CODE;
    type Buf = B;

    async fn via_uring(self, uring: Uring) -> (io::Result<usize>, B) {
        let (result, op): (CqeResult, Write<B>) = Op::new(uring, self).await;
        (result.into_io().map(|n| n as usize), op.buf)
    }

    /// Retried on `EINTR`.
    fn blocking(&mut self) -> io::Result<usize> {
        let len = self.buf.bytes_init() - self.buf_start;
        // SAFETY: `buf_start <= bytes_init` (`Write::new` asserts it).
        let ptr = unsafe { self.buf.stable_ptr().add(self.buf_start) };
        let fd = self.file.as_raw_fd();
        super::retry_eintr(|| {
            Ok(match self.offset {
                // SAFETY: `ptr` points to `len` initialised bytes owned by `buf`, which is not
                // touched during the call (`IoBuf`'s contract).
                None => unsafe { libc::write(fd, ptr.cast(), len) },
                // SAFETY: as for `write`.
                Some(off) => unsafe { libc::pwrite(fd, ptr.cast(), len, super::off_t(off)?) },
            })
        })
    }

    fn into_buf(self) -> B {
        self.buf
    }
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
