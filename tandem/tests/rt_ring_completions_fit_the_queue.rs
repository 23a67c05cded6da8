//! Fairness by construction, for the rings: a worker takes no more completions than its run
//! queue has room for, none when it is full, so the tasks they wake never overflow it into the
//! injection queue. (Epoll's events may overflow it, into a backlog served at a guaranteed rate:
//! `rt_injected_batch_beside_a_full_queue.rs`.)
//!
//! A worker with a full queue used to reap one completion anyway on every tick. The fairness
//! tick's batch from the injection queue then filled the room kept for it, the next reap
//! overflowed the queue, and half of it (the tasks about to run) went behind everything in the
//! injection queue: at `-c10000` over io_uring, connections waited seconds there and the HTTP
//! suite counted thousands of timeouts.
//!
//! Counted, not timed: 1,000 connections over the rings play ping-pong with a plain thread, so
//! every round wakes 1,000 tasks into two queues of 256, while another plain thread keeps
//! spawning into the injection queue. No worker may overflow (`worker_overflow_count`) in those
//! rounds. A warm-up round, one connection at a time, comes first: every reader has armed its
//! receive by its end, whatever the machine's speed.
//!
//! Each reader's first read goes through epoll, and registers a waker there, before it arms
//! (`net/uring_recv.rs`, step 1). That waker used to stay, and epoll's event for a later
//! round's byte, whenever epoll looked before the receive took it, woke the task a second time
//! from the driver, whose events may overflow a queue: this test failed under
//! AddressSanitizer with 1-5 overflows after the warm-up. Arming now drops it
//! (`net_uring_recv::an_armed_receive_leaves_no_waker_with_epoll`).

mod support;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::runtime::{Builder, UringMode};

const CONNECTIONS: usize = 1000;
/// Rounds of ping-pong, the first of them the warm-up.
const ROUNDS: usize = 30;
/// The warm-up round's byte.
const WARM_UP: u8 = 0;

/// Each worker's `worker_overflow_count`.
fn overflows(rt: &tandem::runtime::Runtime) -> Vec<u64> {
    let metrics = rt.handle().metrics();
    (0..metrics.num_workers())
        .map(|worker| metrics.worker_overflow_count(worker))
        .collect()
}

#[test]
fn completions_reaped_never_overflow_the_run_queue() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .io_uring(UringMode::Auto)
        .net_io_uring(true)
        .build()
        .unwrap();
    let recv_arms = |rt: &tandem::runtime::Runtime| {
        let stats = rt.handle().metrics().io_uring();
        stats.rings.iter().map(|ring| ring.recv_arms).sum::<u64>()
    };
    // A backlog for every peer: connects never wait for a SYN to be sent again.
    let listener = rt.block_on(async {
        let socket = tandem::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(CONNECTIONS as u32).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    // The server accepts on a worker while the peers connect.
    let server = rt.spawn(async move {
        let mut handles = Vec::new();
        for _ in 0..CONNECTIONS {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            handles.push(tandem::spawn(async move {
                let mut byte = [0];
                for _ in 0..ROUNDS {
                    stream.read_exact(&mut byte).await.unwrap();
                    stream.write_all(&byte).await.unwrap();
                }
            }));
        }
        handles
    });
    let mut peers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let peer = std::net::TcpStream::connect(addr).unwrap();
            peer.set_nodelay(true).unwrap();
            peer
        })
        .collect();
    let handles = rt.block_on(server).unwrap();
    let spawning = Arc::new(AtomicBool::new(true));
    let spawner = {
        let (handle, spawning) = (rt.handle().clone(), spawning.clone());
        std::thread::spawn(move || {
            while spawning.load(SeqCst) {
                for _ in 0..8 {
                    drop(handle.spawn(async {}));
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    // The warm-up: one connection at a time, so no queue holds more than a few tasks.
    for peer in &mut peers {
        peer.write_all(&[WARM_UP]).unwrap();
        let mut byte = [0];
        peer.read_exact(&mut byte).unwrap();
        assert_eq!(byte[0], WARM_UP);
    }
    let after_warm_up = overflows(&rt);
    for round in 1..ROUNDS {
        for peer in &mut peers {
            peer.write_all(&[round as u8]).unwrap();
        }
        for peer in &mut peers {
            let mut byte = [0];
            peer.read_exact(&mut byte).unwrap();
            assert_eq!(byte[0], round as u8);
        }
    }
    spawning.store(false, SeqCst);
    spawner.join().unwrap();
    rt.block_on(async {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    if recv_arms(&rt) == 0 {
        eprintln!("no receive was armed (no buffer rings here?): nothing to check");
        return;
    }
    assert_eq!(
        overflows(&rt),
        after_warm_up,
        "tasks woken by completions overflowed into the injection queue"
    );
}
