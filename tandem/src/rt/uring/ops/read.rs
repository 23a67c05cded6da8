//! `IORING_OP_READ`: read into an owned buffer, at an offset or at the file position.

use super::BufCall;
use crate::rt::uring::buf::IoBufMut;
use crate::rt::uring::{CqeResult, Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// A read into `buf[buf_start..bytes_total]`: at `offset` (`pread(2)`), or at the file position
/// (`read(2)`, which advances it) if `offset` is `None`. On success the buffer's initialised
/// length becomes at least `buf_start + n`. The ring's operation too: it owns the buffer and
/// the file until the completion.
pub(crate) struct Read<B> {
    file: Arc<File>,
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
}

impl<B: IoBufMut> Read<B> {
    /// # Panics
    /// If `buf_start > buf.bytes_total()`.
    pub(crate) fn new(file: Arc<File>, buf: B, buf_start: usize, offset: Option<u64>) -> Self {
        assert!(
            buf_start <= buf.bytes_total(),
            "read_into: start past the buffer's end"
        );
        Read {
            file,
            buf,
            buf_start,
            offset,
        }
    }

    /// The file, the buffer and where in each the read goes, for a read tried on the spot.
    pub(crate) fn parts(&mut self) -> (&File, &mut B, usize, Option<u64>) {
        (&self.file, &mut self.buf, self.buf_start, self.offset)
    }
}

impl<B: IoBufMut> BufCall for Read<B> {
    const CODE: u8 = opcode::Read::CODE;
    type Buf = B;

    async fn via_uring(self, uring: Uring) -> (io::Result<usize>, B) {
        let (result, op): (CqeResult, Read<B>) = Op::new(uring, self).await;
        let mut buf = op.buf;
        let n = match result.into_io() {
            Ok(n) => n as usize,
            Err(e) => return (Err(e), buf),
        };
        // SAFETY: the kernel wrote `n` bytes from `buf_start` (within the capacity we passed).
        unsafe { buf.set_init(op.buf_start + n) };
        (Ok(n), buf)
    }

    /// Retried on `EINTR`.
    fn blocking(&mut self) -> io::Result<usize> {
        let buf = &mut self.buf;
        let len = buf.bytes_total() - self.buf_start;
        // SAFETY: `buf_start <= bytes_total` (`Read::new` asserts it), so the result is inside
        // the buffer's writable memory or one past its end.
        let ptr = unsafe { buf.stable_mut_ptr().add(self.buf_start) };
        let fd = self.file.as_raw_fd();
        let res = super::retry_eintr(|| {
            Ok(match self.offset {
                // SAFETY: `ptr` is valid for writes of `len` bytes (`IoBufMut`'s contract with
                // `len = bytes_total - buf_start`); `buf` owns that memory and is not touched
                // during the call.
                None => unsafe { libc::read(fd, ptr.cast(), len) },
                // SAFETY: as for `read`.
                Some(off) => unsafe { libc::pread(fd, ptr.cast(), len, super::off_t(off)?) },
            })
        });
        if let Ok(n) = res {
            // SAFETY: the kernel initialised `n <= len` bytes at `buf_start`, and the caller
            // passes a start inside or at the end of the initialised part.
            unsafe { buf.set_init(self.buf_start + n) };
        }
        res
    }

    fn into_buf(self) -> B {
        self.buf
    }
}

// SAFETY: the entry points into `buf` from `buf_start` to its capacity (heap memory that stays
// put while the op owns it, `IoBufMut`'s contract), and names `file`'s fd, which the op keeps
// open.
unsafe impl<B: IoBufMut> OpCode for Read<B> {
    fn entry(&mut self) -> squeue::Entry {
        let total = self.buf.bytes_total();
        let start = self.buf_start.min(total);
        let len = (total - start).min(super::MAX_RW) as u32;
        // SAFETY: `start <= bytes_total`, so the pointer stays inside the buffer.
        let ptr = unsafe { self.buf.stable_mut_ptr().add(start) };
        // -1 (u64::MAX): read at the file position and advance it, as read(2).
        let offset = self.offset.unwrap_or(u64::MAX);
        opcode::Read::new(types::Fd(self.file.as_raw_fd()), ptr, len)
            .offset(offset)
            .build()
    }
}
