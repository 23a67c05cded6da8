//! Misuse of the time API panics with Tokio's messages: a timer on a runtime without the time
//! driver, outside any runtime, a timer polled after its runtime shut down, `pause` on a
//! multi-thread runtime, and `resume`/`advance` when time is not paused.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;
use support::{each_flavor, panic_message};
use tandem::runtime::Builder;
use tandem::time::{advance, pause, resume, sleep};

fn panic_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    panic_message(&*payload)
}

#[test]
fn sleep_without_the_time_driver() {
    for mut builder in [Builder::new_current_thread(), Builder::new_multi_thread()] {
        let rt = builder.build().unwrap();
        let msg = panic_of(|| {
            let _guard = rt.enter();
            drop(sleep(Duration::from_millis(1)));
        });
        assert_eq!(
            msg,
            "A Tokio 1.x context was found, but timers are disabled. Call \
             `enable_time` on the runtime builder to enable timers."
        );
    }
}

#[test]
fn sleep_outside_a_runtime() {
    let msg = panic_of(|| {
        drop(sleep(Duration::from_millis(1)));
    });
    assert!(
        msg.contains("must be called from the context of a Tokio 1.x runtime"),
        "{msg}"
    );
}

#[test]
fn sleep_polled_after_shutdown() {
    each_flavor(|_, rt| {
        let (mut pending, mut unpolled) = rt.block_on(async {
            let mut s = Box::pin(sleep(Duration::from_secs(3600)));
            assert!(futures::poll!(s.as_mut()).is_pending());
            (s, Box::pin(sleep(Duration::from_secs(3600))))
        });
        drop(rt);
        for mut s in [pending.as_mut(), unpolled.as_mut()] {
            let msg = panic_of(|| {
                futures::executor::block_on(futures::future::poll_fn(|cx| {
                    std::future::Future::poll(s.as_mut(), cx)
                }));
            });
            assert_eq!(
                msg,
                "A Tokio 1.x context was found, but it is being shutdown."
            );
        }
        // Dropping them afterwards is fine.
        drop(pending);
    });
}

#[test]
fn pause_needs_the_current_thread_runtime() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let msg = panic_of(|| rt.block_on(async { pause() }));
    assert!(
        msg.starts_with("`time::pause()` requires the `current_thread`"),
        "{msg}"
    );
}

#[test]
fn resume_and_advance_need_paused_time() {
    let rt = Builder::new_current_thread().enable_time().build().unwrap();
    assert_eq!(
        panic_of(|| rt.block_on(async { resume() })),
        "time is not frozen"
    );
    let msg = panic_of(|| rt.block_on(advance(Duration::from_millis(1))));
    assert_eq!(msg, "time is not frozen");
    let msg = panic_of(|| {
        rt.block_on(async {
            pause();
            pause();
        })
    });
    assert_eq!(msg, "time is already frozen");
}
