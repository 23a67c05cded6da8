//! Runtime shutdown releases every task and never hangs.
//!
//! Proves, on every flavour (current-thread, multi-thread with 1, 2, 8 workers):
//!   * dropping a runtime drops all 10,000 of its pending tasks (each holds a
//!     drop guard; the count is exact once `drop(runtime)` returns), both when
//!     every task has been polled (parked on a never-completing future) and when
//!     the runtime is dropped right after spawning (a mix of polled and
//!     never-polled tasks);
//!   * `shutdown_timeout(100 ms)` returns (within a generous 5 s — a hang
//!     detector, not a performance check) even though a `spawn_blocking` task
//!     is blocked "forever", and the pending async tasks are still dropped;
//!   * `shutdown_background()` returns immediately (< 2 s) in the same
//!     situation, and the pending async tasks are dropped eventually.
//!
//! The "forever" blocking task waits on a std channel whose sender the test
//! drops at the end, so the leaked thread exits and the process can exit.
//!
//! The thread-count-returns-to-baseline check lives in its own binary:
//! tests/rt_thread_count_baseline.rs.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use support::{each_flavor, wait_until, wait_until_async, Flavor};
use tandem::runtime::Runtime;

const TASKS: usize = 10_000;

/// Increments the shared counter when dropped.
struct DropGuard(Arc<AtomicUsize>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Spawns `n` tasks that each hold a `DropGuard` and never complete.
/// `polled` counts first polls.
fn spawn_pending(rt: &Runtime, n: usize, drops: &Arc<AtomicUsize>, polled: &Arc<AtomicUsize>) {
    for _ in 0..n {
        let guard = DropGuard(drops.clone());
        let polled = polled.clone();
        rt.spawn(async move {
            let _guard = guard;
            polled.fetch_add(1, SeqCst);
            std::future::pending::<()>().await;
        });
    }
}

#[test]
fn drop_runtime_drops_all_polled_pending_tasks() {
    each_flavor(|_flavor, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicUsize::new(0));
        spawn_pending(&rt, TASKS, &drops, &polled);
        // Let every task reach its pending point (drives the current-thread runtime).
        let all_polled = rt.block_on(wait_until_async(Duration::from_secs(30), || {
            polled.load(SeqCst) == TASKS
        }));
        assert!(
            all_polled,
            "only {} of {TASKS} tasks were ever polled",
            polled.load(SeqCst)
        );
        assert_eq!(
            drops.load(SeqCst),
            0,
            "tasks dropped while the runtime is alive"
        );
        drop(rt);
        assert_eq!(
            drops.load(SeqCst),
            TASKS,
            "pending tasks dropped by drop(runtime)"
        );
    });
}

#[test]
fn drop_runtime_right_after_spawning_drops_all_tasks() {
    each_flavor(|_flavor, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicUsize::new(0));
        spawn_pending(&rt, TASKS, &drops, &polled);
        drop(rt);
        assert_eq!(
            drops.load(SeqCst),
            TASKS,
            "tasks dropped by drop(runtime) ({} had been polled)",
            polled.load(SeqCst)
        );
    });
}

/// Sets up a runtime with `TASKS` pending tasks and one blocking task stuck on
/// a channel receive. Returns the sender that unblocks it (drop it to let the
/// blocking thread exit).
fn runtime_with_stuck_blocking_task(rt: &Runtime, drops: &Arc<AtomicUsize>) -> mpsc::Sender<()> {
    let polled = Arc::new(AtomicUsize::new(0));
    spawn_pending(rt, TASKS, drops, &polled);
    let (never_tx, never_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let _blocking = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        // Blocks until the test drops `never_tx`.
        let _ = never_rx.recv();
    });
    started_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("blocking task never started");
    never_tx
}

#[test]
fn shutdown_timeout_returns_despite_stuck_blocking_task() {
    each_flavor(|flavor: Flavor, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let unblock = runtime_with_stuck_blocking_task(&rt, &drops);
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(5),
            "shutdown_timeout(100ms) took {elapsed:?} with a stuck blocking task"
        );
        assert!(
            wait_until(Duration::from_secs(30), || drops.load(SeqCst) == TASKS),
            "[{}] after shutdown_timeout only {} of {TASKS} pending tasks were dropped",
            flavor.name,
            drops.load(SeqCst)
        );
        drop(unblock); // lets the leaked blocking thread finish
    });
}

#[test]
fn shutdown_background_returns_immediately() {
    each_flavor(|flavor: Flavor, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let unblock = runtime_with_stuck_blocking_task(&rt, &drops);
        let start = Instant::now();
        rt.shutdown_background();
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "shutdown_background took {elapsed:?} with a stuck blocking task"
        );
        assert!(
            wait_until(Duration::from_secs(30), || drops.load(SeqCst) == TASKS),
            "[{}] after shutdown_background only {} of {TASKS} pending tasks were dropped",
            flavor.name,
            drops.load(SeqCst)
        );
        drop(unblock);
    });
}
