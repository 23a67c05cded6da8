//! The completion side of a ring: reaping, dispatching CQEs, and arming the ring's fd.
//!
//! # Completion (try-lock plus a flag, no lost CQE)
//! The CQ head may only move under the CQ's `DrainLock`. A thread that learns of new CQEs (the
//! ring's fd turned readable in epoll) takes the lock or, if it is held, leaves a note that the
//! holder reads when it unlocks, and reaps again (`util/drain_lock.rs`). CQEs are copied out under
//! the lock and dispatched (results stored, futures woken) after it is released, except
//! multishot CQEs, which are queued in their cells under the lock (only their wakes wait): two
//! threads reaping consecutive batches would otherwise deliver a request's CQEs out of order.
//!
//! # Waking a parked owner
//! A worker ring's fd is in epoll with `EPOLLONESHOT`, disarmed while its owner runs (the owner
//! reaps on every tick for free, and completions posted inline during its own submits must not
//! wake the thread sleeping in epoll). Before parking with operations in flight, the owner arms
//! it; `EPOLL_CTL_MOD` reports at once a CQ that is already non-empty, so a CQE posted between the
//! owner's last reap and the arming is not lost. The thread that gets the event reaps the ring and
//! re-arms it while operations remain.

use super::{count, count64, LocalRing, Ring};
use crate::loom::sync::atomic::Ordering;
use crate::rt::uring::cell::{tag, CqeResult, Enqueued, RawOp};
use std::io;
use std::time::Duration;

/// `IORING_ENTER_GETEVENTS` (the io-uring crate keeps its `sys` constants private).
const IORING_ENTER_GETEVENTS: u32 = 1;

/// True if `result`'s CQE is not its request's last (`IORING_CQE_F_MORE`: a multishot
/// operation will post more).
fn more_follows(result: &CqeResult) -> bool {
    io_uring::cqueue::more(result.flags)
}

/// CQEs copied out per lock acquisition.
const REAP_BATCH: usize = 64;

