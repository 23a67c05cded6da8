//! The future of one io_uring operation: it builds the entry from the data it owns, pushes it on
//! the ring of the thread that polls (steps 1 and 3 of the protocol in `cell.rs`), keeps a handle
//! to that ring, and on drop hands the operation to the ring and asks it to cancel (step 4).

use super::cell::{CqeResult, OpCell, OpCode};
use super::ring::Ring;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
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
    InFlight {
        cell: Arc<OpCell<T>>,
        ring: Arc<Ring>,
    },
    Done,
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
            let entry = {
                let cell = Arc::get_mut(&mut cell).expect("a new cell is unique");
                cell.data.with_mut(|data| {
                    // SAFETY: the cell is not shared yet: this is the only access.
                    let data = unsafe { (*data).as_mut() };
                    data.expect("a new cell holds its data").entry()
                })
            };
            let raw = cell.raw();
            let pushed = crate::rt::context::with_current(|handle| {
                let rings = handle?.driver().uring.rings()?;
                Some(rings.push(entry, raw, this.eager))
            });
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
            this.stage = Stage::InFlight { cell, ring };
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
            if T::CANCEL_ON_DROP {
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
