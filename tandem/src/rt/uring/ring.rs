//! One io_uring instance: its submission side, owned by one thread at a time (`LocalRing`), and
//! its completion side, reaped by whoever holds the CQ's `DrainLock`.
//!
//! # Submission (no lock)
//! A worker's `LocalRing` lives in the worker's core, which one thread runs at a time, so pushing
//! an entry is a plain store into the SQ. Entries are submitted together (one `io_uring_enter`)
//! when the worker runs out of tasks, before it parks, every `event_interval` ticks, and at once
//! when the SQ is full. Entries that do not fit (the kernel refused them with EBUSY while its
//! completion queue overflows) wait in `backlog`, in order: a pushed entry is never dropped.
//! Threads that are not workers use the runtime's shared ring, whose `LocalRing` sits behind a
//! mutex and submits at once.
//!
//! # Completion (try-lock plus a flag, no lost CQE)
//! The CQ head may only move under the CQ's `DrainLock`. A thread that learns of new CQEs (the
//! ring's fd turned readable in epoll) takes the lock or, if it is held, leaves a note that the
//! holder reads when it unlocks, and reaps again (`util/drain_lock.rs`). CQEs are copied out under
//! the lock and dispatched (results stored, futures woken) after it is released.
//!
//! # Waking a parked owner
//! A worker ring's fd is in epoll with `EPOLLONESHOT`, disarmed while its owner runs (the owner
//! reaps on every tick for free, and completions posted inline during its own submits must not
//! wake the thread sleeping in epoll). Before parking with operations in flight, the owner arms
//! it; `EPOLL_CTL_MOD` reports at once a CQ that is already non-empty, so a CQE posted between the
//! owner's last reap and the arming is not lost. The thread that gets the event reaps the ring and
//! re-arms it while operations remain.
//!
//! # Cancellation from any thread
//! A cancel request for an operation on this ring is pushed directly if the calling thread owns
//! the ring's `LocalRing`; otherwise it goes into `remote` and the owner is unparked to push it
//! (`IORING_OP_ASYNC_CANCEL` only cancels requests of its own ring).

use super::metrics::RingMetrics;
use super::op::{tag, CqeResult, RawOp};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::util::drain_lock::DrainLock;
use io_uring::{opcode, squeue, types, IoUring};
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// `IORING_ENTER_GETEVENTS` (the io-uring crate keeps its `sys` constants private).
const IORING_ENTER_GETEVENTS: u32 = 1;

/// CQEs copied out per lock acquisition.
const REAP_BATCH: usize = 64;

/// Where a ring's fd sits in epoll.
pub(crate) struct Arming {
    pub(crate) epoll_fd: RawFd,
    pub(crate) token: u64,
    /// Oneshot (worker rings) or always armed, edge-triggered (the shared ring).
    pub(crate) oneshot: bool,
}

pub(crate) struct Ring {
    uring: IoUring,
    /// Identifies the runtime (`Rings`) this ring belongs to.
    pub(crate) rings_id: usize,
    /// Whoever moves the CQ head holds this (`util/drain_lock.rs`: no CQE left behind).
    cq: DrainLock,
    /// Entries pushed (operations, cancel requests), ever. Written only by the ring's one
    /// submitter, so a load and a store, not a read-modify-write (which costs a locked
    /// instruction per operation); `in_flight` is `pushed - reaped`.
    pushed: AtomicUsize,
    /// CQEs reaped, ever. Written only under the CQ's `DrainLock` (one reaper at a time).
    reaped: AtomicUsize,
    /// A reaper saw the CQ full since the kernel's overflow list was last flushed: completions
    /// may wait there (`IORING_FEAT_NODROP`). Only touched under the CQ's `DrainLock`. The CQ
    /// is drained 64 entries at a time, so "full" is seen at the start of a drain and must be
    /// remembered until the drain reaches the end, where the flush is due.
    cq_overflow_suspected: AtomicBool,
    remote: Mutex<Vec<RawOp>>,
    has_remote: AtomicBool,
    /// Wakes the thread that owns the `LocalRing` (set for worker rings). It reaches the
    /// scheduler, which reaches the rings: `close` drops it to break that cycle.
    owner_unpark: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    arming: OnceLock<Arming>,
    /// The shared ring's submission state (worker rings keep theirs in a `LocalRing`).
    shared_sq: Option<Mutex<SqState>>,
    /// No more submissions: the runtime shut down. Cancels of leftover operations are dropped.
    closed: AtomicBool,
    pub(crate) metrics: RingMetrics,
}

