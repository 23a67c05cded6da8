//! `tandem::uring`'s multishot operations: a stream of completions from one entry, ended by the
//! kernel's final CQE, cancelled when dropped (from any thread), on every flavour. The source of
//! completions is a multishot timeout (Linux 6.4), which ticks a known number of times.

mod support;
mod uring_ops;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use support::{flavors, run_flavor};
use tandem::runtime::{Runtime, UringMode};
use tandem::uring::io_uring::opcode;
use tandem::uring::{submit_multishot, OpStream};
use uring_ops::{each_ring_flavor, Counters, Ticks};

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<OpStream<Ticks>>();
};

fn in_flight(rt: &Runtime) -> u64 {
    let total = rt.handle().metrics().io_uring().total();
    total.submitted - total.completed
}

/// Five ticks, then the end; the stream may move between tasks on the way.
#[test]
fn a_multishot_timeout_ticks_then_ends() {
    each_ring_flavor(|_, rt| {
        let counters = Arc::new(Counters::default());
        let mut ticks = submit_multishot(Ticks::new(Duration::from_millis(1), 5, &counters));
        let items = rt.block_on(async {
            let first = ticks.next().await.unwrap().unwrap();
            // The rest on another task, maybe another worker.
            let rest = tandem::spawn(async move {
                let mut items = Vec::new();
                while let Some(item) = ticks.next().await {
                    items.push(item.unwrap());
                }
                assert!(ticks.next().await.is_none(), "an ended stream stays ended");
                items
            })
            .await
            .unwrap();
            [vec![first], rest].concat()
        });
        assert_eq!(items, [-libc::ETIME; 5]);
        assert_eq!(
            counters.get(),
            (5, 0, 1),
            "five items, nothing released, dropped once"
        );
        assert_eq!(in_flight(&rt), 0, "the final CQE ended the entry (once)");
    });
}

/// Dropping the stream of an endless multishot cancels it: the final CQE comes, is released,
/// and the operation is dropped; from the task itself or from a plain thread.
#[test]
fn dropping_the_stream_cancels_the_operation() {
    each_ring_flavor(|_, rt| {
        for on_plain_thread in [false, true] {
            let counters = Arc::new(Counters::default());
            let mut ticks = submit_multishot(Ticks::new(Duration::from_millis(1), 0, &counters));
            rt.block_on(async {
                for _ in 0..3 {
                    assert_eq!(ticks.next().await.unwrap().unwrap(), -libc::ETIME);
                }
            });
            if on_plain_thread {
                std::thread::spawn(move || drop(ticks)).join().unwrap();
            } else {
                rt.block_on(async move { drop(ticks) });
            }
            rt.block_on(async {
                for _ in 0..10_000 {
                    if in_flight(&rt) == 0 && counters.get().2 == 1 {
                        break;
                    }
                    tandem::time::sleep(Duration::from_millis(1)).await;
                }
            });
            assert_eq!(
                in_flight(&rt),
                0,
                "the cancel never ended the request (dropped on a plain thread: {on_plain_thread}; \
                 rings: {:?})",
                rt.handle().metrics().io_uring().rings
            );
            let (taken, released, dropped) = counters.get();
            assert_eq!((taken, dropped), (3, 1));
            assert!(released >= 1, "the final CQE was not released");
            let results = counters.release_results.lock().unwrap().clone();
            assert_eq!(results.last(), Some(&-libc::ECANCELED), "{results:?}");
        }
    });
}

/// No io_uring: the stream's one item is the error, then it ends.
#[test]
fn uring_mode_off_gives_unsupported() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.builder().io_uring(UringMode::Off).build().unwrap();
            rt.block_on(async {
                let counters = Arc::new(Counters::default());
                let mut ticks =
                    submit_multishot(Ticks::new(Duration::from_millis(1), 1, &counters));
                let err = ticks.next().await.unwrap().unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
                assert!(ticks.next().await.is_none());
                assert_eq!(counters.get(), (0, 0, 1));
                assert!(!tandem::uring::is_supported(opcode::Timeout::CODE));
            });
        });
    }
}

/// A runtime shut down while a task waits on an endless multishot stream: the task is dropped,
/// the stream with it, the request is cancelled (by the stream, and by shutdown's cancel-all),
/// and the operation is released and dropped; shutdown does not wait for ever.
#[test]
fn shutdown_ends_a_multishot_stream() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let Some(rt) = support::ring_runtime(&mut flavor.builder()) else {
                return;
            };
            let counters = Arc::new(Counters::default());
            let ticks = Ticks::new(Duration::from_millis(1), 0, &counters);
            // A oneshot awaited in `block_on`: a current-thread runtime runs its tasks only there.
            let (tx, rx) = tandem::sync::oneshot::channel();
            rt.spawn(async move {
                let mut ticks = submit_multishot(ticks);
                let mut tx = Some(tx);
                while let Some(item) = ticks.next().await {
                    assert_eq!(item.unwrap(), -libc::ETIME);
                    if let Some(tx) = tx.take() {
                        tx.send(()).unwrap();
                    }
                }
                unreachable!("an endless timeout ended before shutdown");
            });
            rt.block_on(rx).unwrap();
            drop(rt);
            let (taken, released, dropped) = counters.get();
            assert!(taken >= 1);
            assert_eq!(dropped, 1, "the operation outlived its runtime");
            assert!(released >= 1, "the final CQE was not released");
        });
    }
}
