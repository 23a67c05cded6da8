//! Fairness by construction: a worker takes no more I/O events per turn of the reactor than its
//! run queue has room for, so the tasks they wake never overflow it.
//!
//! An overflow moves the *oldest* half of a worker's queue, the tasks about to run, behind
//! everything in the injection queue. Under a load of 10,000 connections that happened hundreds
//! of times a second, and a request could be pushed back again and again (waits of 2-3 s next
//! to a median of 6 ms). The events a worker does not take wait in the kernel's ready list, in
//! order, for its next turn.
//!
//! Counted, not timed: 1,000 tasks each wait for a byte on a socket of their own; all bytes are
//! written at once; each task notes the injection queue's depth when it runs. Nothing is
//! spawned or woken from outside the worker meanwhile, so any task found there came from an
//! overflow. Before the cap, the first turn took all 1,000 events into a queue of 256.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use tandem::io::unix::AsyncFd;

const CONNECTIONS: usize = 1000;

#[test]
fn tasks_woken_by_one_turn_never_overflow_the_run_queue() {
    for workers in [1, 2] {
        let rt = tandem::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap();
        let waiting = Arc::new(AtomicUsize::new(0));
        let deepest = Arc::new(AtomicUsize::new(0));
        let mut peers = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..CONNECTIONS {
            let (ours, peer) = UnixStream::pair().unwrap();
            ours.set_nonblocking(true).unwrap();
            peers.push(peer);
            let (waiting, deepest) = (waiting.clone(), deepest.clone());
            let metrics = rt.handle().metrics();
            handles.push(rt.spawn(async move {
                let fd = AsyncFd::new(ours).unwrap();
                waiting.fetch_add(1, SeqCst);
                let mut guard = fd.readable().await.unwrap();
                deepest.fetch_max(metrics.global_queue_depth(), SeqCst);
                let mut byte = [0];
                let read = guard.try_io(|fd| fd.get_ref().read(&mut byte));
                assert!(matches!(read, Ok(Ok(1))), "{read:?}");
            }));
        }
        // Every task is registered and idle (none left in the injection queue the spawns
        // went through) before the bytes arrive.
        assert!(support::wait_until(Duration::from_secs(20), || {
            waiting.load(SeqCst) == CONNECTIONS && rt.handle().metrics().global_queue_depth() == 0
        }));
        std::thread::sleep(Duration::from_millis(50));
        for peer in &mut peers {
            peer.write_all(b"x").unwrap();
        }
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(
            deepest.load(SeqCst),
            0,
            "{workers} workers: tasks woken by I/O overflowed into the injection queue"
        );
    }
}