/// A file call served inline, for the metrics.
#[derive(Debug, Clone, Copy)]
pub(crate) enum InlineCall {
    Read,
    Open,
}

/// A worker's ring: the ring and its submission state, owned by the worker's core.
pub(crate) struct LocalRing {
    ring: Arc<Ring>,
    sq: SqState,
}

/// What the submitting thread keeps about the SQ.
#[derive(Default)]
pub(crate) struct SqState {
    /// Entries that found the SQ full, in push order.
    backlog: VecDeque<squeue::Entry>,
    /// Entries pushed into the SQ since the last `io_uring_enter`.
    unsubmitted: usize,
}

/// Exclusive access to a ring's submission side.
pub(crate) struct Submitter<'a> {
    ring: &'a Ring,
    sq: &'a mut SqState,
}

impl Ring {
    /// A ring; `shared`: submitted to by any thread, under a mutex.
    pub(crate) fn new(uring: IoUring, rings_id: usize, shared: bool) -> Arc<Ring> {
        Arc::new(Ring {
            shared_sq: shared.then(|| Mutex::new(SqState::default())),
            uring,
            rings_id,
            cq: DrainLock::new(),
            pushed: AtomicUsize::new(0),
            reaped: AtomicUsize::new(0),
            cq_overflow_suspected: AtomicBool::new(false),
            remote: Mutex::new(Vec::new()),
            has_remote: AtomicBool::new(false),
            owner_unpark: Mutex::new(None),
            arming: OnceLock::new(),
            closed: AtomicBool::new(false),
            metrics: RingMetrics::default(),
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.uring.as_raw_fd()
    }

    pub(crate) fn set_owner_unpark(&self, unpark: Box<dyn Fn() + Send + Sync>) {
        *self.owner_unpark.lock() = Some(unpark);
    }

    pub(crate) fn set_arming(&self, arming: Arming) {
        let _ = self.arming.set(arming);
    }

    /// Counts a file call served inline on the thread that owns this ring's submissions
    /// (`owner`: a worker holding its core, the counters' one writer) or on another thread
    /// (the shared ring, any number of writers).
    pub(crate) fn count_inline(&self, call: InlineCall, owner: bool) {
        let counter = match call {
            InlineCall::Read => &self.metrics.inline_reads,
            InlineCall::Open => &self.metrics.inline_opens,
        };
        if owner {
            count64(counter, 1);
        } else {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Entries pushed and not yet reaped. Never an underestimate of the moment `reaped` is read
    /// (an entry is pushed before it is reaped, and `pushed` is read after `reaped`): a caller
    /// deciding whether to arm or to wait can only err towards doing so.
    pub(crate) fn in_flight(&self) -> usize {
        // Acquire: pairs with the Release stores in `count`.
        let reaped = self.reaped.load(Ordering::Acquire);
        let pushed = self.pushed.load(Ordering::Acquire);
        pushed.saturating_sub(reaped)
    }

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
    pub(crate) fn reap_after_event(&self) -> usize {
        let n = self.reap_loop(true);
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
        self.reap_loop(false)
    }

    fn reap_loop(&self, announced: bool) -> usize {
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
        while let Some(held) = guard {
            let mut batch = [(0u64, CqeResult::default()); REAP_BATCH];
            let (n, more) = self.copy_out(&mut batch);
            let noted = held.unlock();
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
            if !more && !noted {
                break;
            }
            guard = self.cq.try_lock();
        }
        if let Some(panic) = panicked {
            std::panic::resume_unwind(panic);
        }
        total
    }

    /// Under the CQ lock: copies out up to a batch of CQEs. `more`: call again.
    fn copy_out(&self, batch: &mut [(u64, CqeResult); REAP_BATCH]) -> (usize, bool) {
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
                    refused: false,
                },
            );
            n += 1;
            if n == REAP_BATCH {
                break;
            }
        }
        let more = !cq.is_empty() || n == REAP_BATCH;
        drop(cq);
        // Counted here, under the lock, where there is one writer; delivered after unlocking.
        count(&self.reaped, n);
        let ops = batch[..n]
            .iter()
            .filter(|(user_data, _)| user_data & tag::MASK == tag::OP)
            .count();
        count64(&self.metrics.completed, ops as u64);
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
            tag::OP => {
                // SAFETY: an OP-tagged user_data is the reference `Op` gave the ring at push;
                // each CQE is reaped exactly once (under the CQ lock).
                unsafe { RawOp::from_user_data(user_data) }.complete(result);
            }
            tag::CANCEL => {
                // SAFETY: as above, for the reference the cancel request holds.
                drop(unsafe { RawOp::from_user_data(user_data) });
            }
            tag::INTERNAL => {}
            other => panic!("io_uring CQE with unknown tag {other} (user_data {user_data:#x})"),
        }
    }

