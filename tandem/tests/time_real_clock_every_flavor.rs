//! `timeout`, `interval` and zero-length sleeps on the real clock, on every flavour: a timeout
//! fires (not early) on a future that never completes, does not fire on one that completes
//! first; an interval's first tick is ready at the first poll and later ticks are never closer
//! than a period; `sleep(0)` and `reset_immediately` complete at the first poll.

mod support;

use std::time::Duration;
use support::each_flavor;
use tandem::time::{interval, sleep, timeout, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn timeout_elapses_not_early() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    tandem::spawn(async {
                        let start = Instant::now();
                        let res = timeout(ms(15), std::future::pending::<()>()).await;
                        assert!(res.is_err());
                        assert!(start.elapsed() >= ms(15), "{:?}", start.elapsed());
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    });
}

#[test]
fn timeout_passes_the_output_through() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (tx, rx) = tandem::sync::oneshot::channel();
            tandem::spawn(async move {
                sleep(ms(2)).await;
                tx.send(5).unwrap();
            });
            assert_eq!(timeout(Duration::from_secs(30), rx).await.unwrap(), Ok(5));
        });
    });
}

#[test]
fn interval_ticks_a_period_apart() {
    each_flavor(|_, rt| {
        let ticker = rt.spawn(async {
            let mut i = interval(ms(5));
            let first = match futures::poll!(std::pin::pin!(i.tick())) {
                std::task::Poll::Ready(first) => first,
                std::task::Poll::Pending => panic!("the first tick waited"),
            };
            let mut last = first;
            for n in 1..=5u32 {
                let scheduled = i.tick().await;
                assert_eq!(scheduled, first + ms(5) * n);
                assert!(Instant::now() >= scheduled, "ticked early");
                assert!(scheduled - last >= ms(5));
                last = scheduled;
            }
        });
        rt.block_on(ticker).unwrap();
    });
}

#[test]
fn zero_sleeps_are_ready_at_once() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            assert!(futures::poll!(std::pin::pin!(sleep(Duration::ZERO))).is_ready());
            let mut i = interval(ms(1000));
            // Polls for a tick once, returning whether it was ready.
            async fn poll_once(i: &mut tandem::time::Interval) -> bool {
                std::future::poll_fn(|cx| std::task::Poll::Ready(i.poll_tick(cx).is_ready())).await
            }
            assert!(poll_once(&mut i).await, "the first tick");
            assert!(!poll_once(&mut i).await, "the second one is a period away");
            // Pulled in while registered: ready at once.
            i.reset_immediately();
            assert!(poll_once(&mut i).await);
        });
    });
}
