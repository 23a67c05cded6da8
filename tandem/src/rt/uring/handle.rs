//! A runtime's io_uring state: its rings (one per worker plus one shared), or why it has none,
//! and the per-opcode choice between io_uring and the blocking pool.

use super::buf_group::BufGroupOwner;
use super::cell::{tag, RawOp};
use super::metrics::{FallbackCause, FallbackMetrics, UringStats};
use super::probe;
use super::ring::{Arming, InlineCall, LocalRing, Queued, Ring};
use super::stream_budget::StreamBudget;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::loom::sync::Mutex;
use crate::rt::uring::UringMode;
use io_uring::{squeue, IoUring};
use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// SQ entries per ring: room for a tick's worth of submissions from many tasks.
pub(crate) const SQ_ENTRIES: u32 = 256;
/// CQ entries per ring: completions of several ticks before an overflow (which loses nothing,
/// but costs an extra `io_uring_enter` to flush).
const CQ_ENTRIES: u32 = 1024;
/// CQ entries per worker ring when networking runs on io_uring: a completion per received
/// chunk, which wait in the CQ while the worker's queue is full (`LocalRing::reap_limit`); a
/// multishot receive whose CQE finds the CQ full is ended by the kernel and must be armed
/// again. 16,384 entries of 16 bytes: 256 KiB per worker ring.
const CQ_ENTRIES_NET: u32 = 16_384;

/// Networking's share of each worker ring when it runs on io_uring: the provided-buffer group
/// the kernel fills for multishot receives (`docs/URING-NET.md`, decision 4), and how many
/// streams use the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NetBufs {
    /// Buffers per worker ring (a power of two, at most 32,768).
    pub(crate) count: u16,
    /// Bytes per buffer.
    pub(crate) len: u32,
    /// Streams that may use the rings at once, per worker ring; streams made while that many
    /// are open use epoll (`stream_budget.rs`).
    pub(crate) streams: usize,
}

impl NetBufs {
    /// 4,096 buffers of 4 KiB per worker ring: 16 MiB of address space per worker, touched as
    /// the kernel fills buffers (it takes them in ring order, so under sustained load all of
    /// them). A buffer is held from its completion until the reader takes the chunk: with the
    /// HTTP suite at `-c10000` (5,000 connections per worker ring, every one with a request in
    /// flight) 1,024 ran dry 22,500 times in 5 s (`ENOBUFS`: each such stream reads through
    /// epoll once and re-arms), 4,096 and 8,192 never (2026-12-05, `TANDEM_BENCH_NET_BUFS`).
    /// 4 KiB holds a typical request whole; idle connections hold none.
    ///
    /// 2,048 streams per worker ring, half the buffers: measured at `-c10000` (5,000
    /// connections per ring) against all of them (`stream_budget.rs`).
    pub(crate) const DEFAULT: NetBufs = NetBufs {
        count: 4096,
        len: 4096,
        streams: 2048,
    };
}

/// The group id of every worker ring's buffer group (ids are per ring).
pub(crate) const NET_BUF_GROUP: u16 = 0;

/// The runtime's io_uring handle, in the driver handle.
pub(crate) struct UringHandle {
    mode: UringMode,
    backend: Backend,
    fallbacks: FallbackMetrics,
    /// Reads (and lone opens) first try the kernel's caches on the calling thread
    /// (`Builder::fs_nowait_first`).
    nowait_first: bool,
    /// Set when the runtime shuts down: from then on every file call takes its route, which
    /// fails (a closed ring, a pool that refuses jobs), so a read after shutdown fails whether
    /// or not its pages happen to be cached.
    shut_down: AtomicBool,
    /// How long shutdown waits for operations in flight, in nanoseconds: `SHUTDOWN_TIMEOUT`,
    /// or less if `Runtime::shutdown_timeout` asked for less.
    drain_limit_nanos: AtomicU64,
}

