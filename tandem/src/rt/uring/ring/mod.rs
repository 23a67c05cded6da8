//! One io_uring instance: its submission side, owned by one thread at a time (`LocalRing`), and
//! its completion side, reaped by whoever holds the CQ's `DrainLock`.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `mod.rs` | what the three share: `Ring` (the instance, its counters, its epoll arming), `LocalRing` (the owner's submission state), `Submitter`, the one-writer counters |
//! | `reap.rs` | completion: reaping under the CQ's `DrainLock`, dispatching CQEs, arming the fd before the owner parks |
//! | `submit.rs` | submission: pushing entries, the per-tick and before-park flushes, the shared ring's submit-at-once, refused enters |
//! | `cancel.rs` | cancel requests routed to the owning ring from any thread; shutdown's cancel-all and bounded drain |
//!
//! Each file's docs give its protocol: submission (no lock) in `submit.rs`, completion (no lost
//! CQE) and waking a parked owner in `reap.rs`, cancellation from any thread in `cancel.rs`.

mod cancel;
mod reap;
mod submit;

pub(crate) use submit::thread_has_submitted;

use super::buf_group::{BufGroup, BufGroupOwner};
use super::cell::RawOp;
use super::metrics::RingMetrics;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::util::drain_lock::DrainLock;
use io_uring::{squeue, IoUring};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, OnceLock};

/// Where a ring's fd sits in epoll.
pub(crate) struct Arming {
    pub(crate) epoll_fd: RawFd,
    pub(crate) token: u64,
    /// Oneshot (worker rings) or always armed, edge-triggered (the shared ring).
    pub(crate) oneshot: bool,
}

pub(crate) struct Ring {
    uring: IoUring,
    /// The provided-buffer group registered with `uring` (worker rings, when networking runs on
    /// io_uring: `docs/URING-NET.md`). Declared after `uring`, so dropped after it: the ring's
    /// fd closes (unregistering the group) before this `Arc` lets the memory go
    /// (`buf_group.rs`, "Memory").
    bufs: Option<Arc<BufGroup>>,
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
    /// Multishot accepts armed on this ring and not yet seen to end (`ops/accept_multi.rs`):
    /// requests that wait for connections, which `LocalRing::is_drained` does not count as
    /// work in the kernel (`docs/URING-NET.md`, decision 11, for accepts).
    pub(crate) waiting_accepts: AtomicUsize,
    /// A reaper saw the CQ full since the kernel's overflow list was last flushed: completions
    /// may wait there (`IORING_FEAT_NODROP`). Only touched under the CQ's `DrainLock`. The CQ
    /// is drained 64 entries at a time, so "full" is seen at the start of a drain and must be
    /// remembered until the drain reaches the end, where the flush is due.
    cq_overflow_suspected: AtomicBool,
    /// What other threads (or the owner's own reaping) queued for the owner to push: cancel
    /// requests, and operations' entries (`Ring::push_remote`).
    remote: Mutex<Vec<Remote>>,
    has_remote: AtomicBool,
    /// Wakes the thread that owns the `LocalRing` (set for worker rings). It reaches the
    /// scheduler, which reaches the rings: `close` drops it to break that cycle.
    owner_unpark: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    arming: OnceLock<Arming>,
    /// The shared ring's submission state (worker rings keep theirs in a `LocalRing`).
    shared_sq: Option<Mutex<SqState>>,
    /// No more submissions: the runtime shut down. Cancels of leftover operations are dropped.
    closed: AtomicBool,
    /// Set when the ring's shutdown begins (before it cancels what is in flight): until when
    /// it waits for the operations in flight. A stream's sends hand their bytes to the socket
    /// directly from then on (`ops/send.rs`, step 5).
    shutdown_deadline: OnceLock<std::time::Instant>,
    pub(crate) metrics: RingMetrics,
}

/// An entry queued for a worker ring's owner to push (`cancel.rs`).
pub(crate) enum Remote {
    /// A cancel request for the operation this reference names.
    Cancel(RawOp),
    /// An operation's entry, its `user_data` the cell's reference (tag `OP`).
    Push(squeue::Entry),
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
    /// The owner's side of the ring's buffer group (`Ring::bufs`): republished on its ticks.
    bufs: Option<BufGroupOwner>,
    /// The most completions the owner's next reap (`tick`, `submit_and_reap`, `submit_all`)
    /// takes: what its run queue has room for (`set_reap_limit`). The rest wait in the CQ for a
    /// later tick, as I/O events wait in the kernel for the driver's next turn: every
    /// completion wakes a task into the reaping worker's queue, and a reap that took them all
    /// would overflow the queue into the injection queue, where the tasks wait many ticks
    /// (with networking on io_uring, each received request is a completion).
    reap_limit: usize,
}

/// What the submitting thread keeps about the SQ.
#[derive(Default)]
pub(crate) struct SqState {
    /// Entries that found the SQ full, in push order, as the units they were pushed in: a batch
    /// waits whole and reaches the SQ whole (`Queued`).
    backlog: VecDeque<Queued>,
    /// Entries in `backlog` (a batch counts each of its entries).
    backlog_entries: usize,
    /// Entries pushed into the SQ since the last `io_uring_enter`.
    unsubmitted: usize,
}

/// A unit of the backlog: what must reach the SQ in one piece.
pub(crate) enum Queued {
    One(squeue::Entry),
    /// A batch (`Submitter::push_ops`): its entries go into the SQ together, contiguous and in
    /// order, so one `io_uring_enter` takes them all. The kernel ends a link chain at the end of
    /// a submission: a chain split between two enters would run as two.
    Batch(Box<[squeue::Entry]>),
}

