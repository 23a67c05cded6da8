//! `IORING_OP_OPENAT`: open a path; a cancelled open closes the fd it produced.

use super::Call;
use crate::rt::uring::{Completion, OpFuture, Operation, Uring};
use io_uring::{opcode, squeue, types};
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

/// `open(2)` of `path` with `flags` (O_CLOEXEC is always added) and `mode`, as std's
/// `OpenOptions::open` makes it.
pub(crate) struct Open {
    pub(crate) path: PathBuf,
    pub(crate) flags: libc::c_int,
    pub(crate) mode: libc::mode_t,
}

impl Call for Open {
    const CODE: u8 = opcode::OpenAt::CODE;
    type Output = File;

    async fn via_uring(self, uring: Uring) -> io::Result<File> {
        let op = OpenAt {
            path: super::cstring(&self.path)?,
            flags: self.flags,
            mode: self.mode,
        };
        OpFuture::routed(uring, op).await?
    }

    /// Retried on `EINTR`, as std does.
    fn blocking(self) -> io::Result<File> {
        let path = super::cstring(&self.path)?;
        let fd = super::retry_eintr(|| {
            // SAFETY: `path` is a NUL-terminated string that outlives the call; open reads
            // nothing else from our memory.
            Ok(unsafe { libc::open(path.as_ptr(), self.flags, self.mode as libc::c_uint) })
        })?;
        let fd = fd as RawFd;
        // SAFETY: `open` just returned this fd, so nothing else owns it; the File takes it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }
}

/// The ring's operation, which owns the path as the kernel reads it.
struct OpenAt {
    path: CString,
    flags: libc::c_int,
    mode: libc::mode_t,
}

// SAFETY: the entry points at `path`, a heap C string the op owns.
unsafe impl Operation for OpenAt {
    const OPCODE: u8 = opcode::OpenAt::CODE;
    type Output = io::Result<File>;

    fn complete(self, completion: Completion) -> io::Result<File> {
        let fd = completion.io_result()?;
        // SAFETY: a successful open's result is a new fd, handed to us alone.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
    }

    fn entry(&mut self) -> squeue::Entry {
        opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), self.path.as_ptr())
            .flags(self.flags | libc::O_CLOEXEC)
            .mode(self.mode)
            .build()
    }

    fn release(&mut self, completion: Completion) {
        if completion.result() >= 0 {
            // SAFETY: a successful open's result is a new fd that nobody else has seen.
            drop(unsafe { OwnedFd::from_raw_fd(completion.result()) });
        }
    }
}
