//! The park hooks, the per-worker counters, `Handle::id`, `worker_index` and the local flavour of
//! the macros, on both flavours.
//!
//! Proves:
//!   * `on_thread_park` runs before a scheduler thread sleeps, and on a current-thread runtime a
//!     hook that wakes the `block_on` future (or spawns a task) keeps it from sleeping;
//!     `on_thread_unpark` runs after each such park;
//!   * `worker_park_count` and `worker_park_unpark_count` count parks (the second is even once
//!     the runtime is gone), `worker_total_busy_duration` is non-zero after work;
//!   * handles of one runtime share an id, two runtimes differ;
//!   * `worker_index` is `Some(i)` on workers, `Some(0)` in a current-thread `block_on`, `None`
//!     on blocking threads and in a multi-thread `block_on`;
//!   * the I/O event caps panic on 0 with Tokio's messages.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem::runtime::{self, Builder};

#[test]
fn park_hook_wakes_block_on_instead_of_sleeping() {
    let notify = Arc::new(tandem::sync::Notify::new());
    let fired = Arc::new(AtomicBool::new(false));
    let unparks = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread()
        .enable_all()
        .on_thread_park({
            let (notify, fired) = (notify.clone(), fired.clone());
            move || {
                if !fired.swap(true, Ordering::SeqCst) {
                    notify.notify_one();
                }
            }
        })
        .on_thread_unpark({
            let unparks = unparks.clone();
            move || {
                unparks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    // Without the hook this would sleep forever: nothing else notifies.
    rt.block_on(notify.notified());
    assert!(fired.load(Ordering::SeqCst));
    assert!(unparks.load(Ordering::SeqCst) >= 1);
}

#[test]
fn multi_thread_workers_run_park_hooks() {
    let parks = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_park({
            let parks = parks.clone();
            move || {
                parks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    for _ in 0..200 {
        if parks.load(Ordering::SeqCst) >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(parks.load(Ordering::SeqCst) >= 2, "both idle workers park");
    drop(rt);
}

#[test]
fn park_counters_and_busy_time() {
    for workers in [None, Some(2)] {
        let rt = match workers {
            None => Builder::new_current_thread().enable_all().build(),
            Some(n) => Builder::new_multi_thread()
                .worker_threads(n)
                .enable_all()
                .build(),
        }
        .unwrap();
        let metrics = rt.metrics();
        rt.block_on(async {
            for _ in 0..5 {
                tandem::spawn(tandem::task::yield_now()).await.unwrap();
            }
            tandem::time::sleep(Duration::from_millis(5)).await;
        });
        drop(rt);
        for i in 0..metrics.num_workers() {
            assert!(metrics.worker_park_count(i) >= 1, "{workers:?} worker {i}");
            assert_eq!(
                metrics.worker_park_unpark_count(i) % 2,
                0,
                "{workers:?} {i}"
            );
            assert!(metrics.worker_total_busy_duration(i) > Duration::ZERO);
        }
    }
}

#[test]
fn handles_of_one_runtime_share_an_id() {
    let rt1 = Builder::new_current_thread().build().unwrap();
    let rt2 = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let id = rt1.handle().id();
    assert_eq!(id, rt1.handle().clone().id());
    assert_eq!(id, rt1.block_on(async { runtime::Handle::current().id() }));
    assert_ne!(id, rt2.handle().id());
    assert!(
        id.to_string().parse::<u64>().is_ok(),
        "an id displays as a number"
    );
}

#[test]
fn worker_index_where_it_is_one() {
    assert_eq!(runtime::worker_index(), None);
    let ct = Builder::new_current_thread().build().unwrap();
    assert_eq!(ct.block_on(async { runtime::worker_index() }), Some(0));
    assert_eq!(
        ct.handle().block_on(async { runtime::worker_index() }),
        None
    );
    let mt = Builder::new_multi_thread()
        .worker_threads(3)
        .build()
        .unwrap();
    assert_eq!(mt.block_on(async { runtime::worker_index() }), None);
    let on_worker = mt.block_on(mt.spawn(async { runtime::worker_index() }));
    assert!(on_worker.unwrap().is_some_and(|i| i < 3));
    let on_blocking = mt.block_on(mt.spawn_blocking(runtime::worker_index));
    assert_eq!(on_blocking.unwrap(), None);
}

#[test]
#[should_panic(expected = "max_io_events_per_tick must be non-zero")]
fn zero_events_per_tick_panics() {
    Builder::new_multi_thread().max_io_events_per_tick(0);
}

#[test]
#[should_panic(expected = "max_io_events_per_busy_tick must be non-zero")]
fn zero_events_per_busy_tick_panics() {
    Builder::new_current_thread().max_io_events_per_busy_tick(0);
}

#[cfg(feature = "macros")]
#[tandem::test(flavor = "local")]
async fn local_flavor_runs_spawn_local() {
    let rc = std::rc::Rc::new(5);
    let out = tandem::task::spawn_local(async move { *rc }).await.unwrap();
    assert_eq!(out, 5);
}

#[test]
#[should_panic(
    expected = "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on"
)]
fn spawn_local_from_another_thread_names_the_owner_rule() {
    let handle = std::thread::spawn(|| {
        let rt = runtime::LocalRuntime::new().unwrap();
        rt.handle().clone()
    })
    .join()
    .unwrap();
    let _guard = handle.enter();
    tandem::task::spawn_local(async {});
}
