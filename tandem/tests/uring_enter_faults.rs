//! Reads through io_uring while `io_uring_enter` fails now and then: `scripts/test.sh` runs this
//! binary under strace, injecting EAGAIN, EBUSY and EINTR on every 5th enter (it also runs
//! plainly, with nothing injected). A refused enter leaves its entries queued; they must still
//! reach the kernel: no operation lost (every read returns its own bytes), none completed twice
//! (the op state word asserts it), every buffer dropped once, and the fd count exact afterwards.
//! Every 16th read is dropped after its first poll (a cancel through the same enters).
//!
//! This must be the only test in this binary: the fd count is process-wide.

#[path = "support/guard_buf.rs"]
mod guard_buf;
mod support;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use guard_buf::{Counts, GuardBuf};
use support::{fd_count, wait_until};

const BLOCK: usize = 4096;
const BLOCKS: usize = 1024;
const TASKS: usize = 64;

/// The byte every position of block `b` holds.
fn block_byte(b: usize) -> u8 {
    (b % 251) as u8
}

fn ops_wanted() -> usize {
    std::env::var("TANDEM_FAULT_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[test]
fn no_operation_is_lost_when_enters_fail() {
    let dir = std::env::temp_dir().join(format!("tandem-enter-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data");
    let contents: Vec<u8> = (0..BLOCKS)
        .flat_map(|b| std::iter::repeat_n(block_byte(b), BLOCK))
        .collect();
    std::fs::write(&path, &contents).unwrap();
    let baseline = fd_count();
    let total_ops = ops_wanted();

    for workers in [2, 0] {
        let counts = Arc::new(Counts::default());
        let mut builder = support::builder_with_workers(workers);
        // Every read through the ring: a page-cache read on the worker would skip the enters.
        let Some(rt) = support::ring_runtime(&mut builder) else {
            return;
        };
        let ops = if workers == 0 {
            total_ops / 5
        } else {
            total_ops
        };
        let per_task = ops / TASKS;
        rt.block_on(async {
            let file = Arc::new(tandem::fs::File::open(&path).await.unwrap());
            let mut set = tandem::task::JoinSet::new();
            for t in 0..TASKS {
                let file = file.clone();
                let counts = counts.clone();
                set.spawn(async move {
                    let mut completed = 0;
                    for i in 0..per_task {
                        let block = (t * 7919 + i * 104_729) % BLOCKS;
                        let read =
                            file.read_at(GuardBuf::new(BLOCK, &counts), (block * BLOCK) as u64);
                        let mut read = std::pin::pin!(read);
                        if i % 16 == 15 {
                            // Polled once, then dropped: a cancel, or a result nobody takes.
                            std::future::poll_fn(|cx| {
                                let _ = read.as_mut().poll(cx);
                                Poll::Ready(())
                            })
                            .await;
                            continue;
                        }
                        let (res, buf) = read.await;
                        let n = res.unwrap_or_else(|e| panic!("read of block {block}: {e}"));
                        assert_eq!(n, BLOCK, "short read of block {block}");
                        assert!(
                            buf.bytes().iter().all(|&b| b == block_byte(block)),
                            "block {block} came back with another block's bytes"
                        );
                        completed += 1;
                    }
                    completed
                });
            }
            let mut completed = 0;
            while let Some(done) = set.join_next().await {
                completed += done.unwrap();
            }
            assert_eq!(completed, TASKS * (per_task - per_task / 16));
        });
        let total = rt.handle().metrics().io_uring().total();
        assert!(
            wait_until(Duration::from_secs(30), || {
                let t = rt.handle().metrics().io_uring().total();
                t.completed == t.submitted
            }),
            "{workers} workers: operations still in flight after every task finished: {:?}",
            rt.handle().metrics().io_uring().total()
        );
        eprintln!("{workers} workers: {total:?}");
        drop(rt);
        assert_eq!(
            counts.created(),
            counts.dropped(),
            "{workers} workers: buffers"
        );
    }
    assert!(
        wait_until(Duration::from_secs(5), || fd_count() == baseline),
        "fd count is {}, baseline {baseline}",
        fd_count()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