enum Backend {
    Rings(Arc<Rings>),
    Blocking {
        cause: FallbackCause,
        reason: String,
    },
}

/// The rings of one runtime.
pub(crate) struct Rings {
    /// Tells this runtime's rings from another's (a `LocalRing` names it).
    id: usize,
    /// Worker rings, by worker index (one for a current-thread runtime).
    workers: Vec<Arc<Ring>>,
    /// For threads that are not workers: submitted to under a mutex.
    shared: Arc<Ring>,
    /// The workers' submission sides, until their cores take them.
    locals: Mutex<Vec<Option<LocalRing>>>,
    /// Some worker ring has a buffer group: TCP receives go through the rings.
    net_recv: bool,
    /// The streams that use the rings (`stream_budget.rs`).
    net_streams: StreamBudget,
}

/// A stream's place among those that use the rings, given back when the stream drops it.
pub(crate) struct NetStreamSlot {
    rings: Arc<Rings>,
}

impl Drop for NetStreamSlot {
    fn drop(&mut self) {
        self.rings.net_streams.give_back();
    }
}

/// Where an operation runs.
pub(crate) enum Route {
    Uring(Uring),
    Blocking,
}

/// Proof that the current runtime sends an opcode to io_uring; an `Op` needs one. The rings
/// themselves are found again at the op's first poll, through the thread's runtime context,
/// rather than carried: cloning the runtime-wide `Arc<Rings>` for every operation would bounce
/// its reference count between the workers' caches.
#[derive(Debug)]
pub(crate) struct Uring {
    _private: (),
}

