//! Unix-domain streams on epoll against io_uring (`Builder::net_io_uring`), alternating in one
//! process: a ping-pong (64-byte messages, each side a task of one `UnixStream::pair`) and a
//! bulk transfer (64 KiB writes, 64 KiB reads). Prints, per round and mode, the round-trip time
//! (median and 99th percentile, µs), the bulk rate (MB/s), the process CPU time per round trip
//! and per MB, and the ring counters (receives armed, sends pushed) that show which path ran.
//!
//! `cargo run --release -p tandem --example unix_stream_bench -- [WORKERS] [ROUNDS]
//! [ROUND_TRIPS] [BULK_MB] [KIND]` (WORKERS 0: the current-thread runtime; default 2 workers, 3
//! rounds, 20,000 round trips, 1,024 MB; KIND `unix`, the default, or `tcp`: the same over a
//! loopback TCP connection, for comparison).

use std::time::{Duration, Instant};

use tandem::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream, UnixStream};
use tandem::runtime::{Builder, Runtime};

const MESSAGE: usize = 64;
const CHUNK: usize = 64 * 1024;

/// Either end of a connection.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// A connected pair: `UnixStream::pair`, or a loopback TCP connection (`tcp`).
async fn pair(tcp: bool) -> (Box<dyn Stream>, Box<dyn Stream>) {
    if !tcp {
        let (a, b) = UnixStream::pair().expect("pair");
        return (Box::new(a), Box::new(b));
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (a, b) = tandem::join!(TcpStream::connect(addr), listener.accept());
    let (a, b) = (a.expect("connect"), b.expect("accept").0);
    a.set_nodelay(true).expect("nodelay");
    b.set_nodelay(true).expect("nodelay");
    (Box::new(a), Box::new(b))
}

fn runtime(workers: usize, net: bool) -> Runtime {
    let mut builder = if workers == 0 {
        Builder::new_current_thread()
    } else {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    builder
        .enable_all()
        .net_io_uring(net)
        .build()
        .expect("runtime")
}

/// CPU time of the whole process (user + system).
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` writes the struct it is given; a zeroed `rusage` is a valid value.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Round-trip times, in µs.
fn ping_pong(rt: &Runtime, round_trips: usize, tcp: bool) -> Vec<f64> {
    rt.block_on(async move {
        tandem::spawn(async move {
            let (mut a, mut b) = pair(tcp).await;
            let echo = tandem::spawn(async move {
                let mut buf = [0u8; MESSAGE];
                while b.read_exact(&mut buf).await.is_ok() {
                    b.write_all(&buf).await.expect("echo");
                }
            });
            let msg = [7u8; MESSAGE];
            let mut buf = [0u8; MESSAGE];
            let mut times = Vec::with_capacity(round_trips);
            for _ in 0..round_trips {
                let start = Instant::now();
                a.write_all(&msg).await.expect("write");
                a.read_exact(&mut buf).await.expect("read");
                times.push(start.elapsed().as_secs_f64() * 1e6);
            }
            drop(a);
            echo.await.expect("echo task");
            times
        })
        .await
        .expect("task")
    })
}

/// Seconds to move `mb` MB one way.
fn bulk(rt: &Runtime, mb: usize, tcp: bool) -> f64 {
    let total = mb * 1_000_000;
    rt.block_on(async move {
        tandem::spawn(async move {
            let (mut a, mut b) = pair(tcp).await;
            let start = Instant::now();
            let writer = tandem::spawn(async move {
                let chunk = vec![1u8; CHUNK];
                let mut sent = 0;
                while sent < total {
                    let n = CHUNK.min(total - sent);
                    a.write_all(&chunk[..n]).await.expect("write");
                    sent += n;
                }
                a.shutdown().await.expect("shutdown");
            });
            let mut buf = vec![0u8; CHUNK];
            let mut got = 0;
            loop {
                let n = b.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got += n;
            }
            writer.await.expect("writer");
            assert_eq!(got, total, "bytes lost");
            start.elapsed().as_secs_f64()
        })
        .await
        .expect("task")
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: usize| {
        args.next()
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let workers = arg(2);
    let rounds = arg(3);
    let round_trips = arg(20_000);
    let mb = arg(1024);
    let tcp = std::env::args().nth(5).is_some_and(|kind| kind == "tcp");
    println!(
        "{}, workers {workers}, {round_trips} round trips of {MESSAGE} B, {mb} MB in {CHUNK} B writes",
        if tcp { "tcp" } else { "unix" }
    );
    println!(
        "round mode   rtt_p50_us rtt_p99_us cpu_us_per_rtt bulk_MB_s cpu_ms_per_MB arms sends"
    );
    for round in 1..=rounds {
        for net in [false, true] {
            let rt = runtime(workers, net);
            let cpu = cpu_time();
            let mut times = ping_pong(&rt, round_trips, tcp);
            let cpu_pp = cpu_time() - cpu;
            let cpu = cpu_time();
            let secs = bulk(&rt, mb, tcp);
            let cpu_bulk = cpu_time() - cpu;
            times.sort_by(f64::total_cmp);
            let stats = rt.metrics().io_uring().total();
            println!(
                "{round:5} {:6} {:10.1} {:10.1} {:14.2} {:9.0} {:13.3} {:4} {}",
                if net { "uring" } else { "epoll" },
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                cpu_pp.as_secs_f64() * 1e6 / round_trips as f64,
                mb as f64 / secs,
                cpu_bulk.as_secs_f64() * 1e3 / mb as f64,
                stats.recv_arms,
                stats.sends,
            );
        }
    }
}
