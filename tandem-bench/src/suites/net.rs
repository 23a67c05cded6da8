//! The networking suite: TCP echo round trips over loopback, 64-byte messages, written once
//! against [`Rt`] and run on Tandem and Tokio.
//!
//! Set-up (not timed, once per runtime): an echo server on the runtime (one task per
//! connection: `read_exact` 64 bytes, `write_all` them back), and the client connections, each
//! driven by a client task on the same runtime that waits for an order. `TCP_NODELAY` is set on
//! both ends, so each message is one segment and no Nagle/delayed-ACK interplay is measured.
//!
//! The `_uring` workloads are the same with Tandem's TCP over io_uring
//! (`Builder::net_io_uring(true)`, [`Rt::build_net_uring`]); Tokio runs as in the others.
//!
//! One iteration: `block_on` sends every client task an order of N round trips, and returns
//! when all report done. The time is therefore per round-trip batch, dominated by the
//! round trips: each is a write, an epoll wake-up and a read on each side.

use std::net::SocketAddr;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::harness::Workload;
use crate::harness::{Config, Sampler};
use crate::rt::Rt;
use crate::workload;

/// Bytes per message.
const MESSAGE: usize = 64;
/// Round trips per iteration of `tcp_echo_1conn`.
const ROUND_TRIPS_1: usize = 1_000;
/// Connections of `tcp_echo_100conn`...
const CONNECTIONS_100: usize = 100;
/// ...and round trips per connection per iteration (10,000 in all).
const ROUND_TRIPS_100: usize = 100;

/// The workloads of the suite, in the order they run.
pub fn workloads() -> Vec<Workload> {
    vec![
        workload!(
            tcp_echo_1conn,
            "1 connection: 1,000 sequential 64-byte echo round trips"
        ),
        workload!(
            tcp_echo_100conn,
            "100 connections at once, 100 64-byte echo round trips each (10,000 in all)"
        ),
        workload!(
            tcp_echo_1conn_uring,
            "tcp_echo_1conn with Tandem's TCP over io_uring (Builder::net_io_uring)"
        ),
        workload!(
            tcp_echo_100conn_uring,
            "tcp_echo_100conn with Tandem's TCP over io_uring (Builder::net_io_uring)"
        ),
    ]
}

fn tcp_echo_1conn<R: Rt>(cfg: &Config) -> Sampler {
    echo_sampler::<R>(R::build(cfg.workers), 1, ROUND_TRIPS_1)
}

fn tcp_echo_100conn<R: Rt>(cfg: &Config) -> Sampler {
    echo_sampler::<R>(R::build(cfg.workers), CONNECTIONS_100, ROUND_TRIPS_100)
}

fn tcp_echo_1conn_uring<R: Rt>(cfg: &Config) -> Sampler {
    echo_sampler::<R>(R::build_net_uring(cfg.workers), 1, ROUND_TRIPS_1)
}

fn tcp_echo_100conn_uring<R: Rt>(cfg: &Config) -> Sampler {
    echo_sampler::<R>(
        R::build_net_uring(cfg.workers),
        CONNECTIONS_100,
        ROUND_TRIPS_100,
    )
}

/// Sets up an echo server and `connections` client tasks on `rt`; each iteration makes every
/// client do `round_trips` round trips.
fn echo_sampler<R: Rt>(rt: R, connections: usize, round_trips: usize) -> Sampler {
    let (orders, mut done_rx) = rt.block_on(async {
        let addr = spawn_echo_server::<R>().await;
        let (done_tx, done_rx) = mpsc::unbounded_channel::<()>();
        let mut orders = Vec::with_capacity(connections);
        for _ in 0..connections {
            let stream = R::tcp_connect(addr)
                .await
                .expect("connect to the echo server");
            R::tcp_set_nodelay(&stream, true).expect("TCP_NODELAY");
            let (order_tx, order_rx) = mpsc::unbounded_channel::<usize>();
            drop(R::task_spawn(client::<R>(
                stream,
                order_rx,
                done_tx.clone(),
            )));
            orders.push(order_tx);
        }
        (orders, done_rx)
    });

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            rt.block_on(async {
                for order in &orders {
                    order.send(round_trips).expect("client task alive");
                }
                for _ in 0..orders.len() {
                    done_rx.recv().await.expect("client task alive");
                }
            });
        }
        start.elapsed()
    })
}

/// Binds a listener on loopback and spawns its accept loop; returns its address.
async fn spawn_echo_server<R: Rt>() -> SocketAddr {
    let (listener, addr) = R::tcp_bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind the echo server");
    drop(R::task_spawn(async move {
        loop {
            let Ok(stream) = R::tcp_accept(&listener).await else {
                return;
            };
            R::tcp_set_nodelay(&stream, true).expect("TCP_NODELAY");
            drop(R::task_spawn(echo::<R>(stream)));
        }
    }));
    addr
}

/// Echoes 64-byte messages until the client goes away.
async fn echo<R: Rt>(mut stream: R::TcpStream) {
    let mut buf = [0u8; MESSAGE];
    while R::tcp_read_exact(&mut stream, &mut buf).await.is_ok() {
        if R::tcp_write_all(&mut stream, &buf).await.is_err() {
            return;
        }
    }
}

/// Does the round trips each order asks for, then reports on `done`.
async fn client<R: Rt>(
    mut stream: R::TcpStream,
    mut orders: mpsc::UnboundedReceiver<usize>,
    done: mpsc::UnboundedSender<()>,
) {
    let mut msg = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    while let Some(round_trips) = orders.recv().await {
        for i in 0..round_trips {
            msg[0] = i as u8;
            R::tcp_write_all(&mut stream, &msg)
                .await
                .expect("write to the echo server");
            R::tcp_read_exact(&mut stream, &mut back)
                .await
                .expect("read from the echo server");
            debug_assert_eq!(back, msg);
        }
        if done.send(()).is_err() {
            return;
        }
    }
}
