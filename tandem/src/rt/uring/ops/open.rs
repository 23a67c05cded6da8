//! `IORING_OP_OPENAT`: open a path; a cancelled open closes the fd it produced.

use crate::rt::uring::{CqeResult, Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::Path;

pub(crate) const CODE: u8 = opcode::OpenAt::CODE;

struct Open {
    path: CString,
    flags: libc::c_int,
    mode: libc::mode_t,
}

// SAFETY: the entry points at `path`, a heap C string the op owns.
unsafe impl OpCode for Open {
    fn entry(&mut self) -> squeue::Entry {
        opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(self.flags | libc::O_CLOEXEC)
            .mode(self.mode)
            .build()
    }

    fn release(&mut self, result: CqeResult) {
        if result.res >= 0 {
            // SAFETY: a successful open's result is a new fd that nobody else has seen.
            drop(unsafe { OwnedFd::from_raw_fd(result.res) });
        }
    }
}

/// Opens `path` with open(2) `flags` (O_CLOEXEC is always added) and `mode`.
pub(crate) async fn open(
    rings: Uring,
    path: &Path,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<File> {
    let path = super::cstring(path)?;
    let (result, _op) = Op::new(rings, Open { path, flags, mode }).await;
    let fd = result.into_io()?;
    // SAFETY: a successful open's result is a new fd, handed to us alone.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
}

/// The blocking pool's half: `open(2)` of `path` with `flags` and `mode` on the calling thread
/// (std's `OpenOptions::open` makes the same call), retried on `EINTR`.
pub(crate) fn blocking(path: &Path, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
    let path = super::cstring(path)?;
    let fd = super::retry_eintr(|| {
        // SAFETY: `path` is a NUL-terminated string that outlives the call; open reads
        // nothing else from our memory.
        Ok(unsafe { libc::open(path.as_ptr(), flags, mode as libc::c_uint) })
    })?;
    let fd = fd as RawFd;
    // SAFETY: `open` just returned this fd, so nothing else owns it; the File takes it.
    Ok(unsafe { File::from_raw_fd(fd) })
}
