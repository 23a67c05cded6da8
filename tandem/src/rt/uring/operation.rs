//! The public contract of an operation (`Operation`, re-exported as `tandem::uring::Operation`),
//! what it gets back (`Completion`), and the bridge that makes it an `OpCode`, so it lives by the
//! same cell protocol as every operation. Tandem's own one-shot file calls (`ops/`) implement it
//! too.

use super::cell::{CqeResult, OpCode};
use io_uring::squeue;
use std::io;

/// A one-shot io_uring operation: one submission entry, one completion.
///
/// The operation is a value that owns everything its entry points at or names: buffers, paths,
/// `iovec`s, socket addresses, fds. [`submit`](crate::uring::submit) (or a [`Batch`](crate::uring::Batch))
/// moves it into a heap cell, calls [`entry`](Operation::entry) once there, and pushes the entry
/// on the ring of the thread that polls (or submits the batch). The cell never moves, and it is
/// freed only after the kernel's completion has been reaped, whatever happens to the future:
/// that is what makes pointers into the operation safe to give the kernel.
///
/// - Completed while the future waits: [`complete`](Operation::complete) turns the completion
///   into the future's output, on the thread polling the future.
/// - Future dropped first: the kernel is asked to cancel the operation (unless
///   [`CANCEL_ON_DROP`](Operation::CANCEL_ON_DROP) is false), and when its completion arrives,
///   [`release`](Operation::release) runs on the thread that reaps the owning ring's CQ (its
///   worker, or the thread holding the I/O driver, or the reaper thread after a shutdown), not
///   necessarily the thread that dropped the future. If the completion had already arrived when
///   the future was dropped, `release` runs in that drop, on the dropping thread. Either way it
///   runs exactly once, and the operation is dropped right after it.
/// - The entry never reached a kernel (the runtime has no rings, lacks the opcode, shut down, or
///   the operation's batch was not submitted): the future fails, and the operation is dropped
///   with neither `complete` nor `release` called.
///
/// Tandem sets the entry's `user_data` and its flags: flags set by `entry` are cleared
/// ([`Batch::push_with`](crate::uring::Batch::push_with) adds links, drains and `IOSQE_ASYNC`). The
/// rings use 64-byte entries (no `IORING_SETUP_SQE128`), register no files or buffers, and
/// provide no buffer groups.
///
/// # Safety
/// Implementations promise, for the entry returned by [`entry`](Operation::entry):
/// 1. Every pointer in it points into memory owned by `self` that does not move when `self`
///    does not (a `Vec`'s or `Box`'s heap data, a `CString`'s bytes), or into `'static`
///    memory, and stays valid (and, for what the kernel writes, writable and not read or
///    written by anything else) until `self` is dropped. Nothing may point into `self`'s own
///    inline fields (`entry` is called once the operation has reached its final place, but do
///    not rely on it), into the caller's stack, or into memory borrowed by the future.
/// 2. Every fd it names stays open until `self` is dropped: `self` owns it (an `OwnedFd`, a
///    `File`, an `Arc` of one), or it is `'static`-ly open.
/// 3. It is a complete, valid entry of one opcode, [`OPCODE`](Operation::OPCODE), that posts
///    exactly one completion (not a multishot request): the cell is freed at that completion.
/// 4. `entry` gives up nothing `self` owns: if the entry never reaches a kernel, dropping
///    `self` must release everything (an fd handed to a kernel close would otherwise be closed
///    twice).
/// 5. It touches no other request and no other ring: no `IORING_OP_MSG_RING` (a completion
///    posted on one of the runtime's rings carries a `user_data` the ring takes for one of its
///    operations' cells), and no cancel, poll or timeout removal aimed at a `user_data` it did
///    not get from its own entry (the runtime sets and owns every `user_data`).
///
/// `complete` and `release` may then assume the kernel is done with the memory and fds.
pub unsafe trait Operation: Send + 'static {
    /// The `IORING_OP_*` code of the entry (`io_uring::opcode::X::CODE`). Used to check, before
    /// submitting, that the kernel has it and the runtime sends it to io_uring.
    const OPCODE: u8;

    /// Whether dropping the future of this operation in flight asks the kernel to cancel it
    /// (`IORING_OP_ASYNC_CANCEL`, on the ring the operation was pushed on, from any thread). The
    /// cancel is best effort: the operation may still complete, and `release` then sees its
    /// result. False for operations that are quick and must not be interrupted (a close).
    const CANCEL_ON_DROP: bool = true;

    /// What the future gives when the operation completes.
    type Output;

    /// Builds the submission entry from the data `self` owns. Called once.
    fn entry(&mut self) -> squeue::Entry;

    /// Turns the completion into the output (a negative [`Completion::result`] is `-errno`),
    /// handing back what the operation owned (a buffer) if the output carries it.
    fn complete(self, completion: Completion) -> Self::Output;

    /// Releases what a completion nobody waits for created: closes the fd of an open or an
    /// accept, returns a buffer to a pool. Called instead of `complete` when the future was
    /// dropped, once the kernel has answered (see the trait docs for the thread); `self` is
    /// dropped right after. The default does nothing (dropping `self` frees its memory).
    ///
    /// It runs on a runtime thread: it must not block. A panic in it is caught (the panic hook
    /// reports it) so that it does not unwind through the ring; the operation is still dropped.
    /// The operation's own `Drop` runs there too and must not panic.
    fn release(&mut self, completion: Completion) {
        let _ = completion;
    }
}

/// The kernel's answer to an operation: its CQE's `res` and `flags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    result: i32,
    flags: u32,
}

impl Completion {
    /// A completion with `result` and `flags`, as a CQE would carry them (for tests of an
    /// operation's `complete`).
    pub fn new(result: i32, flags: u32) -> Completion {
        Completion { result, flags }
    }

    /// The CQE's `res`: the operation's return value, or `-errno`.
    pub fn result(&self) -> i32 {
        self.result
    }

    /// The CQE's `flags` (`IORING_CQE_F_*`).
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The result as an `io::Result`: `Ok` with a non-negative value, else the `errno`'s error.
    pub fn io_result(&self) -> io::Result<u32> {
        u32::try_from(self.result).map_err(|_| io::Error::from_raw_os_error(-self.result))
    }
}

impl From<CqeResult> for Completion {
    fn from(cqe: CqeResult) -> Completion {
        Completion::new(cqe.res, cqe.flags)
    }
}

/// An `Operation` as one of the runtime's operations.
pub(crate) struct Bridge<T>(pub(crate) T);

// SAFETY: `Operation`'s contract (its `# Safety`, points 1 and 2) is `OpCode`'s: every pointer
// into memory `T` owns or static memory, valid until `T` is dropped, fds owned by `T`. Point 3
// keeps one completion per cell, which the ring relies on. Clearing the flags keeps an entry
// from linking to another task's entry or skipping its completion (`IOSQE_CQE_SKIP_SUCCESS`).
unsafe impl<T: Operation> OpCode for Bridge<T> {
    fn entry(&mut self) -> squeue::Entry {
        self.0.entry().clear_flags()
    }

    fn release(&mut self, result: CqeResult) {
        // A refused entry never reached a kernel: nothing was created (point 4).
        if result.refused.is_some() {
            return;
        }
        // `release` is the caller's code running on a runtime thread (the one reaping the
        // ring), in the middle of a batch of completions: a panic must not unwind through the
        // ring. The panic hook has reported it by the time it is caught.
        let released = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.0.release(Completion::from(result));
        }));
        drop(released);
    }

    const CANCEL_ON_DROP: bool = T::CANCEL_ON_DROP;
}