impl UringHandle {
    /// Sets up `worker_rings` rings plus a shared one, registered in the reactor's epoll.
    /// `epoll_fd`: `None` without an I/O driver.
    pub(crate) fn new(
        mode: UringMode,
        nowait_first: bool,
        worker_rings: usize,
        epoll_fd: Option<RawFd>,
        net: Option<NetBufs>,
    ) -> io::Result<UringHandle> {
        let with = |backend| UringHandle {
            mode,
            backend,
            fallbacks: FallbackMetrics::default(),
            nowait_first,
            shut_down: AtomicBool::new(false),
            drain_limit_nanos: AtomicU64::new(super::SHUTDOWN_TIMEOUT.as_nanos() as u64),
        };
        let blocking = |cause, reason: &str| {
            with(Backend::Blocking {
                cause,
                reason: reason.to_string(),
            })
        };
        if mode == UringMode::Off {
            return Ok(blocking(FallbackCause::Disabled, "UringMode::Off"));
        }
        let Some(epoll_fd) = epoll_fd else {
            if mode == UringMode::Required {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "UringMode::Required needs the I/O driver: call `enable_io` on the builder",
                ));
            }
            // Not silently: a program that only enables time would otherwise never learn why its
            // file calls run on the pool. Said once per process, and only where io_uring works
            // (else the probe already said why it does not).
            if probe::support().rings.is_ok() {
                log_no_io_driver_once();
            }
            return Ok(blocking(FallbackCause::NoIoDriver, "the I/O driver is off"));
        };
        if let Err(unavailable) = &probe::support().rings {
            if mode == UringMode::Required {
                return Err(unavailable.to_io_error());
            }
            return Ok(blocking(FallbackCause::Unavailable, &unavailable.reason));
        }
        match Rings::new(worker_rings, epoll_fd, net) {
            Ok(rings) => Ok(with(Backend::Rings(rings))),
            Err(e) => {
                let unavailable = probe::explain(&e);
                if mode == UringMode::Required {
                    return Err(unavailable.to_io_error());
                }
                log_once(&unavailable.reason);
                Ok(blocking(FallbackCause::Unavailable, &unavailable.reason))
            }
        }
    }

    pub(crate) fn rings(&self) -> Option<&Arc<Rings>> {
        match &self.backend {
            Backend::Rings(rings) => Some(rings),
            Backend::Blocking { .. } => None,
        }
    }

    /// Whether stream sockets (TCP and Unix) receive through multishot receives on the worker rings: networking
    /// on io_uring was asked for and at least one worker ring has its buffer group.
    pub(crate) fn net_recv(&self) -> bool {
        self.rings().is_some_and(|rings| rings.net_recv)
    }

    /// A place for a new stream socket on the rings, if networking runs on io_uring and fewer
    /// streams than the cap use them: with it, the stream receives and sends through the
    /// worker rings; without, through epoll.
    pub(crate) fn net_stream_slot(&self) -> Option<NetStreamSlot> {
        let rings = self.rings().filter(|rings| rings.net_recv)?;
        rings.net_streams.try_take().then(|| NetStreamSlot {
            rings: rings.clone(),
        })
    }

    /// Whether TCP listeners accept through multishot accepts on the worker rings: the same
    /// switch as `net_recv`, and the kernel has `IORING_OP_ACCEPT` (if not, said once, and
    /// listeners accept through epoll).
    pub(crate) fn net_accept(&self) -> bool {
        if !self.net_recv() {
            return false;
        }
        let opcode = super::ops::accept_multi::OPCODE;
        if probe::kernel_supports(opcode) {
            return true;
        }
        log_no_accept_once(opcode);
        false
    }

    /// Whether file reads (and opens submitted alone) first try to complete on the calling
    /// thread from the kernel's caches, before their route (`Builder::fs_nowait_first`).
    pub(crate) fn nowait_first(&self) -> bool {
        // Acquire, with the Release store at shutdown: a read that starts after the shutdown
        // (in happens-before terms) sees the flag; one racing with it may go either way.
        self.nowait_first && !self.shut_down.load(Ordering::Acquire)
    }

    /// Where an operation with `opcode` runs; counts and logs (once per opcode) fallbacks.
    pub(crate) fn route(&self, opcode: u8) -> Route {
        match &self.backend {
            Backend::Rings(_) => {
                if probe::kernel_supports(opcode) {
                    return Route::Uring(Uring { _private: () });
                }
                log_unsupported_once(opcode);
                self.fallbacks.record(FallbackCause::UnsupportedOpcode);
                Route::Blocking
            }
            Backend::Blocking { cause, .. } => {
                self.fallbacks.record(*cause);
                Route::Blocking
            }
        }
    }

    /// Whether `tandem::uring` may submit an operation with `opcode` on this runtime: the proof,
    /// or why not (kind `Unsupported`). Unlike `route`, counts and logs nothing: there is no
    /// fallback to count, the caller gets the error and chooses.
    pub(crate) fn check(&self, opcode: u8) -> io::Result<Uring> {
        match &self.backend {
            Backend::Rings(_) if probe::kernel_supports(opcode) => Ok(Uring { _private: () }),
            Backend::Rings(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the kernel lacks io_uring opcode {opcode}"),
            )),
            Backend::Blocking { reason, .. } => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("this runtime does not use io_uring ({reason})"),
            )),
        }
    }

    /// The submission side of worker `index`'s ring, for its core (once). `wake_owner` wakes
    /// whichever thread holds that core: a cancel queued from another thread must reach the
    /// ring's owner even while it sleeps (`Ring::cancel`).
    pub(crate) fn take_local(
        &self,
        index: usize,
        wake_owner: impl Fn() + Send + Sync + 'static,
    ) -> Option<LocalRing> {
        let rings = self.rings()?;
        let local = rings.locals.lock().get_mut(index)?.take()?;
        local.ring().set_owner_unpark(Box::new(wake_owner));
        Some(local)
    }

    /// The reactor reported ring `index`'s fd readable.
    /// Reaps at most `limit` of a worker ring's completions (`Ring::reap_after_event`); returns
    /// how many were reaped.
    pub(crate) fn on_ring_event(&self, index: usize, limit: usize) -> usize {
        let Some(rings) = self.rings() else {
            return 0;
        };
        if let Some(ring) = rings.workers.get(index) {
            ring.reap_after_event(limit)
        } else if index == rings.workers.len() {
            rings.shared.reap_after_event(limit)
        } else {
            0
        }
    }

    /// For a thread that waits for its operations on the shared ring and drives nothing: if any
    /// operation is in flight there, waits at most `limit` for a completion, reaps, and returns
    /// true; false (at once) if there is nothing to wait for.
    pub(crate) fn wait_shared(&self, limit: Duration) -> bool {
        self.rings()
            .is_some_and(|rings| rings.shared.wait_and_reap(limit))
    }

    /// Counts a file call served inline on this thread (`fs_nowait_first`): on the worker's own
    /// ring, or on the shared ring from any other thread. Not counted without rings.
    pub(crate) fn count_inline(&self, call: InlineCall) {
        let Some(rings) = self.rings() else {
            return;
        };
        let on_worker = super::with_local_ring(|local, _| {
            let ring = local.ring();
            let ours = ring.rings_id == rings.id;
            if ours {
                ring.count_inline(call, true);
            }
            ours
        });
        if on_worker != Some(true) {
            rings.shared.count_inline(call, false);
        }
    }

    /// Bounds the wait for operations in flight at shutdown by `limit` (`Runtime::shutdown_timeout`);
    /// it never grows past `SHUTDOWN_TIMEOUT`.
    pub(crate) fn limit_shutdown_drain(&self, limit: Duration) {
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        self.drain_limit_nanos.fetch_min(nanos, Ordering::Relaxed);
    }

    /// When shutdown stops waiting for operations in flight (and hands them to the reaper).
    pub(crate) fn shutdown_deadline(&self) -> Instant {
        Instant::now() + Duration::from_nanos(self.drain_limit_nanos.load(Ordering::Relaxed))
    }

    /// Shutdown of the shared ring (the workers' rings shut down with their cores), and the end
    /// of reads served without a route.
    pub(crate) fn shutdown_shared(&self, deadline: Instant) {
        self.shut_down.store(true, Ordering::Release);
        if let Some(rings) = self.rings() {
            let drained = rings.shared.with_shared(|sub| sub.shutdown(deadline));
            if drained == Some(false) {
                super::reaper::adopt(LocalRing::new(rings.shared.clone()));
            }
        }
    }

    pub(crate) fn stats(&self) -> UringStats {
        let fallbacks = FallbackCause::ALL
            .iter()
            .map(|&cause| (cause, self.fallbacks.get(cause)))
            .collect();
        match &self.backend {
            Backend::Rings(rings) => UringStats {
                enabled: true,
                disabled_reason: None,
                rings: rings
                    .workers
                    .iter()
                    .chain(std::iter::once(&rings.shared))
                    .map(|ring| ring.metrics.snapshot())
                    .collect(),
                fallbacks,
                net_streams: rings.net_streams.live(),
                net_streams_on_epoll: rings.net_streams.refused(),
            },
            Backend::Blocking { reason, .. } => UringStats {
                enabled: false,
                disabled_reason: Some(reason.clone()),
                rings: Vec::new(),
                fallbacks,
                net_streams: 0,
                net_streams_on_epoll: 0,
            },
        }
    }
}

