//! The network cancellation storm (`tests/net_uring_cancel_storm.rs`, and the same storm under
//! the quarantine allocator in `tests/net_uring_cancel_storm_quarantine.rs`).
//!
//! Per configuration (TCP receives over io_uring on and off, 2 and 8 workers):
//!
//! 1. **Accepts**: a task connects `ops / 10` clients (200 at a time) while another accepts
//!    them through accept futures dropped at random points; every client is accepted exactly
//!    once (the accepted peers' addresses are the clients' local addresses, none twice).
//! 2. **Reads and writes**: 8 connections carry a sequence-numbered byte stream each way
//!    (byte `p` is byte `p % 4` of the little-endian `u32` `p / 4`). Each of the 32 halves is
//!    driven by a task whose reads (or writes) are dropped at random points; a reader checks
//!    every byte against its position, and at end-of-file that it has exactly what the writer
//!    wrote: no byte lost, duplicated or reordered.
//!
//! Where an operation's future is polled and dropped: polled to completion, polled once and
//! dropped, polled a few times (with yields between) and dropped, polled once and dropped a few
//! yields later without another poll (its completion may have arrived meanwhile), or raced
//! against a short timer (`select!`); dropped on the task that polled it, on another task
//! (often another worker), or on a plain thread; or polled by a plain thread outside the
//! runtime, by hand once or in `Handle::block_on` against a timer, and dropped there.
//!
//! Afterwards the fd count is exactly the baseline, inside the runtime once the streams are
//! dropped and after the runtime. Each configuration is bounded by a generous time limit (a
//! hang fails the test). `TANDEM_NET_STORM_OPS` sets the operations per configuration (default
//! [`DEFAULT_OPS`]).
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tandem::io::{AsyncRead, AsyncWrite, ReadBuf};
use tandem::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::{Builder, Handle};

use super::support::{fd_count, settled_fd_count, wait_until};

/// Operations (reads, writes and accepts) per configuration; 4 configurations per run (about
/// 10 s in all in the debug build, 2 cores).
pub const DEFAULT_OPS: usize = 100_000;
/// Connections of the read and write phase (each carries a stream both ways).
const PAIRS: usize = 8;
/// The bound on one configuration: only a hang reaches it.
const CONFIG_LIMIT: Duration = Duration::from_secs(120);

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Byte `p` of the sequence-numbered stream.
fn seq_byte(p: u64) -> u8 {
    ((p / 4) as u32).to_le_bytes()[(p % 4) as usize]
}

/// What each kind of operation and drop did, summed over a configuration.
#[derive(Default)]
pub struct Tally {
    /// Operations started, by kind.
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
    pub accepts: AtomicUsize,
    /// Operations dropped before they completed.
    pub dropped: AtomicUsize,
    /// Dropped on another task, on a plain thread, and polled on a plain thread.
    pub on_other_task: AtomicUsize,
    pub on_plain_thread: AtomicUsize,
    pub polled_on_plain_thread: AtomicUsize,
    /// Bytes checked end to end.
    pub bytes: AtomicU64,
}

/// The receiving end of one stream and its position in the sequence.
struct ReadSide {
    half: OwnedReadHalf,
    pos: u64,
    eof: bool,
}

/// One read into a buffer of `len` bytes; checks what it read. Dropping it at any point
/// consumes nothing (a read is cancel safe).
struct ReadOp {
    side: Arc<Mutex<ReadSide>>,
    len: usize,
}

impl Future for ReadOp {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut side = self.side.lock().unwrap();
        let mut storage = vec![0u8; self.len];
        let mut buf = ReadBuf::new(&mut storage);
        match Pin::new(&mut side.half).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => panic!("read at byte {}: {e}", side.pos),
            Poll::Ready(Ok(())) => {
                let got = buf.filled();
                if got.is_empty() {
                    side.eof = true;
                }
                for (i, &b) in got.iter().enumerate() {
                    let p = side.pos + i as u64;
                    assert_eq!(
                        b,
                        seq_byte(p),
                        "byte {p} of the stream is wrong (read of {} bytes at {})",
                        got.len(),
                        side.pos
                    );
                }
                side.pos += got.len() as u64;
                Poll::Ready(())
            }
        }
    }
}

