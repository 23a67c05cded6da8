//! The future of one io_uring operation: it builds the entry from the data it owns, pushes it on
//! the ring of the thread that polls (steps 1 and 3 of the protocol in `cell.rs`), keeps a handle
//! to that ring, and on drop hands the operation to the ring and asks it to cancel (step 4).
//!
//! A batch (`OpBatch`, behind `tandem::uring::Batch`) builds its operations' cells and entries
//! up front, hands out their futures at once, and pushes all the entries together when it is
//! submitted; its futures learn the ring then, through a slot they share. Nothing else differs:
//! the cells follow the same protocol, and a batch that is never pushed completes each cell as
//! refused (`CqeResult::refused_for`), as a shut-down ring does.

use super::cell::{tag, CqeResult, OpCell, OpCode, Refused};
use super::ring::Ring;
use io_uring::squeue;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

/// The future of one operation. Output: the result and the data, handed back.
pub(crate) struct Op<T: OpCode> {
    stage: Stage<T>,
    /// Whether the entry may be submitted the moment it is pushed, when nothing else would join
    /// the batch (`Rings::push`). Off for detached operations: nobody waits for their result,
    /// so they ride along with the next enter instead of costing one of their own.
    eager: bool,
}

enum Stage<T: OpCode> {
    Unsubmitted(T),
    InFlight { cell: Arc<OpCell<T>>, ring: RingRef },
    Done,
}

/// The ring an operation in flight was pushed on, for its cancel.
enum RingRef {
    Pushed(Arc<Ring>),
    /// Set when the operation's batch is pushed; empty before (and for a batch never pushed).
    Batch(Arc<OnceLock<Arc<Ring>>>),
}

impl RingRef {
    fn get(&self) -> Option<&Arc<Ring>> {
        match self {
            RingRef::Pushed(ring) => Some(ring),
            RingRef::Batch(slot) => slot.get(),
        }
    }
}

/// Builds the entry of a new cell's data, in its final place.
pub(super) fn build_entry<T: OpCode>(cell: &mut Arc<OpCell<T>>) -> squeue::Entry {
    let cell = Arc::get_mut(cell).expect("a new cell is unique");
    cell.data.with_mut(|data| {
        // SAFETY: the cell is not shared yet: this is the only access.
        let data = unsafe { (*data).as_mut() };
        data.expect("a new cell holds its data").entry()
    })
}

impl<T: OpCode> Op<T> {
    /// An operation for the current runtime's rings (`route` said so: `_uring`).
    pub(crate) fn new(_uring: super::Uring, data: T) -> Op<T> {
        Op {
            stage: Stage::Unsubmitted(data),
            eager: true,
        }
    }
}

impl<T: OpCode> Op<T> {
    /// Submits the operation and lets it run to completion with nobody waiting: the ring frees
    /// it at its CQE. For operations whose result does not matter (a close after a read).
    pub(crate) fn detach(mut self) {
        self.eager = false;
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready((result, mut data)) = Pin::new(&mut self).poll(&mut cx) {
            // Done already (or refused): nobody takes the result.
            data.release(result);
        }
    }
}

/// Runs `f` with the rings of the runtime this thread is in, if it is in one that has rings.
/// `None` (and `f` dropped unrun, with what it captured) otherwise: the caller's entry never
/// reached a ring.
pub(super) fn with_current_rings<R>(f: impl FnOnce(&super::handle::Rings) -> R) -> Option<R> {
    crate::rt::context::with_current(|handle| Some(f(handle?.driver().uring.rings()?)))
}

impl<T: OpCode> Unpin for Op<T> {}

impl<T: OpCode> Future for Op<T> {
    type Output = (CqeResult, T);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(CqeResult, T)> {
        // An operation can be ready at its first poll (submitted and reaped inline when the
        // worker has nothing else to do): without a budget, a task looping over such reads
        // would never yield.
        let coop = std::task::ready!(crate::rt::coop::poll_proceed(cx));
        let this = self.get_mut();
        if let Stage::Unsubmitted(_) = this.stage {
            let Stage::Unsubmitted(data) = std::mem::replace(&mut this.stage, Stage::Done) else {
                unreachable!("just matched Unsubmitted")
            };
            let mut cell = OpCell::new(data);
            let entry = build_entry(&mut cell);
            let raw = cell.raw();
            let pushed = with_current_rings(|rings| rings.push(entry, raw, this.eager));
            let Some(ring) = pushed else {
                // Polled outside the runtime that routed it here (or one without rings): the
                // entry never reached a ring (its reference was dropped with the closure), so the
                // data is ours again. Fail as an operation refused at shutdown does.
                // SAFETY: `raw` was dropped unsubmitted, so this future holds the only reference.
                let data = cell.data.with_mut(|d| unsafe { (*d).take() });
                let data = data.expect("a new cell holds its data");
                coop.made_progress();
                return Poll::Ready((CqeResult::refused(), data));
            };
            this.stage = Stage::InFlight {
                cell,
                ring: RingRef::Pushed(ring),
            };
        }
        let Stage::InFlight { cell, .. } = &this.stage else {
            panic!("`Op` polled after completion");
        };
        let out = std::task::ready!(cell.poll_complete(cx));
        this.stage = Stage::Done;
        coop.made_progress();
        Poll::Ready(out)
    }
}

