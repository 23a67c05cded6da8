//! A paused clock and the blocking pool (the scenarios of Tokio's `task_blocking` tests, and
//! the other ways time can become free to move while the runtime sleeps with no deadline).
//!
//! While a blocking task is queued or running, the paused clock does not auto-advance (the
//! runtime is not idle: it waits for that task). When the task ends, awaited or not, returning
//! or panicking, the runtime, asleep with no deadline, must be woken to auto-advance again; so
//! must it when the clock is resumed or advanced from a blocking thread, or when another thread
//! registers a timer. Each of these used to hang forever: every test runs under a hang guard.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::thread;
use std::time::Duration;
use tandem::runtime::{Builder, Runtime};
use tandem::task::spawn_blocking;
use tandem::time::{self, Instant};

/// The bound on each test; a runtime that is never woken fails here.
const HANG: Duration = Duration::from_secs(20);

fn paused_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Real time a test may take when the runtime is woken as it should be (auto-advanced sleeps
/// take none).
const PROMPT: Duration = Duration::from_secs(5);

#[test]
fn blocking_when_paused() {
    hang_guard::within(HANG, "blocking_when_paused", || {
        paused_runtime().block_on(async {
            // No auto-advance while a blocking task runs, even past the timeout's deadline:
            // paused time does not pass while the runtime waits for real work.
            time::timeout(
                Duration::from_secs(3),
                spawn_blocking(|| thread::sleep(Duration::from_millis(1))),
            )
            .await
            .expect("timeout should not trigger")
            .expect("blocking task should finish");
            time::timeout(
                Duration::from_millis(1),
                spawn_blocking(|| thread::sleep(Duration::from_millis(50))),
            )
            .await
            .expect("timeout should not trigger")
            .expect("blocking task should finish");
        });
    });
}

#[test]
fn blocking_task_wakes_paused_runtime() {
    hang_guard::within(HANG, "blocking_task_wakes_paused_runtime", || {
        paused_runtime().block_on(async {
            let t0 = std::time::Instant::now();
            time::timeout(
                Duration::from_secs(15),
                spawn_blocking(|| thread::sleep(Duration::from_millis(1))),
            )
            .await
            .expect("timeout should not trigger")
            .expect("blocking task should finish");
            assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
        });
    });
}

/// The regression of issue 10 (5): nobody awaits the blocking task's `JoinHandle`, so its end
/// wakes no task; it must still wake the runtime, which then auto-advances to the sleep.
#[test]
fn unawaited_blocking_task_wakes_paused_runtime() {
    hang_guard::within(HANG, "unawaited_blocking_task_wakes_paused_runtime", || {
        paused_runtime().block_on(async {
            let t0 = std::time::Instant::now();
            let start = Instant::now();
            let blocking = spawn_blocking(|| thread::sleep(Duration::from_millis(1)));
            time::sleep(Duration::from_secs(15)).await;
            assert_eq!(start.elapsed(), Duration::from_secs(15));
            blocking.await.expect("blocking task should finish");
            assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
        });
    });
}

#[test]
fn panicking_blocking_task_wakes_paused_runtime() {
    hang_guard::within(HANG, "panicking_blocking_task_wakes_paused_runtime", || {
        paused_runtime().block_on(async {
            let t0 = std::time::Instant::now();
            let res = time::timeout(
                Duration::from_secs(15),
                spawn_blocking(|| {
                    thread::sleep(Duration::from_millis(1));
                    std::panic::resume_unwind(Box::new("blocking task panicked"));
                }),
            )
            .await
            .expect("timeout should not trigger");
            assert!(res.unwrap_err().is_panic());
            assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
        });
    });
}

/// Several blocking tasks, none awaited: auto-advance resumes only after the last one ends
/// (the end of the first must not let the clock jump), and that one wakes the runtime.
#[test]
fn auto_advance_waits_for_the_last_blocking_task() {
    hang_guard::within(
        HANG,
        "auto_advance_waits_for_the_last_blocking_task",
        || {
            paused_runtime().block_on(async {
                let t0 = std::time::Instant::now();
                let start = Instant::now();
                let short = spawn_blocking(|| thread::sleep(Duration::from_millis(1)));
                let long = spawn_blocking(|| thread::sleep(Duration::from_millis(300)));
                time::sleep(Duration::from_secs(60)).await;
                let slept = t0.elapsed();
                assert_eq!(start.elapsed(), Duration::from_secs(60));
                assert!(
                    slept >= Duration::from_millis(300),
                    "time jumped after {slept:?}, while a blocking task still ran"
                );
                assert!(slept < PROMPT, "took {slept:?}");
                short.await.unwrap();
                long.await.unwrap();
            });
        },
    );
}

/// `resume` from a blocking thread while the runtime sleeps with no deadline (the clock was
/// frozen, and the blocking task inhibits auto-advance): the runtime must wake and sleep until
/// the timer's deadline on the now running clock, not until the blocking task ends.
#[test]
fn resume_from_a_blocking_thread_wakes_the_runtime() {
    hang_guard::within(
        HANG,
        "resume_from_a_blocking_thread_wakes_the_runtime",
        || {
            paused_runtime().block_on(async {
                let t0 = std::time::Instant::now();
                let (release, held) = std::sync::mpsc::channel::<()>();
                let blocking = spawn_blocking(move || {
                    thread::sleep(Duration::from_millis(20));
                    time::resume();
                    // Keeps auto-advance inhibited well past the sleep below.
                    let _ = held.recv_timeout(Duration::from_secs(10));
                });
                time::sleep(Duration::from_millis(100)).await;
                let slept = t0.elapsed();
                drop(release);
                blocking.await.unwrap();
                assert!(
                    slept < Duration::from_secs(3),
                    "the sleep ended only after {slept:?}: the runtime was not woken by `resume`"
                );
            });
        },
    );
}

/// `advance` from a blocking thread makes a timer due while the runtime sleeps with no deadline:
/// the runtime must wake and fire it at once, not when the blocking task ends.
#[test]
fn advance_from_a_blocking_thread_fires_what_is_due() {
    hang_guard::within(
        HANG,
        "advance_from_a_blocking_thread_fires_what_is_due",
        || {
            paused_runtime().block_on(async {
                let t0 = std::time::Instant::now();
                let start = Instant::now();
                let (release, held) = std::sync::mpsc::channel::<()>();
                let blocking = spawn_blocking(move || {
                    thread::sleep(Duration::from_millis(20));
                    let rt = tandem::runtime::Handle::current();
                    rt.block_on(async { time::advance(Duration::from_millis(100)).await });
                    let _ = held.recv_timeout(Duration::from_secs(10));
                });
                time::sleep(Duration::from_millis(100)).await;
                let slept = t0.elapsed();
                assert_eq!(start.elapsed(), Duration::from_millis(100));
                drop(release);
                blocking.await.unwrap();
                assert!(
                    slept < Duration::from_secs(3),
                    "the sleep ended only after {slept:?}: the runtime was not woken by `advance`"
                );
            });
        },
    );
}

/// A paused runtime idle with no timer sleeps with no deadline; a timer registered by another
/// thread must wake it (to auto-advance to it), every time, not only the first.
#[test]
fn timers_from_another_thread_wake_the_idle_paused_runtime() {
    hang_guard::within(
        HANG,
        "timers_from_another_thread_wake_the_idle_paused_runtime",
        || {
            let rt = paused_runtime();
            let handle = rt.handle().clone();
            let (done_tx, done_rx) = tandem::sync::oneshot::channel();
            let other = thread::spawn(move || {
                let start = handle.block_on(async { Instant::now() });
                for i in 1..=3 {
                    handle.block_on(async move { time::sleep(Duration::from_secs(i)).await });
                    // Let the runtime go back to sleep with no timer before the next one.
                    thread::sleep(Duration::from_millis(50));
                }
                let elapsed = handle.block_on(async move { start.elapsed() });
                done_tx.send(elapsed).unwrap();
            });
            let elapsed = rt.block_on(done_rx).unwrap();
            other.join().unwrap();
            assert_eq!(elapsed, Duration::from_secs(6));
        },
    );
}