/// The sending end of one stream and its position in the sequence.
struct WriteSide {
    /// Taken out (and shut down) when the writer is done.
    half: Option<OwnedWriteHalf>,
    pos: u64,
}

/// One write of up to `len` bytes of the sequence; dropping it before it completes writes
/// nothing.
struct WriteOp {
    side: Arc<Mutex<WriteSide>>,
    len: usize,
}

impl Future for WriteOp {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut side = self.side.lock().unwrap();
        let bytes: Vec<u8> = (side.pos..side.pos + self.len as u64)
            .map(seq_byte)
            .collect();
        let half = side
            .half
            .as_mut()
            .expect("a write polled after the last one");
        match Pin::new(half).poll_write(cx, &bytes) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => panic!("write at byte {}: {e}", side.pos),
            Poll::Ready(Ok(n)) => {
                assert!(n > 0 && n <= self.len, "write returned {n} of {}", self.len);
                side.pos += n as u64;
                Poll::Ready(())
            }
        }
    }
}

/// One accept; the connection it accepts goes to `accepted`. Dropping it before it completes
/// accepts nothing (an accept is cancel safe).
struct AcceptOp {
    listener: Arc<TcpListener>,
    accepted: Arc<Mutex<Vec<(TcpStream, std::net::SocketAddr)>>>,
}

impl Future for AcceptOp {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.listener.poll_accept(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => panic!("accept: {e}"),
            Poll::Ready(Ok(conn)) => {
                self.accepted.lock().unwrap().push(conn);
                Poll::Ready(())
            }
        }
    }
}

/// Work for the plain thread.
enum PlainJob {
    /// Drop the future.
    Drop(BoxFuture),
    /// Poll it once by hand (a no-op waker), then drop it; `true`: inside the runtime's
    /// context (`Handle::enter`), which an accept needs to register the stream it accepts (as
    /// in Tokio, an accept polled outside any runtime panics after accepting).
    PollOnce(BoxFuture, bool),
    /// Run it in `Handle::block_on` against a timer of `micros`, then drop it.
    BlockOn(BoxFuture, u64),
}

/// The places an operation's future is dropped (or, for `PlainThread`, polled).
struct Places {
    /// The "other task": drops what it is sent.
    other_task: tandem::sync::mpsc::UnboundedSender<BoxFuture>,
    /// A thread outside the runtime; each job is answered on the oneshot once done.
    plain: std::sync::mpsc::Sender<(PlainJob, tandem::sync::oneshot::Sender<()>)>,
    tally: Arc<Tally>,
}

/// Polls `fut` once from the current task. True if it completed.
async fn poll_once(fut: &mut BoxFuture) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

