//! With Unix streams over io_uring (`Builder::net_io_uring(true)`), streams dropped with reads
//! armed and sends in flight leak no descriptor: each stream's fd holder
//! (`rt/uring/socket_fd.rs`) closes the socket after the receive's final completion and the
//! last send's. Half of the pairs drop one side with sends in flight while the peer reads on:
//! it gets every byte a write took, then end-of-file. The other half drop both sides mid-read
//! and mid-send. Accepted streams of a listener do the same. The fd count comes back to exactly
//! its baseline, on the current-thread runtime and on 2 and 8 workers, and after each runtime is
//! dropped.
//!
//! The only test in this binary: libtest's parallel threads would disturb the count.

mod support;

use std::time::Duration;

use support::{assert_fd_count_returns_to, fd_count, settled_fd_count, wait_until_async, Flavor};
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{UnixListener, UnixStream};

const PAIRS: usize = 400;
/// Pairs in flight at once.
const BATCH: usize = 50;

/// Arms `stream`'s receive (a read that finds nothing), and writes until a write waits
/// (sends in flight, the queue full) or `limit` bytes were taken; returns the bytes taken.
async fn arm_and_fill(stream: &mut UnixStream, limit: usize) -> usize {
    let mut buf = [0; 8];
    let _ = tandem::time::timeout(Duration::from_micros(200), stream.read(&mut buf)).await;
    let chunk = vec![0x5a; 32 * 1024];
    let mut taken = 0;
    while taken < limit {
        match tandem::time::timeout(Duration::from_millis(1), stream.write(&chunk)).await {
            Ok(Ok(n)) => taken += n,
            _ => break,
        }
    }
    taken
}

/// One batch: `BATCH` streams on each side; `i` even, the peer reads on after the drop.
async fn batch(streams: Vec<(UnixStream, UnixStream)>) {
    let mut readers = Vec::new();
    let mut dropped = Vec::new();
    for (i, (mut a, mut b)) in streams.into_iter().enumerate() {
        let taken = arm_and_fill(&mut a, 512 * 1024).await;
        if i % 2 == 0 {
            // `a` dropped with its sends in flight; `b` reads every byte, then end-of-file.
            drop(a);
            readers.push(tandem::spawn(async move {
                let mut got = 0;
                let mut buf = vec![0; 64 * 1024];
                loop {
                    let n = b.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    assert!(buf[..n].iter().all(|&x| x == 0x5a), "a foreign byte");
                    got += n;
                }
                assert_eq!(got, taken, "bytes taken by writes and read by the peer");
            }));
        } else {
            // Both sides armed and filled, then dropped.
            arm_and_fill(&mut b, 64 * 1024).await;
            dropped.push((a, b));
        }
    }
    drop(dropped);
    for reader in readers {
        reader.await.unwrap();
    }
}

#[test]
fn streams_dropped_with_reads_and_sends_in_flight_leak_no_fd() {
    let baseline = settled_fd_count();
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        let path = std::env::temp_dir().join(format!(
            "tandem-uring-unix-fd-{}-{}.sock",
            std::process::id(),
            flavor.workers.unwrap_or(0)
        ));
        let _ = std::fs::remove_file(&path);
        let p = path.clone();
        let before = rt.block_on(async move {
            tandem::spawn(async move {
                let before = settled_fd_count();
                // Pairs.
                for _ in 0..PAIRS / BATCH {
                    let streams = (0..BATCH).map(|_| UnixStream::pair().unwrap()).collect();
                    batch(streams).await;
                }
                // Connections of a listener.
                let listener = UnixListener::bind(&p).unwrap();
                for _ in 0..PAIRS / BATCH / 2 {
                    let mut streams = Vec::new();
                    for _ in 0..BATCH {
                        let (client, accepted) =
                            tandem::join!(UnixStream::connect(&p), listener.accept());
                        streams.push((accepted.unwrap().0, client.unwrap()));
                    }
                    batch(streams).await;
                }
                drop(listener);
                // Waited for here, on the runtime: on the current-thread runtime nothing
                // submits the last receives' cancels once `block_on` has returned (they would
                // complete at the next `block_on`, or at the runtime's drop).
                let back = wait_until_async(Duration::from_secs(5), || fd_count() == before).await;
                assert!(
                    back,
                    "fd count is {}, expected exactly {before}",
                    fd_count()
                );
                before
            })
            .await
            .unwrap()
        });
        let _ = std::fs::remove_file(&path);
        assert_fd_count_returns_to(before, &format!("[{}] after the streams", flavor.name));
        let stats = rt.metrics().io_uring();
        if stats.enabled {
            let total = stats.total();
            assert!(
                total.recv_arms >= PAIRS as u64 && total.sends >= PAIRS as u64,
                "[{}] not on the ring: {total:?}",
                flavor.name
            );
        }
        drop(rt);
        assert_fd_count_returns_to(baseline, &format!("[{}] after the runtime", flavor.name));
    }
}
