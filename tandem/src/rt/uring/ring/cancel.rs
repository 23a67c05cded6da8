//! Cancellation: a cancel request routed to the ring that owns the operation, from any thread,
//! and shutdown's cancel of everything in flight.
//!
//! # Cancellation from any thread
//! A cancel request for an operation on this ring is pushed directly if the calling thread owns
//! the ring's `LocalRing`; otherwise it goes into `remote` and the owner is unparked to push it
//! (`IORING_OP_ASYNC_CANCEL` only cancels requests of its own ring).
//!
//! # Shutdown
//! 1. The owner pushes the cancel requests other threads queued, and a cancel-all if anything is
//!    in flight, and submits them.
//! 2. The ring closes: later cancels are dropped (their operations' own references stay with the
//!    kernel until their CQEs).
//! 3. The owner reaps until nothing is in flight or the deadline passes; a ring with operations
//!    still in flight goes to the reaper thread (`reaper.rs`).

use super::{count, LocalRing, Ring, Submitter};
use crate::loom::sync::atomic::Ordering;
use crate::rt::uring::cell::{tag, RawOp};
use io_uring::{opcode, types};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Ring {
    /// Cancels the operation `op` names (a reference to its cell), from any thread.
    pub(crate) fn cancel(self: &Arc<Ring>, op: RawOp) {
        self.metrics.cancelled.fetch_add(1, Ordering::Relaxed);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let mut op = Some(op);
        crate::rt::uring::with_local_ring(|local, _| {
            if Arc::ptr_eq(&local.ring, self) {
                let op = op.take().expect("taken once");
                local.submitter().push_cancel(op);
            }
        });
        let Some(op) = op else {
            return;
        };
        if self.shared_sq.is_some() {
            let mut op = Some(op);
            self.submit_shared(|sub| sub.push_cancel(op.take().expect("pushed once")));
            return;
        }
        self.queue_remote(op);
    }

    /// A cancel asked for by a reaper (a multishot stream's cap, `multishot.rs`): always through
    /// the remote list, which the owner drains on its next tick (the reaper may be the owner
    /// in the middle of its ring turn, its submission side out of reach).
    pub(crate) fn queue_cancel(&self, op: RawOp) {
        self.metrics.cancelled.fetch_add(1, Ordering::Relaxed);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if self.shared_sq.is_some() {
            // No multishot stream with a cap runs on the shared ring; its owner-less queue
            // takes the cancel at once all the same.
            let mut op = Some(op);
            self.submit_shared(|sub| sub.push_cancel(op.take().expect("pushed once")));
            return;
        }
        self.queue_remote(op);
    }

    /// Queues a cancel for the owner of this worker ring and wakes it.
    fn queue_remote(&self, op: RawOp) {
        {
            let mut remote = self.remote.lock();
            // Checked again under the lock `close` drains the list under: a cancel that lost the
            // race with `close` must not leave its reference on a list nobody drains any more.
            if self.closed.load(Ordering::Acquire) {
                drop(remote);
                drop(op);
                return;
            }
            remote.push(op);
            // Release: pairs with the Acquire swap in `Submitter::drain_remote`.
            self.has_remote.store(true, Ordering::Release);
        }
        if let Some(unpark) = &*self.owner_unpark.lock() {
            unpark();
        }
    }

    /// Shutdown: no more submissions.
    pub(crate) fn close(&self) {
        {
            // Under the lock `cancel` checks `closed` under: no cancel is pushed after the drain.
            let mut remote = self.remote.lock();
            self.closed.store(true, Ordering::Release);
            // Cancels queued by other threads will not be submitted: drop their references (the
            // operations' own references stay with the kernel until their CQEs).
            drop(std::mem::take(&mut *remote));
        }
        drop(self.owner_unpark.lock().take());
    }
}

impl LocalRing {
    /// Shutdown of a worker ring (`Submitter::shutdown`); if operations are still in flight at
    /// the deadline, the ring goes to the reaper thread, which frees their cells at their CQEs.
    pub(crate) fn shutdown(mut self, deadline: Instant) {
        if !self.submitter().shutdown(deadline) {
            crate::rt::uring::reaper::adopt(self);
        }
    }
}

impl Submitter<'_> {
    pub(crate) fn push_cancel(&mut self, op: RawOp) {
        let target = op.user_data(tag::OP);
        let entry = opcode::AsyncCancel::new(target)
            .build()
            .user_data(op.into_user_data(tag::CANCEL));
        count(&self.ring.pushed, 1);
        self.push_entry(entry);
    }

    /// Cancels every request in flight on this ring (shutdown).
    fn push_cancel_all(&mut self) {
        let entry = opcode::AsyncCancel2::new(types::CancelBuilder::any().all())
            .build()
            .user_data(tag::INTERNAL);
        count(&self.ring.pushed, 1);
        self.push_entry(entry);
    }

    /// Pushes cancel requests other threads queued for this ring.
    pub(crate) fn drain_remote(&mut self) {
        // A plain load first: this runs on every tick, and a swap would write the line each time.
        // Acquire (both): pairs with the Release store in `Ring::cancel`.
        if !self.ring.has_remote.load(Ordering::Acquire)
            || !self.ring.has_remote.swap(false, Ordering::Acquire)
        {
            return;
        }
        let remote = std::mem::take(&mut *self.ring.remote.lock());
        for op in remote {
            self.push_cancel(op);
        }
    }

    /// Shutdown: cancel everything in flight and wait (bounded) for the CQEs. Returns false if
    /// operations were still in flight at the deadline (the caller hands the ring to the reaper).
    pub(crate) fn shutdown(&mut self, deadline: Instant) -> bool {
        self.drain_remote();
        if self.ring.in_flight() > 0 {
            self.push_cancel_all();
        }
        let _ = self.flush();
        self.ring.close();
        loop {
            self.ring.reap();
            if self.ring.in_flight() == 0 && !self.has_unsubmitted() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let _ = self.flush();
            let wait = (deadline - now).min(Duration::from_millis(10));
            let ts = types::Timespec::new()
                .sec(wait.as_secs())
                .nsec(wait.subsec_nanos());
            let args = types::SubmitArgs::new().timespec(&ts);
            self.ring.metrics.enters.fetch_add(1, Ordering::Relaxed);
            let _ = self.ring.uring.submitter().submit_with_args(1, &args);
        }
    }
}