impl Places {
    /// Runs one operation, dropping its future at a point `rng` picks.
    /// `enter`: a poll on the plain thread enters the runtime's context first.
    async fn run(&self, rng: &mut Rng, mut fut: BoxFuture, enter: bool) {
        let completed = match rng.below(16) {
            // To completion: the streams make progress.
            0..=2 => {
                fut.await;
                return;
            }
            // Polled once, dropped (below).
            3..=5 => poll_once(&mut fut).await,
            // Polled a few times with yields between.
            6..=7 => {
                let mut done = false;
                for _ in 0..1 + rng.below(4) {
                    if poll_once(&mut fut).await {
                        done = true;
                        break;
                    }
                    tandem::task::yield_now().await;
                }
                done
            }
            // Polled once; the completion may arrive while it waits, unpolled.
            8..=9 => {
                let done = poll_once(&mut fut).await;
                for _ in 0..3 {
                    tandem::task::yield_now().await;
                }
                done
            }
            // Raced against a short timer.
            10..=11 => {
                let micros = rng.below(300);
                tandem::select! {
                    _ = &mut fut => true,
                    _ = tandem::time::sleep(Duration::from_micros(micros)) => false,
                }
            }
            // Polled on the plain thread, outside the runtime.
            12..=13 => {
                self.tally.polled_on_plain_thread.fetch_add(1, Relaxed);
                let job = if rng.below(2) == 0 {
                    PlainJob::PollOnce(fut, enter)
                } else {
                    PlainJob::BlockOn(fut, rng.below(300))
                };
                self.on_plain_thread(job).await;
                self.tally.dropped.fetch_add(1, Relaxed);
                return;
            }
            // Never polled.
            _ => false,
        };
        if !completed {
            self.tally.dropped.fetch_add(1, Relaxed);
        }
        match rng.below(3) {
            0 => drop(fut),
            1 => {
                self.tally.on_other_task.fetch_add(1, Relaxed);
                self.other_task.send(fut).unwrap();
            }
            _ => {
                self.tally.on_plain_thread.fetch_add(1, Relaxed);
                self.on_plain_thread(PlainJob::Drop(fut)).await;
            }
        }
    }

    async fn on_plain_thread(&self, job: PlainJob) {
        let (done, finished) = tandem::sync::oneshot::channel();
        self.plain.send((job, done)).unwrap();
        finished
            .await
            .expect("the plain thread failed (see its panic)");
    }
}

/// The plain thread's loop.
fn plain_thread(
    handle: Handle,
    jobs: std::sync::mpsc::Receiver<(PlainJob, tandem::sync::oneshot::Sender<()>)>,
) {
    for (job, done) in jobs {
        match job {
            PlainJob::Drop(fut) => drop(fut),
            PlainJob::PollOnce(mut fut, enter) => {
                let _context = enter.then(|| handle.enter());
                let mut cx = Context::from_waker(std::task::Waker::noop());
                let _ = fut.as_mut().poll(&mut cx);
                drop(fut);
            }
            PlainJob::BlockOn(mut fut, micros) => {
                handle.block_on(async {
                    let _ =
                        tandem::time::timeout(Duration::from_micros(micros), fut.as_mut()).await;
                });
                drop(fut);
            }
        }
        let _ = done.send(());
    }
}

/// Bounds a phase: a hang fails the test.
async fn phase<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tandem::time::timeout(Duration::from_secs(60), fut).await {
        Ok(v) => v,
        Err(_) => panic!("hung: {what} did not finish within 60 s"),
    }
}

/// Connections open at once in the accept phase (each is two fds, and the soft limit may be
/// 1,024).
const ACCEPT_ROUND: usize = 200;

async fn accept_phase(places: Arc<Places>, count: usize, seed: u64) {
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
    let mut rng = Rng::new(seed);
    let mut done = 0;
    while done < count {
        let n = ACCEPT_ROUND.min(count - done);
        accept_round(&places, &listener, n, &mut rng).await;
        done += n;
    }
}

/// Connects `count` clients and accepts them through accept futures dropped at random points;
/// checks that each was accepted once; drops them all.
async fn accept_round(places: &Places, listener: &Arc<TcpListener>, count: usize, rng: &mut Rng) {
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let connector = tandem::spawn(async move {
        let mut clients = Vec::with_capacity(count);
        while clients.len() < count {
            let batch = (count - clients.len()).min(64);
            let mut tasks = Vec::new();
            for _ in 0..batch {
                tasks.push(tandem::spawn(TcpStream::connect(addr)));
            }
            for task in tasks {
                clients.push(task.await.unwrap().unwrap());
            }
        }
        clients
    });
    while accepted.lock().unwrap().len() < count {
        places.tally.accepts.fetch_add(1, Relaxed);
        let op: BoxFuture = Box::pin(AcceptOp {
            listener: listener.clone(),
            accepted: accepted.clone(),
        });
        places.run(rng, op, true).await;
    }
    let clients = connector.await.unwrap();
    let mut want: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    let mut got: Vec<_> = accepted.lock().unwrap().iter().map(|(_, a)| *a).collect();
    want.sort();
    got.sort();
    assert_eq!(got.len(), count, "accepted {} of {count}", got.len());
    assert_eq!(
        got, want,
        "the accepted peers are not the clients, once each"
    );
}