    /// Cancels the operation `op` names (a reference to its cell), from any thread.
    pub(crate) fn cancel(self: &Arc<Ring>, op: RawOp) {
        self.metrics.cancelled.fetch_add(1, Ordering::Relaxed);
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let mut op = Some(op);
        super::with_local_ring(|local, _| {
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

    /// Runs `f` with the shared ring's submitter (under its mutex). `None` for a worker ring.
    pub(crate) fn with_shared<R>(&self, f: impl FnOnce(&mut Submitter<'_>) -> R) -> Option<R> {
        let sq = self.shared_sq.as_ref()?;
        let mut sq = sq.lock();
        Some(f(&mut Submitter {
            ring: self,
            sq: &mut sq,
        }))
    }

    /// Runs `push` with the shared ring's submitter and submits at once; the shared ring has no
    /// owner that would flush later, so a refused enter (EBUSY while the CQ overflows, EAGAIN)
    /// is retried here, reaping in between, until the kernel has taken every entry. False if the
    /// ring is closed (then `push` did not run). Panics on a worker ring.
    pub(crate) fn submit_shared(&self, push: impl FnOnce(&mut Submitter<'_>)) -> bool {
        let sq = self
            .shared_sq
            .as_ref()
            .expect("submit_shared on a worker ring");
        let mut push = Some(push);
        let mut backoff = Backoff::default();
        loop {
            let all_in = {
                let mut sq = sq.lock();
                let mut sub = Submitter {
                    ring: self,
                    sq: &mut sq,
                };
                if let Some(push) = push.take() {
                    if sub.is_closed() {
                        return false;
                    }
                    push(&mut sub);
                }
                sub.flush()
            };
            if all_in {
                return true;
            }
            // With the submission lock released: completions wake tasks, which may submit.
            if self.reap() == 0 {
                backoff.wait();
            }
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
    pub(crate) fn new(ring: Arc<Ring>) -> LocalRing {
        LocalRing {
            ring,
            sq: SqState::default(),
        }
    }

    pub(crate) fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    pub(crate) fn submitter(&mut self) -> Submitter<'_> {
        Submitter {
            ring: &self.ring,
            sq: &mut self.sq,
        }
    }

    /// True if a `tick` could find something: a remote cancel to push, or an operation that
    /// reached the kernel and may have completed. Two loads; the worker asks on every tick.
    pub(crate) fn wants_tick(&self) -> bool {
        // Acquire (a plain load on x86): pairs with the Release store in `Ring::cancel`.
        self.ring.has_remote.load(Ordering::Acquire) || !self.nothing_in_kernel()
    }

    /// True if a `submit_and_reap` has something to submit.
    pub(crate) fn wants_submit(&self) -> bool {
        self.sq.unsubmitted > 0
            || !self.sq.backlog.is_empty()
            // Acquire: as in `wants_tick`.
            || self.ring.has_remote.load(Ordering::Acquire)
    }

    /// The owner's per-tick work: queued remote cancels, then completions (no syscall). Skips
    /// the CQ when every operation in flight is still in our SQ (nothing can have completed).
    pub(crate) fn tick(&mut self) -> usize {
        self.submitter().drain_remote();
        if self.nothing_in_kernel() {
            return 0;
        }
        self.ring.reap()
    }

    /// True if every entry pushed and not yet reaped is still ours to submit: the kernel holds
    /// none of this ring's work, so no completion can be waiting.
    pub(crate) fn nothing_in_kernel(&self) -> bool {
        let queued = self.sq.unsubmitted + self.sq.backlog.len();
        self.ring.in_flight() <= queued
    }

    /// True if an entry pushed now would have an `io_uring_enter` to itself: `idle` (the
    /// worker has no other task queued) and none of this ring's work in the kernel. `Rings::push`
    /// then submits it at once, and `fs` tries an open inline instead.
    pub(crate) fn submits_alone(&self, idle: bool) -> bool {
        idle && self.nothing_in_kernel()
    }

    /// When the owner has run out of tasks: submit, then reap what completed inline.
    pub(crate) fn submit_and_reap(&mut self) -> usize {
        let mut sub = self.submitter();
        sub.drain_remote();
        if !sub.has_unsubmitted() {
            return 0;
        }
        // Entries the kernel refuses for now stay queued: `before_park` insists.
        let _ = sub.flush();
        self.ring.reap()
    }

    /// Before the owner parks: submit, reap, and arm the fd while anything is in flight.
    /// Returns the number of completions reaped (if any, the owner has work and should not park).
    pub(crate) fn before_park(&mut self) -> usize {
        let n = self.submit_all();
        if n == 0 && self.ring.in_flight() > 0 {
            self.ring.arm();
        }
        n
    }

    /// Shutdown of a worker ring (`Submitter::shutdown`); if operations are still in flight at
    /// the deadline, the ring goes to the reaper thread, which frees their cells at their CQEs.
    pub(crate) fn shutdown(mut self, deadline: Instant) {
        if !self.submitter().shutdown(deadline) {
            super::reaper::adopt(self);
        }
    }

    /// For the reaper: submits the entries still queued, in this ring's queue or, for the shared
    /// ring, in the queue behind its mutex.
    pub(crate) fn submit_leftovers(&mut self) {
        let shared = self.ring.with_shared(|sub| {
            let _ = sub.flush();
        });
        if shared.is_none() {
            let _ = self.submitter().flush();
        }
    }

    /// Nothing pushed on this ring waits for its CQE any more (queued entries count as pushed).
    pub(crate) fn is_drained(&self) -> bool {
        self.ring.in_flight() == 0
    }

    /// Submits every queued entry and reaps. Returns the completions reaped; if none, every
    /// entry has reached the kernel.
    ///
    /// The owner calls this before it stops submitting for a while (it parks, or its
    /// `block_on` returns): it never returns 0 with entries the kernel has not taken, because
    /// nothing would submit them meanwhile, and an operation waiting in the SQ never completes
    /// (a detached close would keep its fd). A refused enter (EBUSY: the CQ overflows, which the
    /// reap makes room in; EAGAIN: the kernel is short of memory) is retried, with a growing
    /// pause while nothing completes.
    pub(crate) fn submit_all(&mut self) -> usize {
        self.submitter().drain_remote();
        let mut backoff = Backoff::default();
        loop {
            let all_in = self.submitter().flush();
            let n = self.ring.reap();
            if n > 0 {
                // Tasks to run; entries still queued go with the next flush.
                return n;
            }
            if all_in {
                return 0;
            }
            backoff.wait();
        }
    }
}

/// The pause between retries of an enter the kernel refused: a yield at first, then sleeps
/// doubling up to a millisecond.
#[derive(Default)]
struct Backoff {
    step: u32,
}

impl Backoff {
    fn wait(&mut self) {
        if self.step == 0 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(50 << self.step.min(5)));
        }
        self.step += 1;
    }
}

impl Submitter<'_> {
    /// Queues `entry` (its `user_data` already set); it reaches the kernel at the next flush.
    pub(crate) fn push(&mut self, entry: squeue::Entry) {
        count(&self.ring.pushed, 1);
        count64(&self.ring.metrics.submitted, 1);
        self.push_entry(entry);
    }

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

    fn push_entry(&mut self, entry: squeue::Entry) {
        if self.sq.backlog.is_empty() && self.try_push(&entry) {
            return;
        }
        // SQ full: submit what is there, then try again; park it in order if still no room.
        let _ = self.flush();
        if !(self.sq.backlog.is_empty() && self.try_push(&entry)) {
            self.sq.backlog.push_back(entry);
        }
    }

    fn try_push(&mut self, entry: &squeue::Entry) -> bool {
        // SAFETY: only a `Submitter` touches the SQ, and it borrows the ring's one `SqState`
        // mutably (owned by a worker core, or behind the shared ring's mutex): one thread at a
        // time. The entry's pointers stay valid until its CQE: they point into an operation cell
        // the kernel's reference keeps alive (`OpCode`'s contract).
        let pushed = unsafe { self.ring.uring.submission_shared().push(entry).is_ok() };
        if pushed {
            self.sq.unsubmitted += 1;
        }
        pushed
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

    /// True once the runtime has shut the ring down: nothing pushed now would be reaped.
    pub(crate) fn is_closed(&self) -> bool {
        self.ring.closed.load(Ordering::Acquire)
    }

    /// True if entries wait for an `io_uring_enter`.
    pub(crate) fn has_unsubmitted(&self) -> bool {
        self.sq.unsubmitted > 0 || !self.sq.backlog.is_empty()
    }

    /// Submits everything pushed so far in one `io_uring_enter` (plus backlog refills). False if
    /// the kernel refused some for now (EBUSY, EAGAIN): they stay queued, in order, and the
    /// caller must flush again before it waits for anything (`LocalRing::before_park`,
    /// `Ring::submit_shared`).
    pub(crate) fn flush(&mut self) -> bool {
        loop {
            while let Some(entry) = self.sq.backlog.front() {
                let entry = entry.clone();
                if !self.try_push(&entry) {
                    break;
                }
                self.sq.backlog.pop_front();
            }
            if self.sq.unsubmitted == 0 {
                return self.sq.backlog.is_empty();
            }
            self.ring.metrics.enters.fetch_add(1, Ordering::Relaxed);
            match self.enter() {
                Ok(n) => {
                    if n > 0 {
                        SUBMITTED_HERE.with(|submitted| submitted.set(true));
                    }
                    self.sq.unsubmitted -= n.min(self.sq.unsubmitted);
                    if n == 0 {
                        // The kernel took nothing without saying why: as EAGAIN.
                        return false;
                    }
                    if self.sq.backlog.is_empty() {
                        // A short count (the kernel stopped at an entry it could not allocate
                        // for) leaves the rest queued: the caller retries.
                        return self.sq.unsubmitted == 0;
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {
                    // The CQ is overflowing, or the kernel is short of memory: the entries
                    // stay in the SQ until a flush after a reap makes room. Never dropped.
                    return false;
                }
                Err(e) => {
                    // Only a bug gets here (EBADF, EFAULT, EINVAL on the enter itself); the
                    // entries stay queued rather than be forgotten with their buffers.
                    eprintln!("tandem: io_uring_enter failed: {e}");
                    return true;
                }
            }
        }
    }

    /// One `io_uring_enter` submitting the SQ's entries. Unit tests can make it refuse.
    fn enter(&self) -> io::Result<usize> {
        #[cfg(all(test, not(loom)))]
        if let Some(errno) = tests::injected_refusal() {
            return Err(io::Error::from_raw_os_error(errno));
        }
        self.ring.uring.submit()
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

std::thread_local! {
    /// This thread has submitted io_uring requests (an `io_uring_enter` that took entries).
    static SUBMITTED_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True if this thread ever submitted io_uring requests. The kernel ties a request to the
/// thread whose enter submitted it and cancels the thread's pending requests when it exits, so
/// such a thread must outlive them: the blocking pool keeps it until the runtime shuts down
/// (whose rings are drained first) rather than end it after its keep-alive.
pub(crate) fn thread_has_submitted() -> bool {
    SUBMITTED_HERE.with(std::cell::Cell::get)
}

/// Adds `n` to a counter that has one writer at a time (its writers are ordered by the
/// submitter's exclusivity or the CQ lock): a load and a store, no locked instruction.
fn count(counter: &AtomicUsize, n: usize) {
    if n > 0 {
        // Release: pairs with the Acquire loads in `Ring::in_flight`.
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Release);
    }
}

/// `count` for the 64-bit statistics (Relaxed: read with no ordering needs).
fn count64(counter: &crate::loom::sync::atomic::AtomicU64, n: u64) {
    if n > 0 {
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("fd", &self.fd())
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{tag, LocalRing, Ring};
    use io_uring::{opcode, IoUring};
    use std::cell::RefCell;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    std::thread_local! {
        /// Errnos the next `io_uring_enter`s on this thread fail with, first first.
        static REFUSALS: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn injected_refusal() -> Option<i32> {
        REFUSALS.with(|r| {
            let mut r = r.borrow_mut();
            (!r.is_empty()).then(|| r.remove(0))
        })
    }

    fn refuse_next_enters(errnos: &[i32]) {
        REFUSALS.with(|r| *r.borrow_mut() = errnos.to_vec());
    }

    fn ring(shared: bool) -> Arc<Ring> {
        Ring::new(IoUring::new(8).expect("io_uring_setup"), 0, shared)
    }

    fn nop() -> io_uring::squeue::Entry {
        opcode::Nop::new().build().user_data(tag::INTERNAL)
    }

    /// Reaps until nothing is in flight; false if that takes longer than a bound.
    fn completes(ring: &Ring) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while ring.in_flight() > 0 {
            if Instant::now() > deadline {
                return false;
            }
            ring.wait_and_reap(Duration::from_millis(10));
        }
        true
    }

    /// A lone entry whose enter the kernel refuses right before its owner parks: nothing else
    /// would submit it while the owner sleeps, so `before_park` must not return before the
    /// kernel has it (the operation would never complete).
    #[test]
    fn a_refused_enter_before_parking_is_retried() {
        for errno in [libc::EAGAIN, libc::EBUSY, libc::EINTR] {
            let mut local = LocalRing::new(ring(false));
            local.submitter().push(nop());
            refuse_next_enters(&[errno, errno]);
            let reaped = local.before_park();
            assert!(
                reaped > 0 || !local.submitter().has_unsubmitted(),
                "{errno}: before_park returned with the entry still in the SQ"
            );
            assert!(
                completes(local.ring()),
                "{errno}: the entry never completed"
            );
            assert!(injected_refusal().is_none(), "every refusal was used");
        }
    }

    /// The shared ring has no owner that would submit later: `submit_shared` returns only once
    /// the kernel took the entry.
    #[test]
    fn a_refused_enter_on_the_shared_ring_is_retried() {
        let ring = ring(true);
        refuse_next_enters(&[libc::EBUSY, libc::EAGAIN, libc::EINTR]);
        assert!(ring.submit_shared(|sub| sub.push(nop())));
        assert!(!ring.with_shared(|sub| sub.has_unsubmitted()).unwrap());
        assert!(completes(&ring), "the entry never completed");
        assert!(injected_refusal().is_none(), "every refusal was used");
    }
}