impl Rings {
    fn new(worker_rings: usize, epoll_fd: RawFd, net: Option<NetBufs>) -> io::Result<Arc<Rings>> {
        // std's atomic, not the shim's: a process-wide counter in a static (loom's atomics
        // cannot be built in a const context), part of no cross-thread protocol.
        static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let make = |index: usize, shared: bool| -> io::Result<(Arc<Ring>, Option<BufGroupOwner>)> {
            let cq_entries = match net {
                Some(_) if !shared => CQ_ENTRIES_NET,
                _ => CQ_ENTRIES,
            };
            let uring = IoUring::builder()
                .setup_cqsize(cq_entries)
                .setup_clamp()
                .build(SQ_ENTRIES)?;
            // Worker rings only: the shared ring's submitters have no tick to republish on,
            // and a receive armed there would have no owner to give its buffers back to.
            let owner = match net {
                Some(bufs) if !shared => register_buf_group(&uring, bufs),
                _ => None,
            };
            let group = owner.as_ref().map(|owner| owner.group().clone());
            let ring = Ring::with_bufs(uring, id, shared, group);
            register(&ring, epoll_fd, index, shared)?;
            Ok((ring, owner))
        };
        // A failure half-way drops the rings made so far; closing their fds removes them from
        // epoll.
        let made = (0..worker_rings)
            .map(|i| make(i, false))
            .collect::<io::Result<Vec<_>>>()?;
        let (shared, _) = make(worker_rings, true)?;
        let net_recv = made.iter().any(|(_, owner)| owner.is_some());
        let workers = made.iter().map(|(ring, _)| ring.clone()).collect();
        let locals = made
            .into_iter()
            .map(|(ring, owner)| Some(LocalRing::with_bufs(ring, owner)))
            .collect();
        Ok(Arc::new(Rings {
            id,
            workers,
            shared,
            locals: Mutex::new(locals),
            net_recv,
            net_streams: StreamBudget::new(
                net.map_or(0, |net| net.streams.saturating_mul(worker_rings)),
            ),
        }))
    }

