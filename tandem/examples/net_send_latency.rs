//! How long a TCP write takes to reach the peer: a task on a Tandem worker writes 64 bytes and
//! waits for a 64-byte answer; the peer is a plain thread with blocking sockets, which notes
//! when each message arrived. Prints the one-way time (the write's return to the peer's read)
//! and the round trip, medians and 99th percentiles, in microseconds.
//!
//! `cargo run --release --example net_send_latency -- [WORKERS] [ROUND_TRIPS]` (WORKERS 0: the
//! current-thread runtime; default 2 workers, 20,000 round trips). Compare
//! `TANDEM_NET_IO_URING=1` (writes through send entries, reads through a multishot receive)
//! with the default (epoll).

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tandem::io::{AsyncReadExt, AsyncWriteExt};

const MESSAGE: usize = 64;

fn main() {
    let mut args = std::env::args().skip(1);
    let workers: usize = args.next().map_or(2, |a| a.parse().expect("WORKERS"));
    let round_trips: usize = args
        .next()
        .map_or(20_000, |a| a.parse().expect("ROUND_TRIPS"));
    let rt = if workers == 0 {
        tandem::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tandem::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
    .expect("runtime");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (arrived_tx, arrived_rx) = mpsc::channel::<Instant>();
    let peer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.set_nodelay(true).expect("nodelay");
        let mut buf = [0u8; MESSAGE];
        while stream.read_exact(&mut buf).is_ok() {
            let _ = arrived_tx.send(Instant::now());
            if stream.write_all(&buf).is_err() {
                return;
            }
        }
    });

    let (one_way, round) = rt.block_on(async move {
        tandem::spawn(async move {
            let mut stream = tandem::net::TcpStream::connect(addr)
                .await
                .expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut one_way = Vec::with_capacity(round_trips);
            let mut round = Vec::with_capacity(round_trips);
            let msg = [7u8; MESSAGE];
            let mut back = [0u8; MESSAGE];
            for _ in 0..round_trips {
                let start = Instant::now();
                stream.write_all(&msg).await.expect("write");
                let written = Instant::now();
                stream.read_exact(&mut back).await.expect("read");
                round.push(start.elapsed());
                let arrived = arrived_rx.recv().expect("the peer's note");
                one_way.push(arrived.saturating_duration_since(written));
            }
            (one_way, round)
        })
        .await
        .expect("client task")
    });
    peer.join().expect("peer thread");

    let stats = rt.metrics().io_uring().total();
    println!(
        "workers {workers}, {round_trips} round trips, net over io_uring: {} (sends {}, recv arms {})",
        stats.sends > 0,
        stats.sends,
        stats.recv_arms
    );
    report("write to the peer's read", one_way);
    report("round trip", round);
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "{what}: median {:.1} us, p90 {:.1} us, p99 {:.1} us",
        at(0.5),
        at(0.9),
        at(0.99)
    );
}
