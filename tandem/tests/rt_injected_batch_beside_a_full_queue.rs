//! Fairness by construction when a worker's run queue is full: the injection queue is served a
//! whole batch per fairness tick, beside the local queue, so that a task there (spawned from
//! outside, or pushed out of a full queue by I/O) waits at most for the tasks ahead of it, at
//! `INTERVAL_BATCH` (32) per `global_queue_interval` (61) ticks.
//!
//! Counted, not timed: 256 self-waking "spinner" tasks keep the one worker's queue full, and
//! every spinner poll bumps a counter. A task measures its wait as the spinner polls between the
//! moment it became runnable and its first poll.
//!
//! Before the batch was kept beside the queue, it went into the queue and was bounded by its free
//! slots: a full queue admitted one injected task per fairness tick, and the 64 tasks of the
//! first test waited up to ~3,900 polls. The driver then took no more events than the queue had
//! room for, one a turn when it was full: the second test's connections waited up to ~61,000.

mod support;

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tandem::io::unix::AsyncFd;
use tandem::runtime::Runtime;

/// As many as the run queue holds: a spinner that wakes itself goes to the back of the queue
/// (as a yield), so while one runs the others leave one slot free, which it takes again.
const SPINNERS: usize = 256;

/// Polls of the spinners, and whether they should stop.
#[derive(Default)]
struct Spin {
    polls: AtomicU64,
    stop: AtomicBool,
}

/// Always runnable until `stop`: bumps `polls`, wakes itself, returns `Pending`.
struct Spinner(Arc<Spin>);

impl Future for Spinner {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.stop.load(SeqCst) {
            return Poll::Ready(());
        }
        self.0.polls.fetch_add(1, SeqCst);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn one_worker() -> Runtime {
    tandem::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts the spinners from inside the worker (so they fill its local queue) and waits until
/// they are all running.
fn start_spinners(rt: &Runtime, spin: &Arc<Spin>) {
    let spawner = spin.clone();
    rt.spawn(async move {
        for _ in 0..SPINNERS {
            tandem::spawn(Spinner(spawner.clone()));
        }
    });
    assert!(support::wait_until(Duration::from_secs(20), || {
        spin.polls.load(SeqCst) > 10 * SPINNERS as u64
    }));
}

#[test]
fn a_fairness_tick_admits_a_whole_batch_beside_a_full_queue() {
    const INJECTED: usize = 64;
    /// Three fairness ticks of 61 polls (spinners never use the LIFO slot), and the batches.
    const BOUND: u64 = 3 * 61 + INJECTED as u64;

    let rt = one_worker();
    let spin = Arc::new(Spin::default());
    start_spinners(&rt, &spin);
    let waits = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    // From this (non-runtime) thread: every spawn goes through the injection queue.
    for _ in 0..INJECTED {
        let (spin, waits) = (spin.clone(), waits.clone());
        let spawned_at = spin.polls.load(SeqCst);
        handles.push(rt.spawn(async move {
            let wait = spin.polls.load(SeqCst) - spawned_at;
            waits.lock().unwrap().push(wait);
        }));
    }
    rt.block_on(async {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    spin.stop.store(true, SeqCst);
    let waits = waits.lock().unwrap();
    let longest = waits.iter().max().copied().unwrap();
    assert!(
        longest <= BOUND,
        "an injected task waited {longest} spinner polls beside a full queue (bound {BOUND}); \
         waits: {waits:?}"
    );
}

#[test]
fn tasks_io_pushes_out_of_a_full_queue_run_within_the_batch_bound() {
    const CONNECTIONS: usize = 1000;
    /// Overflows move connections and spinners to the injection queue, which is served 32 per
    /// fairness tick: 61 ticks, up to three polls a tick (tasks woken by the driver go through
    /// the LIFO slot), plus the batches themselves.
    const QUEUED: u64 = (CONNECTIONS + SPINNERS) as u64;
    const BOUND: u64 = QUEUED.div_ceil(32) * 61 * 3 + QUEUED;

    let rt = one_worker();
    let ready = Arc::new(AtomicU64::new(0));
    let spin = Arc::new(Spin::default());
    let mut peers = Vec::new();
    let mut written_at = Vec::new();
    let mut handles = Vec::new();
    for i in 0..CONNECTIONS {
        let (ours, peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        peers.push(peer);
        let written = Arc::new(AtomicU64::new(u64::MAX));
        written_at.push(written.clone());
        let (ready, spin) = (ready.clone(), spin.clone());
        handles.push(rt.spawn(async move {
            let fd = AsyncFd::new(ours).unwrap();
            ready.fetch_add(1, SeqCst);
            let mut guard = fd.readable().await.unwrap();
            let wait = spin.polls.load(SeqCst) - written.load(SeqCst);
            let mut byte = [0];
            let read = guard.try_io(|fd| fd.get_ref().read(&mut byte));
            assert!(matches!(read, Ok(Ok(1))), "connection {i}: {read:?}");
            wait
        }));
    }
    assert!(support::wait_until(Duration::from_secs(20), || {
        ready.load(SeqCst) == CONNECTIONS as u64
    }));
    start_spinners(&rt, &spin);
    // Each byte's wait starts when it is written: the worker keeps spinning meanwhile.
    for (peer, written) in peers.iter_mut().zip(&written_at) {
        written.store(spin.polls.load(SeqCst), SeqCst);
        peer.write_all(b"x").unwrap();
    }
    let waits: Vec<u64> = rt.block_on(async {
        let mut waits = Vec::new();
        for handle in handles {
            waits.push(handle.await.unwrap());
        }
        waits
    });
    spin.stop.store(true, SeqCst);
    let overflows = rt.handle().metrics().worker_overflow_count(0);
    let longest = waits.iter().max().copied().unwrap();
    assert!(
        longest <= BOUND,
        "a connection waited {longest} spinner polls after its byte (bound {BOUND}, \
         {overflows} overflows)"
    );
}
