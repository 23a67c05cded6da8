//! `IORING_OP_CLOSE`: close an fd and report the error close(2) would give.

use crate::uring::{Op, OpCode, Uring};
use io_uring::{opcode, squeue, types};
use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

pub(crate) const CODE: u8 = opcode::Close::CODE;

/// The fd is given up to the kernel when the entry is built: from then on the CQE, not a drop,
/// closes it (so a close cannot close a reused fd number twice). One exception: an entry that
/// never reached a kernel (refused by a ring its runtime shut down) completes with ECANCELED
/// (a close is never cancelled otherwise: `CANCEL_ON_DROP` is false, and a close completes
/// during the enter that submits it); then the fd is still open, and `close_unsubmitted` closes
/// it.
struct Close {
    fd: Option<OwnedFd>,
    raw: RawFd,
}

impl Close {
    fn close_unsubmitted(&mut self, res: i32) {
        if res == -libc::ECANCELED && self.raw >= 0 {
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

    fn release(&mut self, result: crate::uring::CqeResult) {
        self.close_unsubmitted(result.res);
    }

    // A close cannot be taken back; cancelling it would only cost an entry.
    const CANCEL_ON_DROP: bool = false;
}

/// Closes `fd` on the ring without waiting for the result (batched with the tick's other
/// submissions, instead of a close(2) on the spot).
pub(crate) fn close_detached(rings: Uring, fd: OwnedFd) {
    Op::new(
        rings,
        Close {
            fd: Some(fd),
            raw: -1,
        },
    )
    .detach();
}

pub(crate) async fn close(rings: Uring, fd: OwnedFd) -> io::Result<()> {
    let (result, mut op) = Op::new(
        rings,
        Close {
            fd: Some(fd),
            raw: -1,
        },
    )
    .await;
    op.close_unsubmitted(result.res);
    result.into_io().map(drop)
}
