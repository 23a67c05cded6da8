//! `Buf`: a `File`'s internal buffer, lent whole to each background read or write.
//!
//! Holds either data read ahead of the caller (`vec[pos..]` not yet handed out), or data
//! accepted from the caller but not yet written (`vec[..]`), never both.

use std::cmp;
use std::io::{self, IoSlice, SeekFrom};

use crate::io::ReadBuf;

use crate::rt::uring::buf::{IoBuf, IoBufMut};

/// The buffer, with how far the caller has consumed read data (`pos`), and how many bytes of its
/// capacity a read may fill (`limit`): a read asks for at most what the caller wants, up to
/// `max_buf_size`, even when the allocation is larger from an earlier call.
#[derive(Debug, Default)]
pub(crate) struct Buf {
    vec: Vec<u8>,
    pos: usize,
    limit: usize,
}

impl Buf {
    /// Whether there is nothing to hand out or to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.vec.len()
    }

    /// Bytes held (unconsumed read data, or data to write).
    pub(crate) fn len(&self) -> usize {
        self.vec.len() - self.pos
    }

    /// The bytes held (unconsumed read data, or data to write).
    pub(crate) fn held(&self) -> &[u8] {
        &self.vec[self.pos..]
    }

    /// Hands buffered read data to `dst`, as much as fits.
    pub(crate) fn copy_to(&mut self, dst: &mut ReadBuf<'_>) -> usize {
        let n = cmp::min(self.len(), dst.remaining());
        dst.put_slice(&self.vec[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.vec.len() {
            self.clear();
        }
        n
    }

    /// Takes up to `max` bytes of `src` to write. The buffer must be empty.
    pub(crate) fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty(), "copy_from: buffer holds data");
        self.clear();
        let n = cmp::min(src.len(), max);
        self.vec.extend_from_slice(&src[..n]);
        n
    }

    /// Takes up to `max` bytes from `bufs`, in order, to write. The buffer must be empty.
    pub(crate) fn copy_from_bufs(&mut self, bufs: &[IoSlice<'_>], max: usize) -> usize {
        debug_assert!(self.is_empty(), "copy_from_bufs: buffer holds data");
        self.clear();
        for buf in bufs {
            let room = max - self.vec.len();
            if room == 0 {
                break;
            }
            let n = cmp::min(buf.len(), room);
            self.vec.extend_from_slice(&buf[..n]);
        }
        self.vec.len()
    }

    /// Drops read data the caller has not consumed, returning how far the file position is
    /// ahead of the caller's position (as a negative offset for `SeekFrom::Current`).
    pub(crate) fn discard_read(&mut self) -> i64 {
        let ahead = -(self.len() as i64);
        self.clear();
        ahead
    }

    /// The seek that puts the file position back where the caller thinks it is, if read data
    /// is buffered; discards that data.
    pub(crate) fn rewind_unread(&mut self) -> Option<SeekFrom> {
        if self.is_empty() {
            None
        } else {
            Some(SeekFrom::Current(self.discard_read()))
        }
    }

    /// Empties the buffer, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.vec.clear();
        self.pos = 0;
    }

    /// Empties the buffer and makes room for a read of `len` bytes.
    pub(crate) fn prepare_read(&mut self, len: usize) {
        self.clear();
        self.vec.reserve(len);
        self.limit = len;
    }

    /// Records the outcome of a read into a prepared buffer: on error nothing is held.
    pub(crate) fn finish_read(&mut self, res: &io::Result<usize>) {
        if res.is_err() {
            self.clear();
        }
    }
}

// SAFETY: the memory is the Vec's heap allocation, which does not move when the `Buf` does and
// is neither freed nor reallocated while the `Buf` is not touched; `vec.len()` bytes from its
// start are initialised. `bytes_total` is at most the capacity.
unsafe impl IoBuf for Buf {
    fn stable_ptr(&self) -> *const u8 {
        self.vec.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.vec.len()
    }

    fn bytes_total(&self) -> usize {
        cmp::max(self.vec.len(), cmp::min(self.limit, self.vec.capacity()))
    }
}

// SAFETY: as for `IoBuf`; the whole capacity of the Vec is writable.
unsafe impl IoBufMut for Buf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.vec.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, n: usize) {
        if n > self.vec.len() {
            // SAFETY: `set_init`'s contract: `n <= bytes_total() <= capacity`, and the first
            // `n` bytes have been initialised.
            unsafe { self.vec.set_len(n) };
        }
    }
}
