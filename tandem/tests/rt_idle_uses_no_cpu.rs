//! An idle runtime sleeps: no busy polling.
//!
//! Proves, for each flavour, that a runtime with I/O and time enabled whose only work is a task
//! waiting on a channel consumes almost no CPU while idle: the process's CPU time (user +
//! system, from getrusage) grows by less than 5% of the idle period. This measures CPU time, not
//! wall time, so a loaded machine slows the test down but cannot make it fail. It runs alone in
//! its binary so no other test's CPU use is counted.

mod support;

use std::time::Duration;
use support::{flavors, process_cpu_time};

#[test]
fn idle_runtime_sleeps_in_the_driver() {
    const IDLE: Duration = Duration::from_millis(500);
    for flavor in flavors() {
        let rt = flavor.build();
        let (tx, rx) = tandem::sync::oneshot::channel::<()>();
        let waiter = rt.spawn(async move { rx.await.ok() });
        // Let the workers run down to idle, then measure only the idle period.
        std::thread::sleep(Duration::from_millis(50));
        let before = process_cpu_time();
        if flavor.is_multi_thread() {
            std::thread::sleep(IDLE);
        } else {
            // A current-thread runtime only runs inside block_on: be idle in there.
            rt.block_on(async {
                let (_keep, never) = tandem::sync::oneshot::channel::<()>();
                let idle = std::thread::spawn(move || std::thread::sleep(IDLE));
                let _ = tandem::task::spawn_blocking(move || idle.join()).await;
                drop(never);
            });
        }
        let used = process_cpu_time() - before;
        tx.send(()).unwrap();
        assert!(rt.block_on(waiter).unwrap().is_some());
        assert!(
            used < IDLE / 20,
            "[{}] used {used:?} of CPU during {IDLE:?} of idleness",
            flavor.name
        );
    }
}
