//! Runtime teardown leaves no threads behind.
//!
//! Proves that after 100 create/use/drop cycles of a multi-thread runtime with
//! 2 workers that each ran one `spawn_blocking` task (so both worker threads
//! and a blocking-pool thread existed), the process's thread count (entries of
//! /proc/self/task) is back to exactly the baseline measured before the first
//! runtime was created: dropping a runtime joins (or at least terminates) all
//! of its threads.
//!
//! This must be the only test in this binary: libtest runs tests of one binary
//! on parallel threads, which would disturb the count.

mod support;

use std::time::Duration;

use support::{thread_count, wait_until, Flavor};

#[test]
fn thread_count_returns_to_baseline_after_100_runtimes() {
    let baseline = thread_count();
    for i in 0..100u32 {
        let rt = Flavor::MULTI_2.build();
        let v = rt.block_on(async move {
            tandem::task::spawn_blocking(move || i * 2)
                .await
                .expect("spawn_blocking failed")
        });
        assert_eq!(v, i * 2);
        if i == 0 {
            // Sanity check that the measurement sees the runtime's threads.
            assert!(
                thread_count() > baseline,
                "no runtime threads visible in /proc/self/task"
            );
        }
        drop(rt);
    }
    // A joined thread can linger in /proc for a moment after it has been
    // reaped; allow a short settle time. The final comparison is exact.
    let settled = wait_until(Duration::from_secs(5), || thread_count() == baseline);
    assert!(
        settled,
        "thread count after 100 runtime create/drop cycles is {}, baseline was {baseline}",
        thread_count()
    );
}
