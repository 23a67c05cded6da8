//! tower 0.5 middleware built on Tokio: `Timeout` (a `tokio::time::Sleep` per call), `Buffer` (a
//! worker task fed through a Tokio mpsc channel and a semaphore) and `RateLimit` (a
//! `tokio::time::Sleep` reset for each window).

mod common;

use std::time::{Duration, Instant};

use common::on_both_flavours;
use tower::{service_fn, BoxError, Service, ServiceBuilder, ServiceExt};

async fn sleep_then_double(ms: u64) -> Result<u64, BoxError> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(ms * 2)
}

#[test]
fn timeout() {
    on_both_flavours("tower timeout", || async {
        let mut svc = ServiceBuilder::new()
            .timeout(Duration::from_millis(200))
            .service(service_fn(sleep_then_double));

        let fast = svc.ready().await.unwrap().call(10).await.unwrap();
        assert_eq!(fast, 20);

        let started = Instant::now();
        let err = svc.ready().await.unwrap().call(3_000).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            err.is::<tower::timeout::error::Elapsed>(),
            "not an Elapsed: {err:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(200),
            "elapsed early: {elapsed:?}"
        );
        assert!(
            elapsed < Duration::from_millis(2_000),
            "elapsed late: {elapsed:?}"
        );
    });
}

#[test]
fn buffer_from_many_tasks() {
    on_both_flavours("tower buffer_from_many_tasks", || async {
        // A bound smaller than the number of callers, so that some of them wait for capacity.
        let svc = ServiceBuilder::new()
            .buffer(4)
            .service(service_fn(|n: u64| async move {
                tokio::task::yield_now().await;
                Ok::<_, BoxError>(n * n)
            }));

        let mut callers = tokio::task::JoinSet::new();
        for n in 0..20u64 {
            let mut svc = svc.clone();
            callers.spawn(async move {
                let squared = svc.ready().await.unwrap().call(n).await.unwrap();
                (n, squared)
            });
        }
        let mut answered = 0;
        while let Some(result) = callers.join_next().await {
            let (n, squared) = result.unwrap();
            assert_eq!(squared, n * n);
            answered += 1;
        }
        assert_eq!(answered, 20);

        // The worker task lives as long as any handle does, not just the first one.
        let mut last = svc.clone();
        drop(svc);
        assert_eq!(last.ready().await.unwrap().call(7).await.unwrap(), 49);
    });
}

#[test]
fn rate_limit() {
    on_both_flavours("tower rate_limit", || async {
        let window = Duration::from_millis(100);
        let mut svc = ServiceBuilder::new()
            .rate_limit(2, window)
            .service(service_fn(|n: u32| async move { Ok::<_, BoxError>(n + 1) }));

        let started = Instant::now();
        for n in 0..6u32 {
            let answer = svc.ready().await.unwrap().call(n).await.unwrap();
            assert_eq!(answer, n + 1);
        }
        // Six calls at two a window need three windows: the first is free, two more must pass.
        let elapsed = started.elapsed();
        assert!(
            elapsed >= 2 * window - Duration::from_millis(10),
            "six calls at two per {window:?} took only {elapsed:?}"
        );
    });
}