impl<T: OpCode> Drop for Op<T> {
    fn drop(&mut self) {
        let Stage::InFlight { cell, ring } = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        if let Some(op) = cell.drop_future() {
            // A batch not pushed yet has no ring to cancel on: its operation runs when it is
            // pushed, and is released at its completion (the cancel is best effort anyway).
            if let (true, Some(ring)) = (T::CANCEL_ON_DROP, ring.get()) {
                ring.cancel(op);
            }
        }
    }
}

impl<T: OpCode> fmt::Debug for Op<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match &self.stage {
            Stage::Unsubmitted(_) => "unsubmitted",
            Stage::InFlight { .. } => "in flight",
            Stage::Done => "done",
        };
        f.debug_struct("Op").field("stage", &stage).finish()
    }
}

/// Operations to push on one ring together: their entries reach the SQ contiguous and in order,
/// and the kernel in one `io_uring_enter` (`Submitter::push_ops`), so a link chain among them
/// is never cut.
pub(crate) struct OpBatch {
    /// Each entry's `user_data` holds its cell's ring reference (tag `OP`).
    entries: Vec<squeue::Entry>,
    ring: Arc<OnceLock<Arc<Ring>>>,
}

impl OpBatch {
    pub(crate) fn new() -> OpBatch {
        OpBatch {
            entries: Vec::new(),
            ring: Arc::new(OnceLock::new()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `data`'s operation, its entry built now with `flags` added, and returns its future,
    /// which completes once the batch is pushed and the kernel answers, or the batch is refused.
    pub(crate) fn add<T: OpCode>(&mut self, data: T, flags: squeue::Flags) -> Op<T> {
        let mut cell = OpCell::new(data);
        let entry = build_entry(&mut cell).flags(flags);
        let user_data = cell.raw().into_user_data(tag::OP);
        self.entries.push(entry.user_data(user_data));
        Op {
            stage: Stage::InFlight {
                cell,
                ring: RingRef::Batch(self.ring.clone()),
            },
            eager: true,
        }
    }

    /// Pushes every entry on the calling thread's ring of the current runtime (`_uring`: its
    /// route said io_uring for each opcode). At most `Ring::sq_capacity` entries.
    pub(crate) fn push(mut self, _uring: super::Uring) {
        let entries = std::mem::take(&mut self.entries).into_boxed_slice();
        if entries.is_empty() {
            return;
        }
        let mut entries = Some(entries);
        let ring =
            with_current_rings(|rings| rings.push_batch(entries.take().expect("pushed once")));
        match ring {
            Some(ring) => {
                let _ = self.ring.set(ring);
            }
            None => {
                // Not on the runtime that gave the proof: as `Op::poll` outside a runtime.
                self.entries = entries.expect("not pushed").into_vec();
                self.refuse(Refused::ShutDown);
            }
        }
    }

    /// Completes every operation not pushed yet as refused for `why`: its future fails, or, if
    /// the future is gone, its data is dropped (it never reached a kernel).
    pub(crate) fn refuse(&mut self, why: Refused) {
        for entry in self.entries.drain(..) {
            // SAFETY: the entry's user_data is the reference its cell gave up in `add`, never
            // pushed, so it is taken back exactly once, here.
            let op = unsafe { super::cell::RawOp::from_user_data(entry.get_user_data()) };
            op.complete(CqeResult::refused_for(why));
        }
    }
}

impl Drop for OpBatch {
    fn drop(&mut self) {
        self.refuse(Refused::BatchDropped);
    }
}

impl fmt::Debug for OpBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpBatch")
            .field("len", &self.entries.len())
            .field("pushed", &self.ring.get().is_some())
            .finish()
    }
}
