//! Timers never fire early, on every flavour.
//!
//! Many tasks sleep for durations around millisecond boundaries (0, 0.5, 1, 1.5, 2.9, 10 and
//! 25 ms), through `sleep`, `sleep_until` and a `Sleep` reset before it fires, and each checks
//! on wake-up that at least the requested time has passed on the OS clock. The `block_on`
//! thread (not a worker on the multi-thread runtime) sleeps too. Lateness is not checked: a
//! loaded machine may wake anyone late; only earliness is a bug.

mod support;

use std::time::{Duration, Instant};
use support::each_flavor;
use tandem::time::{sleep, sleep_until};

const DURATIONS_US: [u64; 7] = [0, 500, 1_000, 1_500, 2_900, 10_000, 25_000];
const TASKS_PER_DURATION: usize = 50;

fn check(start: Instant, wanted: Duration, what: &str) {
    let elapsed = start.elapsed();
    assert!(
        elapsed >= wanted,
        "{what}: woke after {elapsed:?}, before the {wanted:?} asked for"
    );
}

#[test]
fn sleep_never_fires_early() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut tasks = tandem::task::JoinSet::new();
            for (i, us) in DURATIONS_US
                .iter()
                .cycle()
                .take(7 * TASKS_PER_DURATION)
                .enumerate()
            {
                let wanted = Duration::from_micros(*us);
                tasks.spawn(async move {
                    let start = Instant::now();
                    match i % 3 {
                        0 => sleep(wanted).await,
                        1 => sleep_until(tandem::time::Instant::from_std(start) + wanted).await,
                        _ => {
                            // Registered for longer, then pulled in before it fires.
                            let s = sleep(wanted + Duration::from_millis(50));
                            tandem::pin!(s);
                            assert!(futures::poll!(s.as_mut()).is_pending());
                            s.as_mut()
                                .reset(tandem::time::Instant::from_std(start) + wanted);
                            s.await;
                        }
                    }
                    check(start, wanted, "task");
                });
            }
            // The thread in block_on sleeps too.
            for us in DURATIONS_US {
                let wanted = Duration::from_micros(us);
                let start = Instant::now();
                sleep(wanted).await;
                check(start, wanted, "block_on");
            }
            while let Some(res) = tasks.join_next().await {
                res.expect("a sleeping task failed");
            }
        });
    });
}

#[test]
fn sleep_from_outside_through_a_handle() {
    each_flavor(|_, rt| {
        let handle = rt.handle().clone();
        let wanted = Duration::from_millis(3);
        let start = Instant::now();
        let join = handle.spawn(async move { sleep(wanted).await });
        rt.block_on(join).unwrap();
        check(start, wanted, "spawned through a handle");
    });
}
