//! The submission side of a ring.
//!
//! # Submission (no lock)
//! A worker's `LocalRing` lives in the worker's core, which one thread runs at a time, so pushing
//! an entry is a plain store into the SQ. Entries are submitted together (one `io_uring_enter`)
//! when the worker runs out of tasks, before it parks, every `event_interval` ticks, and at once
//! when the SQ is full. Entries that do not fit (the kernel refused them with EBUSY while its
//! completion queue overflows) wait in `backlog`, in order: a pushed entry is never dropped.
//! A batch (`push_ops` with `Queued::Batch`, from `tandem::uring::Batch`) is one unit
//! everywhere: into the SQ all at once or into the backlog all at once, and out of the backlog
//! only whole, so its entries are contiguous in the SQ and go to the kernel in one enter (a link
//! chain is never cut).
//! Threads that are not workers use the runtime's shared ring, whose `LocalRing` sits behind a
//! mutex and submits at once.

use super::{count, count64, LocalRing, Queued, Ring, Submitter};
use crate::loom::sync::atomic::Ordering;
use io_uring::squeue;
use std::io;
use std::time::Duration;

impl Ring {
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
}

impl LocalRing {
    /// True if a `submit_and_reap` has something to submit.
    #[inline]
    pub(crate) fn wants_submit(&self) -> bool {
        self.sq.unsubmitted > 0
            || !self.sq.backlog.is_empty()
            // Acquire: as in `wants_tick`.
            || self.ring.has_remote.load(Ordering::Acquire)
    }

    /// True if an entry pushed now would have an `io_uring_enter` to itself: `idle` (the
    /// worker has no other task queued) and nothing else pushed on this ring and not yet
    /// reaped, in the kernel or still in our SQ, but multishot accepts waiting for
    /// connections (`Ring::waiting_accepts`: a listener armed on a worker would otherwise keep
    /// every later entry of that worker from being submitted at once). `Rings::push` then submits it at once and
    /// reaps inside the pushing task's poll, and `fs` tries an open inline instead. (Entries
    /// other tasks pushed this tick wait for the worker's flush when it runs out of tasks: an
    /// inline reap of their completions would wake those tasks from inside this poll, into
    /// the LIFO slot, out of their completion order.)
    pub(crate) fn submits_alone(&self, idle: bool) -> bool {
        idle && self.only_accepts_wait()
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
        self.ring.reap_at_most(self.reap_limit)
    }

    /// Before the owner parks: submit, reap, and arm the fd while anything is in flight.
    /// Returns the number of completions reaped (if any, the owner has work and should not park).
    pub(crate) fn before_park(&mut self) -> usize {
        // Buffers given back by readers on other threads: in the group before we sleep, so an
        // armed receive on this ring does not run dry while we do.
        self.republish_bufs();
        let n = self.submit_all();
        if n == 0 && self.ring.in_flight() > 0 {
            self.ring.arm();
        }
        n
    }

    /// For the reaper, on a closed ring: cancels everything still in flight once more (see
    /// `Submitter::shutdown`) and submits the entries still queued, in this ring's queue or,
    /// for the shared ring, in the queue behind its mutex.
    pub(crate) fn cancel_and_submit_leftovers(&mut self) {
        let leftovers = |sub: &mut Submitter<'_>| {
            sub.cancel_all_in_flight();
            let _ = sub.flush();
        };
        if self.ring.with_shared(leftovers).is_none() {
            leftovers(&mut self.submitter());
        }
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
            // At least one: a refused enter is retried only after the reap made room.
            let n = self.ring.reap_at_most(self.reap_limit.max(1));
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
    /// Queues operations' entries (their `user_data` already set: one entry, or a batch) as one
    /// unit, for the next flush. A unit reaches the SQ whole, its entries contiguous and in
    /// order, and so the kernel in one `io_uring_enter` with no other entry in between. A link
    /// chain (`IOSQE_IO_LINK`) needs this: the kernel ends a chain at the end of a submission.
    /// If the SQ has no room for all of it, even after a flush, it waits in the backlog whole.
    /// At most `Ring::sq_capacity` entries (more would never fit).
    pub(crate) fn push_ops(&mut self, unit: Queued) {
        let n = unit.entries().len();
        assert!(
            n <= self.ring.sq_capacity(),
            "a batch larger than the SQ would never fit"
        );
        count(&self.ring.pushed, n);
        count64(&self.ring.metrics.submitted, n as u64);
        self.push_unit(unit);
    }