    /// Pushes an operation's entry on the calling thread's ring: its worker's, if it is a
    /// worker of this runtime holding its core, else the shared ring (submitted at once).
    /// Returns the ring, which the operation keeps for cancellation.
    ///
    /// On a worker with no other task queued and none of its ring's work in the kernel (entries
    /// still queued, such as a detached close, go along), nothing would join the batch: the
    /// entry is submitted at once and the CQ reaped, so an operation that completes during the
    /// enter (an open, a read of cached pages) is ready before its future returns, with no
    /// wake-up and no second poll. Once an operation is in flight (it did not complete
    /// inline), later ones wait for the tick's flush: a task that starts many operations in one
    /// poll (`join_all`, `FuturesUnordered`) must not pay an enter for each.
    ///
    /// `eager: false` never submits at once on a worker (a detached operation, whose result
    /// nobody awaits).
    pub(crate) fn push(&self, entry: squeue::Entry, op: RawOp, eager: bool) -> Arc<Ring> {
        let entry = entry.user_data(op.into_user_data(tag::OP));
        self.push_unit(Queued::One(entry), eager)
    }

    /// Pushes a batch's entries (`user_data` set, each the reference of its cell) as `push`
    /// pushes one, but as one unit (`Submitter::push_ops`): contiguous in the SQ, in order, in
    /// one `io_uring_enter`. At most `Ring::sq_capacity` entries.
    pub(crate) fn push_batch(&self, entries: Box<[squeue::Entry]>) -> Arc<Ring> {
        self.push_unit(Queued::Batch(entries), true)
    }

    fn push_unit(&self, unit: Queued, eager: bool) -> Arc<Ring> {
        let id = self.id;
        let mut unit = Some(unit);
        let local = super::with_local_ring(|local, idle| {
            if local.ring().rings_id != id {
                return None;
            }
            let eager = eager && local.submits_alone(idle);
            let mut sub = local.submitter();
            sub.push_ops(unit.take().expect("pushed once"));
            if eager {
                // Entries the kernel refuses for now stay queued for the worker's next flush.
                let _ = sub.flush();
            }
            Some((local.ring().clone(), eager))
        })
        .flatten();
        if let Some((ring, submitted)) = local {
            if submitted {
                // Outside the core's borrow: completions wake tasks into this core's queue.
                ring.reap();
            }
            return ring;
        }
        let pushed = self
            .shared
            .submit_shared(|sub| sub.push_ops(unit.take().expect("pushed once")));
        if !pushed {
            // The runtime shut down: nobody would reap a completion. Fail the operations instead
            // (they never reached the kernel, so their data is their futures' again).
            let unit = unit.expect("a closed ring took nothing");
            for entry in unit.entries() {
                // SAFETY: the entry's user_data is the reference its cell gave up for it, never
                // submitted, so it is taken back exactly once, here.
                let op = unsafe { RawOp::from_user_data(entry.get_user_data()) };
                op.complete(super::CqeResult::refused());
            }
            return self.shared.clone();
        }
        // Buffered I/O on cached pages completes during the enter: deliver it now.
        self.shared.reap();
        self.shared.clone()
    }
}

