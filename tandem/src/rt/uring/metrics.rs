//! Counters of the io_uring backend: per ring, and fallbacks by cause per runtime.

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One ring's counters (all Relaxed: they are statistics, read with no ordering needs).
#[derive(Default)]
pub(crate) struct RingMetrics {
    pub(crate) submitted: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) enters: AtomicU64,
    pub(crate) cq_full: AtomicU64,
    pub(crate) inline_reads: AtomicU64,
    pub(crate) inline_opens: AtomicU64,
    pub(crate) recv_arms: AtomicU64,
    pub(crate) recv_enobufs: AtomicU64,
    pub(crate) recv_follows: AtomicU64,
    pub(crate) sends: AtomicU64,
    pub(crate) short_sends: AtomicU64,
    pub(crate) accept_arms: AtomicU64,
    pub(crate) accepts: AtomicU64,
}

/// A snapshot of one ring's counters, from [`RuntimeMetrics::io_uring`].
///
/// [`RuntimeMetrics::io_uring`]: crate::runtime::RuntimeMetrics::io_uring
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RingStats {
    /// Operations pushed on the ring.
    pub submitted: u64,
    /// Operations whose completion was reaped.
    pub completed: u64,
    /// Operations whose future was dropped before their completion (each got a cancel request).
    pub cancelled: u64,
    /// `io_uring_enter` system calls made for the ring.
    pub enters: u64,
    /// Times a reaper found the completion queue full. Completions beyond it waited in the
    /// kernel's overflow list (`IORING_FEAT_NODROP`) and were flushed in with an extra enter:
    /// none is lost, but a count that grows says the ring is too small for the load.
    pub cq_full: u64,
    /// File reads that completed on this ring's thread without a submission: the page cache
    /// had the data (`Builder::fs_nowait_first`). Not counted in `submitted`.
    pub inline_reads: u64,
    /// File opens that completed on this ring's thread without a submission: the path was in
    /// the dentry cache and nothing else would have shared the enter (`Builder::fs_nowait_first`).
    pub inline_opens: u64,
    /// Multishot TCP receives armed on this ring (`Builder::net_io_uring`): one per stream
    /// read, plus one per re-arm after a receive ended (empty buffer group, a full CQ).
    pub recv_arms: u64,
    /// Receives on this ring that its buffer group's running dry ended (`ENOBUFS`): each
    /// such stream read once through epoll and re-armed.
    pub recv_enobufs: u64,
    /// Receives on this ring ended because their reader kept waiting on another worker: each
    /// re-armed on that worker's ring at its next read, so its completions wake it there.
    pub recv_follows: u64,
    /// TCP send entries pushed on this ring (`Builder::net_io_uring`): a stream's first send
    /// from a worker, and each next send its completions submitted (what was appended
    /// meanwhile, or the rest of a short send).
    pub sends: u64,
    /// Sends on this ring that completed short (the kernel took part of the bytes): each was
    /// followed by a send of the rest.
    pub short_sends: u64,
    /// Multishot TCP accepts armed on this ring (`Builder::net_io_uring`): one per listener
    /// accepting on a worker, plus one per re-arm after a request ended (its cap of untaken
    /// connections, an error, a full CQ).
    pub accept_arms: u64,
    /// Connections this ring's multishot accepts delivered to an `accept` (those accepted
    /// and closed untaken, when a listener was dropped, are not counted).
    pub accepts: u64,
}

impl RingMetrics {
    pub(crate) fn snapshot(&self) -> RingStats {
        RingStats {
            submitted: self.submitted.load(Relaxed),
            completed: self.completed.load(Relaxed),
            cancelled: self.cancelled.load(Relaxed),
            enters: self.enters.load(Relaxed),
            cq_full: self.cq_full.load(Relaxed),
            inline_reads: self.inline_reads.load(Relaxed),
            inline_opens: self.inline_opens.load(Relaxed),
            recv_arms: self.recv_arms.load(Relaxed),
            recv_enobufs: self.recv_enobufs.load(Relaxed),
            recv_follows: self.recv_follows.load(Relaxed),
            sends: self.sends.load(Relaxed),
            short_sends: self.short_sends.load(Relaxed),
            accept_arms: self.accept_arms.load(Relaxed),
            accepts: self.accepts.load(Relaxed),
        }
    }
}

/// Why an operation ran on the blocking pool instead of io_uring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FallbackCause {
    /// `UringMode::Off` (by the builder or `TANDEM_IO_URING`).
    Disabled,
    /// The kernel refused to set up a ring (ENOSYS, EPERM, ENOMEM, ...).
    Unavailable,
    /// The kernel lacks the operation's opcode.
    UnsupportedOpcode,
    /// The runtime has no I/O driver (`enable_io` was not called), which rings need.
    NoIoDriver,
}

impl FallbackCause {
    pub(crate) const ALL: [FallbackCause; 4] = [
        FallbackCause::Disabled,
        FallbackCause::Unavailable,
        FallbackCause::UnsupportedOpcode,
        FallbackCause::NoIoDriver,
    ];
}

#[derive(Default)]
pub(crate) struct FallbackMetrics {
    counts: [AtomicU64; 4],
}

impl FallbackMetrics {
    pub(crate) fn record(&self, cause: FallbackCause) {
        self.counts[cause as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn get(&self, cause: FallbackCause) -> u64 {
        self.counts[cause as usize].load(Relaxed)
    }
}

/// A snapshot of a runtime's io_uring counters, from [`RuntimeMetrics::io_uring`].
///
/// [`RuntimeMetrics::io_uring`]: crate::runtime::RuntimeMetrics::io_uring
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UringStats {
    /// True if the runtime has rings (io_uring is in use for supported opcodes).
    pub enabled: bool,
    /// Why not, when `enabled` is false.
    pub disabled_reason: Option<String>,
    /// One entry per ring: the workers' rings in worker order, then the shared ring used by
    /// threads that are not workers.
    pub rings: Vec<RingStats>,
    /// Operations sent to the blocking pool, by cause.
    pub fallbacks: Vec<(FallbackCause, u64)>,
    /// Stream sockets (TCP, Unix) that receive and send through the rings now
    /// (`Builder::net_io_uring`; at most 2,048 per worker ring).
    pub net_streams: usize,
    /// Stream sockets made while that many were open, which use epoll instead.
    pub net_streams_on_epoll: u64,
}

impl UringStats {
    /// The sum over all rings.
    pub fn total(&self) -> RingStats {
        self.rings
            .iter()
            .fold(RingStats::default(), |a, r| RingStats {
                submitted: a.submitted + r.submitted,
                completed: a.completed + r.completed,
                cancelled: a.cancelled + r.cancelled,
                enters: a.enters + r.enters,
                cq_full: a.cq_full + r.cq_full,
                inline_reads: a.inline_reads + r.inline_reads,
                inline_opens: a.inline_opens + r.inline_opens,
                recv_arms: a.recv_arms + r.recv_arms,
                recv_enobufs: a.recv_enobufs + r.recv_enobufs,
                recv_follows: a.recv_follows + r.recv_follows,
                sends: a.sends + r.sends,
                short_sends: a.short_sends + r.short_sends,
                accept_arms: a.accept_arms + r.accept_arms,
                accepts: a.accepts + r.accepts,
            })
    }

    /// Operations sent to the blocking pool for `cause`.
    pub fn fallbacks(&self, cause: FallbackCause) -> u64 {
        self.fallbacks
            .iter()
            .find(|(c, _)| *c == cause)
            .map_or(0, |(_, n)| *n)
    }
}