async fn reader(places: Arc<Places>, side: Arc<Mutex<ReadSide>>, seed: u64) -> u64 {
    let mut rng = Rng::new(seed);
    while !side.lock().unwrap().eof {
        places.tally.reads.fetch_add(1, Relaxed);
        let max = if rng.below(4) == 0 { 8192 } else { 700 };
        let len = 1 + rng.below(max) as usize;
        let op: BoxFuture = Box::pin(ReadOp {
            side: side.clone(),
            len,
        });
        places.run(&mut rng, op, false).await;
    }
    let pos = side.lock().unwrap().pos;
    pos
}

async fn writer(places: Arc<Places>, side: Arc<Mutex<WriteSide>>, ops: usize, seed: u64) -> u64 {
    let mut rng = Rng::new(seed);
    for _ in 0..ops {
        places.tally.writes.fetch_add(1, Relaxed);
        let len = 1 + rng.below(1500) as usize;
        let op: BoxFuture = Box::pin(WriteOp {
            side: side.clone(),
            len,
        });
        places.run(&mut rng, op, false).await;
    }
    // Futures dropped elsewhere may still hold the side: take the half out of it.
    let (mut half, written) = {
        let mut side = side.lock().unwrap();
        (side.half.take().unwrap(), side.pos)
    };
    // The reader sees end-of-file.
    tandem::io::AsyncWriteExt::shutdown(&mut half)
        .await
        .unwrap();
    written
}

async fn data_phase(places: Arc<Places>, write_ops: usize, seed: u64) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut tasks = Vec::new();
    let mut n = 0u64;
    for _ in 0..PAIRS {
        let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
        let (client, (server, _)) = (client.unwrap(), accepted.unwrap());
        for stream in [client, server] {
            // Each stream's write half feeds the other's read half: pair them up below.
            let (r, w) = stream.into_split();
            n += 1;
            let read_side = Arc::new(Mutex::new(ReadSide {
                half: r,
                pos: 0,
                eof: false,
            }));
            let write_side = Arc::new(Mutex::new(WriteSide {
                half: Some(w),
                pos: 0,
            }));
            let per_writer = write_ops / (2 * PAIRS);
            tasks.push((
                tandem::spawn(reader(places.clone(), read_side, seed ^ (n << 32))),
                tandem::spawn(writer(
                    places.clone(),
                    write_side,
                    per_writer,
                    seed ^ (n << 40),
                )),
            ));
        }
    }
    drop(listener);
    // tasks[2k] is the client (its reader reads what the server, tasks[2k + 1], writes).
    let mut results = Vec::new();
    for (r, w) in tasks {
        results.push((r.await.unwrap(), w.await.unwrap()));
    }
    for k in 0..PAIRS {
        let (client_read, client_wrote) = results[2 * k];
        let (server_read, server_wrote) = results[2 * k + 1];
        assert_eq!(
            client_read, server_wrote,
            "pair {k}: the client read {client_read} bytes, the server wrote {server_wrote}"
        );
        assert_eq!(
            server_read, client_wrote,
            "pair {k}: the server read {server_read} bytes, the client wrote {client_wrote}"
        );
        places
            .tally
            .bytes
            .fetch_add(client_read + server_read, Relaxed);
    }
}

