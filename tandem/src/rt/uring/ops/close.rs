//! `IORING_OP_CLOSE`: close an fd and report the error close(2) would give.

use crate::rt::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

pub(crate) const CODE: u8 = opcode::Close::CODE;

/// The fd is given up to the kernel when the entry is built: from then on the CQE, not a drop,
/// closes it (so a close cannot close a reused fd number twice), whatever the CQE says: a
/// kernel's `-ECANCELED` (from a file system's flush, say) still released the fd number. One
/// exception: an entry that never reached a kernel (refused by a ring whose runtime shut down)
/// completes with `CqeResult::refused`; then the fd is still open, and `close_unsubmitted`
/// closes it.
struct Close {
    fd: Option<OwnedFd>,
    raw: RawFd,
}

impl Close {
    fn close_unsubmitted(&mut self, result: crate::rt::uring::CqeResult) {
        if result.refused.is_some() && self.raw >= 0 {
            // SAFETY: the fd was given up by `entry` and never reached the kernel: it is still
            // ours, and this is its only close.
            drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(self.raw) });
            self.raw = -1;
        }
    }
}

// SAFETY: the entry points at no memory; the fd it names is the op's own.
unsafe impl OpCode for Close {
    fn entry(&mut self) -> squeue::Entry {
        if let Some(fd) = self.fd.take() {
            self.raw = fd.into_raw_fd();
        }
        opcode::Close::new(types::Fd(self.raw)).build()
    }

    fn release(&mut self, result: crate::rt::uring::CqeResult) {
        self.close_unsubmitted(result);
    }

    // A close cannot be taken back; cancelling it would only cost an entry.
    const CANCEL_ON_DROP: bool = false;
}

/// Closes `fd` on the ring without waiting for the result (batched with the tick's other
/// submissions, instead of a close(2) on the spot).
pub(crate) fn close_detached(uring: Uring, fd: OwnedFd) {
    Op::new(
        uring,
        Close {
            fd: Some(fd),
            raw: -1,
        },
    )
    .detach();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Close;
    use crate::rt::uring::{CqeResult, OpCode};
    use std::os::fd::OwnedFd;

    fn fd_is_open(fd: i32) -> bool {
        // SAFETY: F_GETFD reads the fd's flags and touches no memory.
        unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
    }

    /// A kernel that answers the close with ECANCELED (a file system's flush may) released the
    /// fd number all the same: the op must not close it again, whoever holds the number now.
    /// A close whose entry was built: the fd (returned) is given up to the kernel.
    fn submitted_close() -> (Close, i32) {
        let file = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
        let mut op = Close {
            fd: Some(file),
            raw: -1,
        };
        let _entry = op.entry();
        let raw = op.raw;
        (op, raw)
    }

    #[test]
    fn a_kernel_ecanceled_never_closes_the_fd_number_twice() {
        let (mut op, raw) = submitted_close();
        // The kernel closed the number and the next open reused it: the number is open again,
        // and not ours. (Standing in for both, we leave it open: closing and reopening could
        // race with other tests for the number.)
        op.release(CqeResult {
            res: -libc::ECANCELED,
            ..CqeResult::default()
        });
        assert!(
            fd_is_open(raw),
            "the reused fd number was closed by a stale close"
        );
        // SAFETY: the number is open (just checked) and nothing else owns it in this test.
        assert_eq!(unsafe { libc::close(raw) }, 0);
    }

    /// An entry a shut-down ring refused never reached a kernel: the op closes the fd itself.
    #[test]
    fn a_refused_close_closes_the_fd_itself() {
        let (mut op, raw) = submitted_close();
        assert!(fd_is_open(raw));
        op.release(CqeResult::refused());
        assert!(!fd_is_open(raw), "a refused close leaked its fd");
    }
}
