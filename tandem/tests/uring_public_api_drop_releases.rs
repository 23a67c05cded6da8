//! `tandem::uring`: a future dropped before its completion never frees what the kernel may
//! still use, and its operation's `release` runs exactly once: at the CQE, on the thread that
//! reaps the owning ring (not the dropping thread), or in the drop itself if the completion had
//! already arrived. The fds the operations held are closed after: the count returns to its
//! baseline.
//!
//! This must be the only test in this binary: the fd count is process-wide.

mod support;
mod uring_ops;

use std::future::Future;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use support::{fd_count, flavors, run_flavor, Flavor};
use tandem::runtime::Runtime;
use tandem::uring::{submit, OpFuture};
use uring_ops::{pipe, Counters, Read};

type ReadFuture = OpFuture<Read>;

/// A future handed out of the task that polled it (a wrapper: a task's output that is itself
/// a future is easily awaited by mistake).
struct Polled(ReadFuture);

/// Waits (inside the runtime, so a current-thread runtime is driven meanwhile) until `cond`
/// holds; the bound only turns a hang into a failure.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tandem::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Spawns a task that polls a read of an empty pipe once (pushing it on that worker's ring) and
/// hands the future out.
fn pending_read(rt: &Runtime, counters: &Arc<Counters>) -> (ReadFuture, Arc<std::os::fd::OwnedFd>) {
    let (rx, tx) = pipe();
    let read = submit(Read::new(&rx, 16, counters));
    let read = rt.block_on(async {
        tandem::spawn(async move {
            let mut read = read;
            let pending = std::future::poll_fn(|cx: &mut Context<'_>| {
                Poll::Ready(Pin::new(&mut read).poll(cx).is_pending())
            })
            .await;
            assert!(pending, "a read of an empty pipe completed");
            Polled(read)
        })
        .await
        .unwrap()
    });
    (read.0, tx)
}

fn in_flight(rt: &Runtime) -> u64 {
    let total = rt.handle().metrics().io_uring().total();
    total.submitted - total.completed
}

fn scenarios(flavor: Flavor) {
    let Some(rt) = support::ring_runtime(&mut flavor.builder()) else {
        return;
    };
    // Warm up what allocates fds once (the blocking pool, timers).
    rt.block_on(async { tandem::time::sleep(Duration::from_millis(1)).await });
    let baseline = fd_count();
    let this_thread = std::thread::current().id();

    // 1. Dropped in flight on a thread outside the runtime: the cancel goes to the owning
    //    ring, and `release` runs at the CQE, on a thread that reaps that ring.
    let counters = Arc::new(Counters::default());
    let (read, tx) = pending_read(&rt, &counters);
    rt.block_on(until("the read is in the kernel", || in_flight(&rt) >= 1));
    drop(read);
    rt.block_on(until("the ring released the op", || counters.get().1 == 1));
    rt.block_on(until("the cancel completed", || in_flight(&rt) == 0));
    assert_eq!(
        counters.get(),
        (0, 1, 1),
        "released once, then dropped; never completed"
    );
    assert_eq!(
        *counters.release_results.lock().unwrap(),
        [-libc::ECANCELED]
    );
    let threads = counters.release_threads.lock().unwrap().clone();
    if flavor.is_multi_thread() {
        assert_ne!(threads, [this_thread], "released by the dropping thread");
    }
    drop(tx);

    // 2. Dropped in flight by another task (the task holding it is aborted).
    let counters = Arc::new(Counters::default());
    let (read, tx) = pending_read(&rt, &counters);
    let holder = rt.spawn(async move {
        let _ = read.await;
        unreachable!("nobody writes to the pipe");
    });
    rt.block_on(async {
        until("the read is in the kernel", || in_flight(&rt) >= 1).await;
        holder.abort();
        assert!(holder.await.unwrap_err().is_cancelled());
        until("the ring released the op", || counters.get().1 == 1).await;
        until("the cancel completed", || in_flight(&rt) == 0).await;
    });
    assert_eq!(counters.get(), (0, 1, 1));
    drop(tx);

    // 3. Completed, then dropped before it was polled again: the drop releases the result
    //    (the bytes read), on the dropping thread.
    let counters = Arc::new(Counters::default());
    let (read, tx) = pending_read(&rt, &counters);
    // SAFETY: a write of 4 bytes from a live buffer to an open pipe.
    assert_eq!(
        unsafe { libc::write(tx.as_raw_fd(), b"data".as_ptr().cast(), 4) },
        4
    );
    rt.block_on(until("the read completed", || in_flight(&rt) == 0));
    assert_eq!(counters.get(), (0, 0, 0), "nobody took the result yet");
    drop(read);
    assert_eq!(counters.get(), (0, 1, 1), "the drop released it");
    assert_eq!(*counters.release_results.lock().unwrap(), [4]);
    assert_eq!(*counters.release_threads.lock().unwrap(), [this_thread]);
    drop(tx);

    // 4. Many dropped at random points of their lives, on both sides of the runtime.
    let counters = Arc::new(Counters::default());
    let mut pipes = Vec::new();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (rx, tx) = pipe();
            pipes.push(tx.clone());
            let read = submit(Read::new(&rx, 8, &counters));
            tasks.push(tandem::spawn(async move {
                if i % 2 == 0 {
                    // SAFETY: a 1-byte write from a live buffer to an open pipe.
                    unsafe { libc::write(tx.as_raw_fd(), b"x".as_ptr().cast(), 1) };
                }
                let _ = tandem::time::timeout(Duration::from_micros(i % 7), read).await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        until("every op was completed or released", || {
            let (completed, released, _) = counters.get();
            completed + released == 200
        })
        .await;
        until("the cancels completed", || in_flight(&rt) == 0).await;
    });
    let (completed, released, dropped) = counters.get();
    assert_eq!(
        dropped, 200,
        "every op dropped once ({completed} completed, {released} released)"
    );
    drop(pipes);

    assert_eq!(fd_count(), baseline, "an op kept an fd");
    drop(rt);
}

#[test]
fn a_dropped_future_releases_its_operation_once() {
    for flavor in flavors() {
        run_flavor(flavor, scenarios);
    }
}
