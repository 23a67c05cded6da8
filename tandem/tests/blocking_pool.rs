//! The blocking pool: placement, results, panics, limits, naming, hooks and
//! idle-thread expiry.
//!
//! Proves, on every flavour (current-thread, multi-thread with 1, 2, 8 workers):
//!   * `spawn_blocking` closures run on a thread other than the worker (or
//!     block_on thread) that spawned them, and their results come back — through
//!     `task::spawn_blocking`, `Runtime::spawn_blocking` and
//!     `Handle::spawn_blocking`;
//!   * a panicking closure yields `JoinError::is_panic` with its payload;
//!   * `max_blocking_threads(2)` bounds concurrency: 8 closures that each sleep
//!     20 ms never run more than 2 at a time (max-concurrency tracker), and all
//!     complete;
//!   * `thread_name` names the runtime's threads (blocking threads, and the
//!     workers of the multi-thread runtime);
//!   * `on_thread_start` / `on_thread_stop` run for the runtime's threads and
//!     are balanced once the runtime is dropped;
//!   * `thread_keep_alive(50 ms)` lets idle blocking threads exit while the
//!     runtime is still alive (observed through the `on_thread_stop` counter
//!     with a generous 5 s deadline — the default keep-alive is 10 s).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use support::{
    each_flavor, flavors, panic_message, run_flavor, silence_expected_panics, wait_until,
    EXPECTED_PANIC,
};
use tandem::runtime::Handle;

#[test]
fn spawn_blocking_runs_elsewhere_and_returns_results() {
    each_flavor(|_flavor, rt| {
        // From a task.
        let (spawner, blocking, v) = rt.block_on(async {
            tandem::spawn(async {
                let spawner = thread::current().id();
                let (blocking, v) =
                    tandem::task::spawn_blocking(|| (thread::current().id(), 21 * 2))
                        .await
                        .unwrap();
                (spawner, blocking, v)
            })
            .await
            .unwrap()
        });
        assert_ne!(
            spawner, blocking,
            "spawn_blocking ran on the spawning worker thread"
        );
        assert_eq!(v, 42);

        // From the block_on future.
        let here = thread::current().id();
        let there = rt.block_on(async {
            tandem::task::spawn_blocking(|| thread::current().id())
                .await
                .unwrap()
        });
        assert_ne!(here, there, "spawn_blocking ran on the block_on thread");

        // Runtime::spawn_blocking and Handle::spawn_blocking from outside.
        let a = rt.spawn_blocking(|| String::from("runtime"));
        let b = rt.handle().spawn_blocking(|| String::from("handle"));
        let h = rt.handle().clone();
        let c = thread::spawn(move || h.spawn_blocking(|| Handle::current().runtime_flavor()))
            .join()
            .unwrap();
        let (a, b, c) =
            rt.block_on(async { (a.await.unwrap(), b.await.unwrap(), c.await.unwrap()) });
        assert_eq!(a, "runtime");
        assert_eq!(b, "handle");
        assert_eq!(
            c,
            rt.handle().runtime_flavor(),
            "blocking closure sees its runtime's Handle"
        );

        // Many results.
        let sum: u64 = rt.block_on(async {
            let hs: Vec<_> = (0..64u64)
                .map(|i| tandem::task::spawn_blocking(move || i))
                .collect();
            let mut s = 0;
            for h in hs {
                s += h.await.unwrap();
            }
            s
        });
        assert_eq!(sum, 63 * 64 / 2);
    });
}

#[test]
fn spawn_blocking_panic_is_join_error() {
    silence_expected_panics();
    each_flavor(|_flavor, rt| {
        let err = rt.block_on(async {
            tandem::task::spawn_blocking(|| -> u32 { panic!("{EXPECTED_PANIC} blocking") })
                .await
                .unwrap_err()
        });
        assert!(err.is_panic(), "expected is_panic, got {err:?}");
        assert!(!err.is_cancelled());
        assert_eq!(
            panic_message(&*err.into_panic()),
            format!("{EXPECTED_PANIC} blocking")
        );
        // The pool still works afterwards.
        assert_eq!(
            rt.block_on(async { tandem::task::spawn_blocking(|| 7).await.unwrap() }),
            7
        );
    });
}