fn ops_per_config() -> usize {
    std::env::var("TANDEM_NET_STORM_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_OPS)
        .max(100)
}

/// One configuration: the accept phase, then the read and write phase, on a fresh runtime.
fn storm(net_uring: bool, workers: usize, ops: usize, baseline: usize, seed: u64) {
    let what = format!("net_io_uring({net_uring}), {workers} workers");
    let tally = Arc::new(Tally::default());
    let mut builder = Builder::new_multi_thread();
    let rt = builder
        .worker_threads(workers)
        .enable_all()
        .net_io_uring(net_uring)
        .build()
        .unwrap();
    let (plain_tx, plain_rx) = std::sync::mpsc::channel();
    let handle = rt.handle().clone();
    let plain = std::thread::spawn(move || plain_thread(handle, plain_rx));
    let tally2 = tally.clone();
    let in_runtime = rt.block_on(async move {
        tandem::spawn(async move {
            let before = settled_fd_count();
            let (other_tx, mut other_rx) = tandem::sync::mpsc::unbounded_channel::<BoxFuture>();
            let dropper = tandem::spawn(async move { while other_rx.recv().await.is_some() {} });
            let places = Arc::new(Places {
                other_task: other_tx,
                plain: plain_tx,
                tally: tally2,
            });
            phase(
                "the accept phase",
                accept_phase(places.clone(), ops / 10, seed),
            )
            .await;
            phase(
                "the read and write phase",
                data_phase(places.clone(), ops * 9 / 20, seed),
            )
            .await;
            drop(places);
            dropper.await.unwrap();
            let back = support_wait(before).await;
            (before, back)
        })
        .await
        .unwrap()
    });
    plain.join().unwrap();
    let (before, back) = in_runtime;
    assert!(
        back,
        "{what}: fd count {} with every stream dropped, {before} before the phases",
        fd_count()
    );
    let stats = rt.metrics().io_uring();
    drop(rt);
    assert!(
        wait_until(Duration::from_secs(10), || fd_count() == baseline),
        "{what}: fd count {} after the runtime, baseline {baseline}",
        fd_count()
    );
    let t = &*tally;
    eprintln!(
        "{what}: {} reads, {} writes, {} accepts; {} dropped before completion ({} on another \
         task, {} on a plain thread, {} polled on a plain thread); {} bytes checked; \
         receives armed {}, ENOBUFS {}",
        t.reads.load(Relaxed),
        t.writes.load(Relaxed),
        t.accepts.load(Relaxed),
        t.dropped.load(Relaxed),
        t.on_other_task.load(Relaxed),
        t.on_plain_thread.load(Relaxed),
        t.polled_on_plain_thread.load(Relaxed),
        t.bytes.load(Relaxed),
        stats.total().recv_arms,
        stats.total().recv_enobufs,
    );
    for (n, name) in [
        (&t.dropped, "dropped"),
        (&t.on_other_task, "dropped on another task"),
        (&t.on_plain_thread, "dropped on a plain thread"),
        (&t.polled_on_plain_thread, "polled on a plain thread"),
    ] {
        assert!(n.load(Relaxed) > 0, "{what}: no operation was {name}");
    }
    assert!(t.bytes.load(Relaxed) > 0, "{what}: no bytes went through");
    if net_uring && stats.enabled {
        assert!(
            stats.total().recv_arms > 0,
            "{what}: no receive was armed: {:?}",
            stats.total()
        );
    }
}

/// Waits (up to 10 s) for the fd count to come back to `expected`.
async fn support_wait(expected: usize) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if fd_count() == expected {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tandem::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The whole storm: both switch settings on 2 and 8 workers.
pub fn run() {
    let ops = ops_per_config();
    let baseline = settled_fd_count();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for (net_uring, workers) in [(true, 2), (false, 2), (true, 8), (false, 8)] {
        seed = Rng::new(seed).next();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let res = std::panic::catch_unwind(|| storm(net_uring, workers, ops, baseline, seed));
            let _ = done.send(res);
        });
        match finished.recv_timeout(CONFIG_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!(
                "hung: the storm with net_io_uring({net_uring}) on {workers} workers did not \
                 finish within {CONFIG_LIMIT:?}"
            ),
        }
    }
}
