//! Cancellation: a cancel request routed to the ring that owns the operation, from any thread,
//! and shutdown's cancel of everything in flight.
//!
//! # Cancellation from any thread
//! A cancel request for an operation on this ring is pushed directly if the calling thread owns
//! the ring's `LocalRing`; otherwise it goes into `remote` and the owner is unparked to push it
//! (`IORING_OP_ASYNC_CANCEL` only cancels requests of its own ring).
//!
//! # Operations pushed from any thread
//! `push_remote` queues an operation's entry the same way: a completion that submits the next
//! operation of a chain on the ring it completed on (a TCP stream's next send,
//! `ops/send.rs`), from whatever thread reaped it, possibly the owner in the middle of its
//! ring turn. The owner pushes it at its next tick, or when it runs out of tasks, or before it
//! parks (every path that submits drains the list first). After `close`, the entry is not
//! pushed: its operation completes as refused.
//!
//! # Shutdown
//! 1. The owner pushes the cancel requests other threads queued, and a cancel-all if anything is
//!    in flight, and submits them.
//! 2. The ring closes: later cancels are dropped (their operations' own references stay with the
//!    kernel until their CQEs).
//! 3. The owner reaps until nothing is in flight or the deadline passes, sending the cancel-all
//!    again on every round (a multishot request may have been on no list the first one
//!    searched); a ring with operations still in flight goes to the reaper thread
//!    (`reaper.rs`), which goes on cancelling.

use super::{count, LocalRing, Queued, Remote, Ring, Submitter};
use crate::loom::sync::atomic::Ordering;
use crate::rt::uring::cell::{tag, CqeResult, RawOp};
use io_uring::squeue;
use io_uring::{opcode, types};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Ring {
    /// Cancels the operation `op` names (a reference to its cell), from any thread: pushed at
    /// once on the owner's own thread, else as `queue_cancel` does.
    pub(crate) fn cancel(self: &Arc<Ring>, op: RawOp) {
        let mut op = Some(op);
        if !self.closed.load(Ordering::Acquire) {
            crate::rt::uring::with_local_ring(|local, _| {
                if Arc::ptr_eq(&local.ring, self) {
                    let op = op.take().expect("taken once");
                    local.submitter().push_cancel(op);
                }
            });
        }
        match op {
            None => {
                self.metrics.cancelled.fetch_add(1, Ordering::Relaxed);
            }
            Some(op) => self.queue_cancel(op),
        }
    }

    /// A cancel through the remote list, which the owner drains on its next tick (on the shared
    /// ring, submitted at once). Used by other threads, and by a reaper (a multishot stream's
    /// cap, `multishot.rs`), which may be the owner in the middle of its ring turn, its
    /// submission side out of reach.
    pub(crate) fn queue_cancel(&self, op: RawOp) {
        self.metrics.cancelled.fetch_add(1, Ordering::Relaxed);
        self.route_cancel(op);
    }

    /// `queue_cancel` without counting: also a cancel sent again, after the kernel found
    /// nothing to cancel while the request went on (`dispatch`).
    pub(super) fn route_cancel(&self, op: RawOp) {
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
        self.queue_remote(Remote::Cancel(op));
    }

    /// Queues an operation's entry (`user_data`: its cell's reference, tag `OP`) for the owner of
    /// this worker ring to push, from any thread, and wakes the owner. If the ring is closed
    /// (the runtime shut down), the operation completes as refused, here.
    pub(crate) fn push_remote(&self, entry: squeue::Entry) {
        debug_assert!(self.shared_sq.is_none(), "push_remote on the shared ring");
        self.queue_remote(Remote::Push(entry));
    }

    /// Queues a cancel or an entry for the owner of this worker ring and wakes it.
    fn queue_remote(&self, item: Remote) {
        {
            let mut remote = self.remote.lock();
            // Checked again under the lock `close` drains the list under: a cancel that lost the
            // race with `close` must not leave its reference on a list nobody drains any more.
            if self.closed.load(Ordering::Acquire) {
                drop(remote);
                refuse(item);
                return;
            }
            remote.push(item);
            // Release: pairs with the Acquire swap in `Submitter::drain_remote`.
            self.has_remote.store(true, Ordering::Release);
        }
        if let Some(unpark) = &*self.owner_unpark.lock() {
            unpark();
        }
    }

    /// Shutdown: no more submissions.
    pub(crate) fn close(&self) {
        let left = {
            // Under the lock `cancel` checks `closed` under: no cancel is pushed after the drain.
            let mut remote = self.remote.lock();
            self.closed.store(true, Ordering::Release);
            std::mem::take(&mut *remote)
        };
        // Cancels queued by other threads will not be submitted: drop their references (the
        // operations' own references stay with the kernel until their CQEs). Entries never
        // pushed complete as refused, outside the lock (their completion may queue more).
        left.into_iter().for_each(refuse);
        drop(self.owner_unpark.lock().take());
    }
}

/// Gives up a queued item the ring will not push: a cancel's reference is dropped, an entry's
/// operation completes as refused (it never reached a kernel).
fn refuse(item: Remote) {
    match item {
        Remote::Cancel(op) => drop(op),
        Remote::Push(entry) => {
            // SAFETY: the entry's `user_data` is its cell's reference (`push_remote`'s contract),
            // never pushed, so taken back exactly once, here.
            let op = unsafe { RawOp::from_user_data(entry.get_user_data()) };
            op.complete(CqeResult::refused());
        }
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

    /// Shutdown (and the reaper, after it): cancels every request in flight on this ring, if
    /// any. Sent again on every round of the wait: a multishot request can be on none of the
    /// lists the kernel's cancel searches for a moment while it goes on (see `Ring::dispatch`),
    /// and would otherwise outlive the runtime.
    pub(crate) fn cancel_all_in_flight(&mut self) {
        if self.ring.in_flight() > 0 {
            self.push_cancel_all();
        }
    }

    /// Cancels every request in flight on this ring.
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
        for item in remote {
            match item {
                Remote::Cancel(op) => self.push_cancel(op),
                Remote::Push(entry) => self.push_ops(Queued::One(entry)),
            }
        }
    }

    /// Shutdown: cancel everything in flight and wait (bounded) for the CQEs. Returns false if
    /// operations were still in flight at the deadline (the caller hands the ring to the reaper).
    pub(crate) fn shutdown(&mut self, deadline: Instant) -> bool {
        // First: a send cancelled below, or refused once the ring is closed, hands its bytes
        // to the socket directly, waiting for room until the deadline (`ops/send.rs`).
        // (Set once: the reaper, after the deadline, finds it set and past.)
        let _ = self.ring.shutdown_deadline.set(deadline);
        self.drain_remote();
        self.cancel_all_in_flight();
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
            self.cancel_all_in_flight();
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