impl Ring {
    /// Asks the kernel to report this ring's fd once more when its CQ is non-empty.
    pub(crate) fn arm(&self) {
        let Some(arming) = self.arming.get() else {
            return;
        };
        if !arming.oneshot {
            return;
        }
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLET | libc::EPOLLONESHOT) as u32,
            u64: arming.token,
        };
        // SAFETY: plain syscall on fds the runtime owns (the reactor's epoll, kept open by the
        // reactor handle the runtime holds, and this ring's fd); `event` outlives the call.
        let rc =
            unsafe { libc::epoll_ctl(arming.epoll_fd, libc::EPOLL_CTL_MOD, self.fd(), &mut event) };
        debug_assert!(
            rc == 0 || self.closed.load(Ordering::Relaxed),
            "arming a ring failed: {}",
            io::Error::last_os_error()
        );
    }

    /// Reaps after the ring's fd was reported readable (or a cancel landed): never loses a CQE.
    /// Takes at most `limit` completions from a worker ring (the reaping thread's run queue has
    /// room for that many tasks): its fd is registered one-shot and armed again here while
    /// anything is in flight, and arming a fd whose CQ still holds entries reports it again at
    /// once, so the rest wait for the next turn, not for a new completion. The shared ring's fd
    /// is edge-triggered without re-arming: it is reaped whole.
    pub(crate) fn reap_after_event(&self, limit: usize) -> usize {
        let oneshot = self.arming.get().is_some_and(|arming| arming.oneshot);
        let limit = if oneshot { limit } else { usize::MAX };
        // No room (`limit` 0): nothing reaped, and the fd armed again reports the CQ's entries
        // at once, to a later turn.
        let n = self.reap_loop(true, limit);
        if self.in_flight() > 0 {
            self.arm();
        }
        n
    }

    /// For a thread that waits on this ring without an epoll: if anything is in flight, waits
    /// (at most `limit`) until the CQ is non-empty, then reaps. False if nothing was in flight.
    pub(crate) fn wait_and_reap(&self, limit: Duration) -> bool {
        if self.in_flight() == 0 {
            return false;
        }
        if self.reap() > 0 {
            return true;
        }
        let mut pollfd = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = limit.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: `pollfd` outlives the call and names this ring's fd, open while `self` lives.
        // A ring's fd polls readable while its CQ holds entries. An error (EINTR) only ends
        // the wait early.
        let _ = unsafe { libc::poll(&mut pollfd, 1, millis) };
        self.reap();
        true
    }

    /// Reaps if nobody else is reaping (the owner's per-tick check: if another thread holds the
    /// lock, it is reaping what we would have).
    pub(crate) fn reap(&self) -> usize {
        self.reap_loop(false, usize::MAX)
    }

    /// As `reap`, taking at most `limit` completions (none if it is zero); the rest stay in
    /// the CQ. For the ring's owner, which reaps again at its next tick
    /// (`LocalRing::reap_limit`); a reaper woken by the ring's fd re-arms it instead
    /// (`reap_after_event`).
    pub(crate) fn reap_at_most(&self, limit: usize) -> usize {
        self.reap_loop(false, limit)
    }

    /// Reaps at most `limit` completions (none if it is zero: a caller with no room).
    fn reap_loop(&self, announced: bool, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        let mut total = 0;
        // A waker that panics must not cost the rest of the batch its delivery: every CQE
        // copied out of the ring exists nowhere else. The first panic is resumed once all are
        // delivered.
        let mut panicked = None;
        let mut guard = if announced {
            self.cq.try_lock_or_note()
        } else {
            self.cq.try_lock()
        };
        // CQEs of multishot cells, queued in their cells under the lock: what is left to do
        // after it (no allocation unless there are some).
        let mut enqueued = Vec::new();
        while let Some(held) = guard {
            let mut batch = [(0u64, CqeResult::default()); REAP_BATCH];
            let max = (limit - total).min(REAP_BATCH);
            let (n, more) = self.copy_out(&mut batch[..max], &mut enqueued, &mut panicked);
            let noted = held.unlock();
            for done in enqueued.drain(..) {
                let finished =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| done.finish()));
                match finished {
                    Ok(Some(cancel)) => self.queue_cancel(cancel),
                    Ok(None) => {}
                    Err(panic) => {
                        panicked.get_or_insert(panic);
                    }
                }
            }
            // Completions are delivered (futures woken) with the lock released.
            for &(user_data, result) in &batch[..n] {
                let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.dispatch(user_data, result)
                }));
                if let Err(panic) = delivered {
                    panicked.get_or_insert(panic);
                }
            }
            total += n;
            // At the limit with more in the CQ (or noted by another thread, whose event then
            // re-armed the fd, `reap_after_event`): the owner takes the rest at its next tick.
            if (!more && !noted) || total == limit {
                break;
            }
            guard = self.cq.try_lock();
        }
        if let Some(panic) = panicked {
            std::panic::resume_unwind(panic);
        }
        total
    }

    /// Under the CQ lock: copies out up to `batch.len()` CQEs. `more`: call again.
    ///
    /// CQEs of multishot cells are queued in their cells here, under the lock (their wakers and
    /// final references go to `enqueued`, for after it), and left in `batch` as `INTERNAL`: two
    /// threads that reap consecutive batches deliver them after unlocking, in either order, and
    /// a stream's chunks must keep the CQ's order (a later chunk, or the final CQE, delivered
    /// before an earlier chunk would reorder the bytes or reach a freed cell).
    fn copy_out(
        &self,
        batch: &mut [(u64, CqeResult)],
        enqueued: &mut Vec<Enqueued>,
        panicked: &mut Option<Box<dyn std::any::Any + Send>>,
    ) -> (usize, bool) {
        // SAFETY: the CQ head only moves under the CQ's `DrainLock`, which we hold.
        let mut cq = unsafe { self.uring.completion_shared() };
        let was_full = cq.is_full();
        let mut n = 0;
        for cqe in &mut cq {
            batch[n] = (
                cqe.user_data(),
                CqeResult {
                    res: cqe.result(),
                    flags: cqe.flags(),
                    refused: None,
                },
            );
            n += 1;
            if n == batch.len() {
                break;
            }
        }
        let more = !cq.is_empty() || n == batch.len();
        drop(cq);
        // Counted here, under the lock, where there is one writer; delivered after unlocking.
        // A CQE flagged F_MORE (a multishot operation's) ends no entry: only its last one does.
        let ended = batch[..n]
            .iter()
            .filter(|(_, result)| !more_follows(result));
        count(&self.reaped, ended.clone().count());
        let ops = ended
            .filter(|(user_data, _)| user_data & tag::MASK == tag::OP)
            .count();
        count64(&self.metrics.completed, ops as u64);
        for (user_data, result) in &mut batch[..n] {
            if *user_data & tag::MASK != tag::OP {
                continue;
            }
            let queued = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: an OP-tagged user_data is the reference the operation gave the ring
                // at push, kept until its final CQE; each CQE is reaped once (under this lock),
                // and if this is the final one, the reference goes into the `Enqueued` and the
                // entry is turned INTERNAL below, so `dispatch` does not take it again.
                unsafe { RawOp::enqueue_in_order(*user_data, *result) }
            }));
            match queued {
                Ok(Some(done)) => {
                    enqueued.push(done);
                    *user_data = tag::INTERNAL;
                }
                Ok(None) => {}
                Err(panic) => {
                    // A broken kernel contract (a CQE after the final one): reported once all
                    // else is delivered; the CQE is not delivered again.
                    panicked.get_or_insert(panic);
                    *user_data = tag::INTERNAL;
                }
            }
        }
        if was_full {
            count64(&self.metrics.cq_full, 1);
            self.cq_overflow_suspected.store(true, Ordering::Relaxed);
        }
        if !more && self.cq_overflow_suspected.swap(false, Ordering::Relaxed) {
            // The CQ was full since the last flush, so it may have overflowed: the kernel keeps
            // the rest (IORING_FEAT_NODROP) until an enter with GETEVENTS moves them into the
            // CQ. Nothing else would: the ring's fd stays readable while they wait, so a reaper
            // that only drained the CQ would be woken again and again, finding it empty.
            self.enter_getevents();
            return (n, true);
        }
        (n, more)
    }

    fn enter_getevents(&self) {
        self.metrics.enters.fetch_add(1, Ordering::Relaxed);
        // SAFETY: submits nothing (to_submit 0) and passes no argument; GETEVENTS with
        // min_complete 0 only flushes overflowed CQEs.
        let _ = unsafe {
            self.uring
                .submitter()
                .enter::<libc::sigset_t>(0, 0, IORING_ENTER_GETEVENTS, None)
        };
    }

    fn dispatch(&self, user_data: u64, result: CqeResult) {
        match user_data & tag::MASK {
            tag::OP if more_follows(&result) => {
                // SAFETY: an OP-tagged user_data is the reference the operation gave the ring
                // at push, kept until its final CQE (one without F_MORE), which comes later.
                unsafe { RawOp::deliver_more(user_data, result) };
            }
            tag::OP => {
                // SAFETY: an OP-tagged user_data is the reference `Op` gave the ring at push;
                // each CQE is reaped exactly once (under the CQ lock), and this is its last.
                unsafe { RawOp::from_user_data(user_data) }.complete(result);
            }
            tag::CANCEL => {
                // SAFETY: as above, for the reference the cancel request holds.
                let op = unsafe { RawOp::from_user_data(user_data) };
                // The kernel's cancel searches the lists a request waits on, and a multishot
                // request can be on none for a moment while it goes on: a multishot timeout
                // between its expiry and its re-arm (task work on the thread that submitted
                // it). Answered `ENOENT` then, the request would tick forever, its stream
                // gone: the cancel goes again until the final CQE comes. Its reference keeps
                // the cell, and so the `user_data` it names, from being reused meanwhile.
                if result.res == -libc::ENOENT && op.may_go_on() {
                    self.route_cancel(op);
                }
            }
            tag::INTERNAL => {}
            other => panic!("io_uring CQE with unknown tag {other} (user_data {user_data:#x})"),
        }
    }
}

impl LocalRing {
    /// True if a `tick` could find something: a remote cancel to push, an operation that
    /// reached the kernel and may have completed, or buffers given back to the ring's group.
    /// Two loads (three with a buffer group); the worker asks on every tick.
    #[inline]
    pub(crate) fn wants_tick(&self) -> bool {
        // Acquire (a plain load on x86): pairs with the Release store in `Ring::cancel`.
        self.ring.has_remote.load(Ordering::Acquire)
            || !self.nothing_in_kernel()
            || self.bufs.as_ref().is_some_and(|owner| owner.has_returned())
    }

    /// The owner's per-tick work: buffers given back, queued remote cancels, then completions
    /// (no syscall). Skips the CQ when every operation in flight is still in our SQ (nothing
    /// can have completed).
    pub(crate) fn tick(&mut self) -> usize {
        self.republish_bufs();
        self.submitter().drain_remote();
        if self.nothing_in_kernel() {
            return 0;
        }
        self.ring.reap_at_most(self.reap_limit)
    }
}