/// Registers a worker ring's buffer group, or says once per process why networking stays on
/// epoll (a kernel before 5.19 has no buffer rings; the memory lock limit; `mmap`).
fn register_buf_group(uring: &IoUring, bufs: NetBufs) -> Option<BufGroupOwner> {
    match BufGroupOwner::register(uring, NET_BUF_GROUP, bufs.count, bufs.len) {
        Ok(owner) => Some(owner),
        Err(e) => {
            static LOGGED: std::sync::atomic::AtomicBool =
                std::sync::atomic::AtomicBool::new(false);
            if !LOGGED.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "tandem: io_uring provided-buffer rings unavailable ({e}); TCP streams \
                     receive through epoll"
                );
            }
            None
        }
    }
}

/// Adds a ring's fd to the reactor's epoll. Worker rings: oneshot, armed by their owner before
/// it parks (`ring/reap.rs`); the shared ring: always armed, edge-triggered.
fn register(ring: &Arc<Ring>, epoll_fd: RawFd, index: usize, shared: bool) -> io::Result<()> {
    let token = crate::rt::reactor::uring_token(index);
    let mut flags = libc::EPOLLIN | libc::EPOLLET;
    if !shared {
        flags |= libc::EPOLLONESHOT;
    }
    let mut event = libc::epoll_event {
        events: flags as u32,
        u64: token,
    };
    // SAFETY: plain syscall on two fds we hold open; `event` outlives the call.
    if unsafe { libc::epoll_ctl(epoll_fd, libc::EPOLL_CTL_ADD, ring.fd(), &mut event) } < 0 {
        return Err(io::Error::last_os_error());
    }
    ring.set_arming(Arming {
        epoll_fd,
        token,
        oneshot: !shared,
    });
    Ok(())
}

// The `LOGGED` flags below are std's atomics, not the shim's: once-per-process flags in
// statics (loom's atomics cannot be built in a const context), part of no cross-thread protocol.

fn log_once(reason: &str) {
    static LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "tandem: io_uring unavailable ({reason}); file-system calls use the blocking pool"
        );
    }
}

fn log_no_io_driver_once() {
    static LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "tandem: io_uring not used: a runtime was built without the I/O driver (call \
             `enable_io` or `enable_all` on the builder); its file-system calls use the blocking pool"
        );
    }
}

fn log_unsupported_once(opcode: u8) {
    static LOGGED: [std::sync::atomic::AtomicBool; 256] =
        [const { std::sync::atomic::AtomicBool::new(false) }; 256];
    if !LOGGED[opcode as usize].swap(true, Ordering::Relaxed) {
        eprintln!(
            "tandem: the kernel lacks io_uring opcode {opcode}; that operation uses the blocking pool"
        );
    }
}

fn log_no_accept_once(opcode: u8) {
    static LOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "tandem: the kernel lacks io_uring opcode {opcode} (IORING_OP_ACCEPT); TCP listeners \
             accept through epoll"
        );
    }
}

impl std::fmt::Debug for UringHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringHandle")
            .field("mode", &self.mode)
            .field("enabled", &self.rings().is_some())
            .finish()
    }
}