#[test]
fn max_blocking_threads_bounds_concurrency() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.builder().max_blocking_threads(2).build().unwrap();
            let current = Arc::new(AtomicUsize::new(0));
            let max = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let current = current.clone();
                    let max = max.clone();
                    rt.spawn_blocking(move || {
                        let now = current.fetch_add(1, SeqCst) + 1;
                        max.fetch_max(now, SeqCst);
                        thread::sleep(Duration::from_millis(20));
                        current.fetch_sub(1, SeqCst);
                        i
                    })
                })
                .collect();
            let done: Vec<_> = rt.block_on(async {
                let mut v = Vec::new();
                for h in handles {
                    v.push(h.await.unwrap());
                }
                v
            });
            assert_eq!(
                done,
                (0..8).collect::<Vec<_>>(),
                "all blocking tasks complete"
            );
            let max = max.load(SeqCst);
            assert!(
                max <= 2,
                "{max} blocking closures ran concurrently with max_blocking_threads(2)"
            );
            assert!(max >= 1);
        });
    }
}

#[test]
fn thread_name_applies_to_runtime_threads() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor
                .builder()
                .thread_name("tandem-test-pool")
                .build()
                .unwrap();
            let blocking_name = rt.block_on(async {
                tandem::task::spawn_blocking(|| thread::current().name().map(str::to_owned))
                    .await
                    .unwrap()
            });
            assert_eq!(
                blocking_name.as_deref(),
                Some("tandem-test-pool"),
                "blocking thread name"
            );
            if flavor.is_multi_thread() {
                let worker_name = rt
                    .block_on(rt.spawn(async { thread::current().name().map(str::to_owned) }))
                    .unwrap();
                assert_eq!(
                    worker_name.as_deref(),
                    Some("tandem-test-pool"),
                    "worker thread name"
                );
            }
        });
    }
}

#[test]
fn on_thread_start_and_stop_hooks() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let starts = Arc::new(AtomicUsize::new(0));
            let stops = Arc::new(AtomicUsize::new(0));
            let (s1, s2) = (starts.clone(), stops.clone());
            let rt = flavor
                .builder()
                .on_thread_start(move || {
                    s1.fetch_add(1, SeqCst);
                })
                .on_thread_stop(move || {
                    s2.fetch_add(1, SeqCst);
                })
                .build()
                .unwrap();
            // Force several blocking threads to exist at the same time.
            let barrier = Arc::new(Barrier::new(3));
            rt.block_on(async {
                let hs: Vec<_> = (0..3)
                    .map(|_| {
                        let b = barrier.clone();
                        tandem::task::spawn_blocking(move || {
                            b.wait();
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                // Make sure workers have started too.
                tandem::spawn(async {}).await.unwrap();
            });
            let min_threads = 3 + flavor.workers.unwrap_or(0);
            assert!(
                starts.load(SeqCst) >= min_threads,
                "on_thread_start ran {} times, expected at least {min_threads} (3 blocking threads + workers)",
                starts.load(SeqCst)
            );
            drop(rt);
            assert_eq!(
                stops.load(SeqCst),
                starts.load(SeqCst),
                "on_thread_stop calls must balance on_thread_start calls once the runtime is dropped"
            );
        });
    }
}

#[test]
fn thread_keep_alive_lets_idle_blocking_threads_exit() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let stops = Arc::new(AtomicUsize::new(0));
            let s = stops.clone();
            let rt = flavor
                .builder()
                .thread_keep_alive(Duration::from_millis(50))
                .on_thread_stop(move || {
                    s.fetch_add(1, SeqCst);
                })
                .build()
                .unwrap();
            const N: usize = 4;
            let barrier = Arc::new(Barrier::new(N));
            rt.block_on(async {
                let hs: Vec<_> = (0..N)
                    .map(|_| {
                        let b = barrier.clone();
                        tandem::task::spawn_blocking(move || {
                            b.wait(); // forces N distinct blocking threads
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
            });
            // Workers keep running while the runtime is alive, so every stop
            // observed now is an idle blocking thread expiring.
            let exited = wait_until(Duration::from_secs(5), || stops.load(SeqCst) >= N);
            assert!(
                exited,
                "only {} of {N} idle blocking threads exited within 5 s with thread_keep_alive(50ms)",
                stops.load(SeqCst)
            );
            // The pool still works after its threads expired.
            assert_eq!(
                rt.block_on(async { tandem::task::spawn_blocking(|| 5).await.unwrap() }),
                5
            );
        });
    }
}
