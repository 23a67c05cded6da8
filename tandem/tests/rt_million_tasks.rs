//! A million tasks, and memory comes back.
//!
//! Proves that a multi-thread runtime with 2 workers spawns and joins
//! 1,000,000 tasks (in batches through a JoinSet, from inside a task, with
//! every result checked through a checksum), and that a second round of
//! 1,000,000 tasks does not grow the process's resident set size by more than
//! 16 MiB over the first round: task memory is returned and reused, there is
//! no per-task leak (a leak of even 32 bytes per task would show as ~30 MiB).
//!
//! Size: 1,000,000 tasks per round in release builds. Debug builds use
//! 200,000 per round (`cfg!(debug_assertions)`): with 1,000,000 the debug test
//! took ~46 s against Tandem on 2 cores (4-8 s against Tokio). 200,000 still
//! catches a leak of ~84 bytes per task or more.
//!
//! RSS is read from /proc/self/status (VmRSS, the same counter as
//! /proc/self/statm's second field). This is the only test in this binary so
//! no other test's allocations disturb the measurement.

mod support;

use support::{rss_bytes, Flavor};
use tandem::task::JoinSet;

const TASKS_PER_ROUND: u64 = if cfg!(debug_assertions) {
    200_000
} else {
    1_000_000
};
const BATCH: u64 = 10_000;
const MAX_GROWTH: u64 = 16 * 1024 * 1024;

/// Spawns and joins `TASKS_PER_ROUND` tasks in batches; returns the checksum.
async fn round() -> u64 {
    let mut sum = 0u64;
    let mut set = JoinSet::new();
    let mut next = 0u64;
    while next < TASKS_PER_ROUND {
        let end = (next + BATCH).min(TASKS_PER_ROUND);
        for i in next..end {
            set.spawn(async move {
                // A little state that lives across an await point.
                let v = [i; 4];
                tandem::task::yield_now().await;
                v[0] + v[3] - i
            });
        }
        next = end;
        while let Some(r) = set.join_next().await {
            sum += r.expect("task failed");
        }
        assert!(set.is_empty());
    }
    sum
}

#[test]
fn million_tasks_constant_memory() {
    let rt = Flavor::MULTI_2.build();
    let expected: u64 = (0..TASKS_PER_ROUND).sum();

    let before = rss_bytes();
    let sum1 = rt.block_on(rt.spawn(round())).unwrap();
    assert_eq!(sum1, expected, "round 1 checksum");
    let after_first = rss_bytes();

    let sum2 = rt.block_on(rt.spawn(round())).unwrap();
    assert_eq!(sum2, expected, "round 2 checksum");
    let after_second = rss_bytes();

    println!(
        "{TASKS_PER_ROUND} tasks per round: RSS before {} KiB, after round 1 {} KiB, after round 2 {} KiB",
        before / 1024,
        after_first / 1024,
        after_second / 1024
    );
    assert!(
        after_second <= after_first + MAX_GROWTH,
        "RSS grew by {} KiB during the second round of {TASKS_PER_ROUND} tasks (bound {} KiB): \
         per-task memory is not being returned",
        (after_second - after_first) / 1024,
        MAX_GROWTH / 1024
    );
}