impl Queued {
    pub(crate) fn entries(&self) -> &[squeue::Entry] {
        match self {
            Queued::One(entry) => std::slice::from_ref(entry),
            Queued::Batch(entries) => entries,
        }
    }
}

/// Exclusive access to a ring's submission side.
pub(crate) struct Submitter<'a> {
    ring: &'a Ring,
    sq: &'a mut SqState,
}

impl Ring {
    /// A ring; `shared`: submitted to by any thread, under a mutex.
    #[cfg(test)]
    pub(crate) fn new(uring: IoUring, rings_id: usize, shared: bool) -> Arc<Ring> {
        Ring::with_bufs(uring, rings_id, shared, None)
    }

    /// A ring with `bufs`, a buffer group registered with `uring` (`BufGroupOwner::register`).
    pub(crate) fn with_bufs(
        uring: IoUring,
        rings_id: usize,
        shared: bool,
        bufs: Option<Arc<BufGroup>>,
    ) -> Arc<Ring> {
        Arc::new(Ring {
            shared_sq: shared.then(|| Mutex::new(SqState::default())),
            uring,
            bufs,
            rings_id,
            cq: DrainLock::new(),
            pushed: AtomicUsize::new(0),
            reaped: AtomicUsize::new(0),
            waiting_accepts: AtomicUsize::new(0),
            cq_overflow_suspected: AtomicBool::new(false),
            remote: Mutex::new(Vec::new()),
            has_remote: AtomicBool::new(false),
            owner_unpark: Mutex::new(None),
            arming: OnceLock::new(),
            closed: AtomicBool::new(false),
            shutdown_deadline: OnceLock::new(),
            metrics: RingMetrics::default(),
        })
    }

    /// Until when the ring's shutdown waits for its operations in flight; `None` while the
    /// runtime runs.
    pub(crate) fn shutdown_deadline(&self) -> Option<std::time::Instant> {
        self.shutdown_deadline.get().copied()
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
    /// How many entries the SQ holds: the most one batch may have (`Submitter::push_ops`).
    pub(crate) fn sq_capacity(&self) -> usize {
        self.uring.params().sq_entries() as usize
    }

    pub(crate) fn in_flight(&self) -> usize {
        // Acquire: pairs with the Release stores in `count`.
        let reaped = self.reaped.load(Ordering::Acquire);
        let pushed = self.pushed.load(Ordering::Acquire);
        pushed.saturating_sub(reaped)
    }
}

impl LocalRing {
    pub(crate) fn new(ring: Arc<Ring>) -> LocalRing {
        LocalRing::with_bufs(ring, None)
    }

    /// The submission side of `ring`, with the owner's side of its buffer group (the group
    /// `ring` holds, `Ring::with_bufs`).
    pub(crate) fn with_bufs(ring: Arc<Ring>, bufs: Option<BufGroupOwner>) -> LocalRing {
        debug_assert_eq!(
            bufs.as_ref().map(|owner| Arc::as_ptr(owner.group())),
            ring.bufs.as_ref().map(Arc::as_ptr),
            "the owner's group is the ring's"
        );
        LocalRing {
            ring,
            sq: SqState::default(),
            bufs,
            reap_limit: usize::MAX,
        }
    }

    /// Caps what the owner's reaps take from now on (`reap_limit`), zero included: a worker
    /// whose queue is full takes nothing until it has room. (Taking one anyway filled the
    /// room its next fairness tick keeps for the injection queue's tasks, and the wake after
    /// that overflowed half the queue into the injection queue, behind the connections
    /// waiting there for their first poll: thousands of tasks, seconds of waiting, at
    /// -c10000 over io_uring.) A reap that must make progress (`submit_all`, before parking,
    /// when the queue is empty anyway) takes at least one.
    pub(crate) fn set_reap_limit(&mut self, limit: usize) {
        self.reap_limit = limit;
    }

    /// This ring's buffer group, if it has one (multishot receives name it).
    pub(crate) fn buf_group(&self) -> Option<&Arc<BufGroup>> {
        self.bufs.as_ref().map(BufGroupOwner::group)
    }

    /// Puts buffers given back since the last call into the ring's group again (one load when
    /// none came back).
    fn republish_bufs(&mut self) {
        if let Some(owner) = self.bufs.as_mut() {
            owner.republish();
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

    /// True if every entry pushed and not yet reaped is still ours to submit: the kernel holds
    /// none of this ring's work, so no completion can be waiting.
    #[inline]
    pub(crate) fn nothing_in_kernel(&self) -> bool {
        let queued = self.sq.unsubmitted + self.sq.backlog_entries;
        self.ring.in_flight() <= queued
    }

    /// Nothing pushed on this ring waits for its CQE any more (queued entries count as pushed).
    pub(crate) fn is_drained(&self) -> bool {
        self.ring.in_flight() == 0
    }

    /// Nothing in flight on this ring but multishot accepts waiting for connections
    /// (`waiting_accepts`): the serial fast paths' test (`submits_alone`).
    pub(crate) fn only_accepts_wait(&self) -> bool {
        // Relaxed: a hint, not a protocol (`waiting_accepts` is decremented when an accept's
        // final completion is taken or released, which may come after it is reaped); a stale
        // value only moves one entry between "submitted at once" and "with the tick's batch".
        self.ring.in_flight() <= self.ring.waiting_accepts.load(Ordering::Relaxed)
    }
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
