//! A receive over io_uring ended for want of buffers (`ENOBUFS`) leaves the bytes in the
//! socket, and the stream's next read goes through epoll once. That read must try the socket
//! at once, not wait for epoll to report bytes that are known to be there: with receives over
//! the rings, every request queues an epoll event nobody needs, a worker takes no more events
//! per turn than its queue has room for, and at -c10000 the reads that waited for theirs timed
//! out (2 s) by the thousand.
//!
//! Here the worker's driver is never polled while the read waits (two tasks keep it busy with
//! no gap, and `event_interval` is out of reach), so epoll's event for the bytes is never
//! dispatched: the read completes only if the stream marked its socket readable itself.

mod support;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::{Builder, UringMode};

#[test]
fn a_read_after_enobufs_tries_the_socket_without_waiting_for_epoll() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .io_uring(UringMode::Auto)
        .net_io_uring(true)
        // One buffer in the worker ring's group.
        .net_io_uring_buffers(1, 64)
        .event_interval(u32::MAX)
        .build()
        .unwrap();
    let (mut hog_peer, hog, mut peer, stream) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hog_peer = TcpStream::connect(addr).await.unwrap();
        let (hog, _) = listener.accept().await.unwrap();
        let peer = TcpStream::connect(addr).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        (hog_peer, hog, peer, stream)
    });
    // Both streams' first reads find their sockets empty and arm receives (submitted once the
    // worker is idle), while the group still holds its buffer: a receive issued with none
    // ends with ENOBUFS at once, bytes or not.
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        rt.spawn(async move {
            let mut stream = stream;
            let mut buf = [0; 16];
            let n = stream.read(&mut buf).await.unwrap();
            done.store(true, SeqCst);
            (buf[..n].to_vec(), stream)
        })
    };
    let hog = rt.spawn(async move {
        let mut hog = hog;
        let mut byte = [0];
        hog.read_exact(&mut byte).await.unwrap();
        hog
    });
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        rt.handle().metrics().io_uring().rings[0].recv_arms,
        2,
        "both receives are armed on the worker's ring"
    );
    // The hog takes the group's one buffer and keeps it: its reader reads one byte of a
    // 64-byte chunk and stops.
    rt.block_on(async { hog_peer.write_all(&[7; 64]).await.unwrap() });
    let hog = rt.block_on(hog).unwrap();
    // From now on the worker is never idle: two tasks hand a token back and forth.
    let busy = Arc::new(AtomicBool::new(true));
    let (ping_tx, mut ping_rx) = tandem::sync::mpsc::unbounded_channel::<()>();
    let (pong_tx, mut pong_rx) = tandem::sync::mpsc::unbounded_channel::<()>();
    let ponger = rt.spawn(async move {
        while ping_rx.recv().await.is_some() {
            if pong_tx.send(()).is_err() {
                break;
            }
        }
    });
    let pinger = {
        let busy = busy.clone();
        rt.spawn(async move {
            while busy.load(SeqCst) {
                ping_tx.send(()).unwrap();
                pong_rx.recv().await.unwrap();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    // The bytes find no buffer: the receive ends with ENOBUFS, reaped on the busy worker's
    // next tick, and the reader reads through epoll, whose event for them stays in the kernel
    // (epoll's event for the bytes is queued as they arrive, before the CQE).
    rt.block_on(async { peer.write_all(b"hello").await.unwrap() });
    let read_while_busy = support::wait_until(Duration::from_secs(5), || done.load(SeqCst));
    busy.store(false, SeqCst);
    rt.block_on(async {
        pinger.await.unwrap();
        ponger.await.unwrap();
    });
    let (bytes, _stream) = rt.block_on(reader).unwrap();
    assert_eq!(bytes, b"hello");
    let enobufs: u64 = rt
        .handle()
        .metrics()
        .io_uring()
        .rings
        .iter()
        .map(|ring| ring.recv_enobufs)
        .sum();
    assert!(
        enobufs >= 1,
        "the receive never ran out of buffers: nothing was tested"
    );
    assert!(
        read_while_busy,
        "the read after ENOBUFS waited for epoll's event, which a busy worker never dispatched"
    );
    drop(hog);
}