    pub(super) fn push_entry(&mut self, entry: squeue::Entry) {
        self.push_unit(Queued::One(entry));
    }

    fn push_unit(&mut self, unit: Queued) {
        if self.sq.backlog.is_empty() && self.try_push(unit.entries()) {
            return;
        }
        // SQ full: submit what is there, then try again; park it in order if still no room.
        let _ = self.flush();
        if !(self.sq.backlog.is_empty() && self.try_push(unit.entries())) {
            self.sq.backlog_entries += unit.entries().len();
            self.sq.backlog.push_back(unit);
        }
    }

    /// Pushes all of `entries` into the SQ, or none if it has no room for all.
    fn try_push(&mut self, entries: &[squeue::Entry]) -> bool {
        // SAFETY: only a `Submitter` touches the SQ, and it borrows the ring's one `SqState`
        // mutably (owned by a worker core, or behind the shared ring's mutex): one thread at a
        // time. The entries' pointers stay valid until their CQEs: they point into operation
        // cells the kernel's references keep alive (`OpCode`'s contract).
        let pushed = unsafe {
            self.ring
                .uring
                .submission_shared()
                .push_multiple(entries)
                .is_ok()
        };
        if pushed {
            self.sq.unsubmitted += entries.len();
        }
        pushed
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
            // Whole units only, in order: a batch that does not fit waits for the next round.
            while let Some(unit) = self.sq.backlog.pop_front() {
                if !self.try_push(unit.entries()) {
                    self.sq.backlog.push_front(unit);
                    break;
                }
                self.sq.backlog_entries -= unit.entries().len();
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{LocalRing, Queued, Ring};
    use crate::rt::uring::cell::{tag, CqeResult, OpCell, OpCode};
    use io_uring::{opcode, squeue, types, IoUring};
    use std::cell::RefCell;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};
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
            local.submitter().push_ops(Queued::One(nop()));
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

    /// The owner's reaps take at most its limit (what its run queue has room for); the rest
    /// wait in the CQ, in order, for the next reap; a limit of 0 (a full queue) takes none.
    #[test]
    fn reaps_take_at_most_the_limit_and_leave_the_rest_in_order() {
        let mut local = LocalRing::new(ring(false));
        let cells: Vec<_> = (0..6)
            .map(|_| {
                let (entry, cell) = tracked(opcode::Nop::new().build());
                local.submitter().push_ops(Queued::One(entry));
                cell
            })
            .collect();
        // Which cells have completed (a completed cell is polled once: it hands its data over).
        let mut ready = [false; 6];
        let mut done = |cells: &[Arc<OpCell<Tracked>>]| {
            for (cell, ready) in cells.iter().zip(&mut ready) {
                *ready = *ready
                    || cell
                        .poll_complete(&mut Context::from_waker(Waker::noop()))
                        .is_ready();
            }
            ready
        };
        local.set_reap_limit(2);
        // NOPs complete within their enter: all six are in the CQ when it returns.
        assert_eq!(local.submit_and_reap(), 2);
        assert_eq!(done(&cells), [true, true, false, false, false, false]);
        // A full queue takes nothing.
        local.set_reap_limit(0);
        assert_eq!(local.tick(), 0);
        assert_eq!(done(&cells), [true, true, false, false, false, false]);
        local.set_reap_limit(1);
        assert_eq!(local.tick(), 1);
        assert_eq!(done(&cells), [true, true, true, false, false, false]);
        local.set_reap_limit(usize::MAX);
        assert_eq!(local.tick(), 3);
        assert_eq!(local.tick(), 0);
        assert_eq!(done(&cells), [true; 6]);
    }

    /// The shared ring has no owner that would submit later: `submit_shared` returns only once
    /// the kernel took the entry.
    #[test]
    fn a_refused_enter_on_the_shared_ring_is_retried() {
        let ring = ring(true);
        refuse_next_enters(&[libc::EBUSY, libc::EAGAIN, libc::EINTR]);
        assert!(ring.submit_shared(|sub| sub.push_ops(Queued::One(nop()))));
        assert!(!ring.with_shared(|sub| sub.has_unsubmitted()).unwrap());
        assert!(completes(&ring), "the entry never completed");
        assert!(injected_refusal().is_none(), "every refusal was used");
    }

    /// A cell for an entry the test builds itself, to read the entry's result.
    struct Tracked;

    // SAFETY: the entries of these cells are built by the tests and point at no memory.
    unsafe impl OpCode for Tracked {
        fn entry(&mut self) -> squeue::Entry {
            opcode::Nop::new().build()
        }
    }

    fn tracked(entry: squeue::Entry) -> (squeue::Entry, Arc<OpCell<Tracked>>) {
        let cell = OpCell::new(Tracked);
        let user_data = cell.raw().into_user_data(tag::OP);
        (entry.user_data(user_data), cell)
    }

    fn result_of(cell: &OpCell<Tracked>) -> CqeResult {
        match cell.poll_complete(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready((result, _)) => result,
            Poll::Pending => panic!("the entry has not completed"),
        }
    }

    /// A ring whose SQ has one free slot, and a batch of two linked entries whose first fails
    /// (a read of fd -1: EBADF), with the cells that report their results. In one chain, the
    /// second is cancelled by the first one's failure; split across two enters, it would run on
    /// its own and succeed.
    fn full_sq_and_a_failing_chain() -> (
        LocalRing,
        Queued,
        Arc<OpCell<Tracked>>,
        Arc<OpCell<Tracked>>,
    ) {
        let mut local = LocalRing::new(ring(false));
        let capacity = local.ring().sq_capacity();
        for _ in 0..capacity - 1 {
            local.submitter().push_ops(Queued::One(nop()));
        }
        let (failing, first) = tracked(
            opcode::Read::new(types::Fd(-1), std::ptr::null_mut(), 0)
                .build()
                .flags(squeue::Flags::IO_LINK),
        );
        let (linked, second) = tracked(opcode::Nop::new().build());
        let batch = Queued::Batch(Box::new([failing, linked]));
        (local, batch, first, second)
    }

    /// Submits everything and checks that the chain ran as one.
    fn assert_chain_whole(mut local: LocalRing, first: &OpCell<Tracked>, second: &OpCell<Tracked>) {
        local.before_park();
        assert!(completes(local.ring()), "the entries never completed");
        assert_eq!(result_of(first).res, -libc::EBADF);
        assert_eq!(
            result_of(second).res,
            -libc::ECANCELED,
            "the chain was split: the linked entry ran on its own"
        );
    }

    /// A batch that finds the SQ without room for all of it, and an enter that cannot make
    /// room (EBUSY), waits in the backlog whole and reaches the SQ whole.
    #[test]
    fn a_batch_reaches_the_sq_whole_through_the_backlog() {
        let (mut local, batch, first, second) = full_sq_and_a_failing_chain();
        refuse_next_enters(&[libc::EBUSY]);
        local.submitter().push_ops(batch);
        assert_eq!(local.sq.backlog.len(), 1, "the batch waits whole");
        assert_eq!(local.sq.backlog_entries, 2);
        assert_chain_whole(local, &first, &second);
        assert!(injected_refusal().is_none(), "every refusal was used");
    }

    /// A batch never shares the SQ with a partial chain: when it does not fit, what is there
    /// is submitted first, then the whole batch goes in.
    #[test]
    fn a_batch_that_does_not_fit_is_pushed_after_a_flush() {
        let (mut local, batch, first, second) = full_sq_and_a_failing_chain();
        local.submitter().push_ops(batch);
        assert!(local.sq.backlog.is_empty(), "the flush made room");
        assert_eq!(local.sq.unsubmitted, 2, "the batch is in the SQ whole");
        assert_chain_whole(local, &first, &second);
    }
}
