//! The paused clock (current-thread runtime): `sleep`, `timeout`, auto-advance, `advance`,
//! `pause`/`resume`, and `Sleep::reset`, with exact instants. Time only moves when the test
//! says so or when the runtime is idle (auto-advance, which jumps straight to the next
//! deadline), so every instant below is exact and no test waits for real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem::time::{self, advance, sleep, sleep_until, timeout, timeout_at, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tandem::test(start_paused = true)]
async fn sleep_completes_exactly_at_its_deadline() {
    let start = Instant::now();
    assert_eq!(Instant::now(), start, "a paused clock stands still");
    sleep(ms(100)).await;
    assert_eq!(start.elapsed(), ms(100));
    sleep_until(start + ms(250)).await;
    assert_eq!(start.elapsed(), ms(250));
    sleep(Duration::ZERO).await;
    assert_eq!(start.elapsed(), ms(250), "a zero sleep does not move time");
}

#[tandem::test(start_paused = true)]
async fn an_hour_takes_no_real_time() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[tandem::test(start_paused = true)]
async fn sub_millisecond_deadlines_round_up() {
    let start = Instant::now();
    sleep(Duration::from_micros(1_500)).await;
    assert_eq!(start.elapsed(), ms(2), "1.5 ms fires at the 2 ms tick");
}

#[tandem::test(start_paused = true)]
async fn timeout_elapses() {
    let start = Instant::now();
    let res = timeout(ms(50), sleep(ms(100))).await;
    assert!(res.is_err());
    assert_eq!(start.elapsed(), ms(50));
    let err = res.unwrap_err();
    assert_eq!(err.to_string(), "deadline has elapsed");
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);

    let res = timeout_at(start + ms(60), std::future::pending::<()>()).await;
    assert!(res.is_err());
    assert_eq!(start.elapsed(), ms(60));
}

#[tandem::test(start_paused = true)]
async fn timeout_does_not_elapse() {
    let start = Instant::now();
    assert_eq!(
        timeout(ms(100), async {
            sleep(ms(50)).await;
            7
        })
        .await,
        Ok(7)
    );
    assert_eq!(start.elapsed(), ms(50));
    // A ready future wins even with no time at all.
    assert_eq!(timeout(Duration::ZERO, async { 8 }).await, Ok(8));
    // The inner future can be reached and taken back.
    let mut t = timeout(ms(10), async { 9 });
    let _: &_ = t.get_ref();
    let _: &mut _ = t.get_mut();
    assert_eq!(t.into_inner().await, 9);
}

#[tandem::test(start_paused = true)]
async fn auto_advance_wakes_tasks_in_deadline_order() {
    let start = Instant::now();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for d in [300u64, 100, 200, 100, 5000] {
        let log = log.clone();
        tasks.push(tandem::spawn(async move {
            sleep(ms(d)).await;
            log.lock().unwrap().push((d, start.elapsed()));
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let log = log.lock().unwrap();
    let expected: Vec<(u64, Duration)> = [100, 100, 200, 300, 5000]
        .iter()
        .map(|&d| (d, ms(d)))
        .collect();
    assert_eq!(*log, expected);
}

#[tandem::test(start_paused = true)]
async fn advance_moves_time_and_fires_what_is_due() {
    let start = Instant::now();
    advance(ms(10)).await;
    assert_eq!(start.elapsed(), ms(10));

    let s = sleep(ms(5));
    tandem::pin!(s);
    assert!(futures::poll!(s.as_mut()).is_pending());
    advance(ms(3)).await;
    assert!(futures::poll!(s.as_mut()).is_pending(), "3 of 5 ms");
    assert!(!s.is_elapsed());
    advance(ms(2)).await;
    assert!(s.is_elapsed(), "the advance fired it");
    assert!(futures::poll!(s.as_mut()).is_ready());
    assert_eq!(start.elapsed(), ms(15));

    // Sub-millisecond advances add up.
    advance(Duration::from_micros(400)).await;
    advance(Duration::from_micros(600)).await;
    assert_eq!(start.elapsed(), ms(16));
}

#[tandem::test(start_paused = true)]
async fn a_task_sleeping_past_an_advance_wakes_then() {
    let start = Instant::now();
    let sleeper = tandem::spawn(async move {
        sleep(ms(30)).await;
        start.elapsed()
    });
    tandem::task::yield_now().await; // let it register
    advance(ms(40)).await;
    assert_eq!(
        sleeper.await.unwrap(),
        ms(40),
        "woken at the advanced-to instant"
    );
}

#[tandem::test]
async fn pause_and_resume_a_running_clock() {
    time::pause();
    let paused_at = Instant::now();
    std::thread::sleep(ms(5));
    assert_eq!(Instant::now(), paused_at, "paused: real time does not show");
    advance(ms(100)).await;
    assert_eq!(paused_at.elapsed(), ms(100));
    time::resume();
    std::thread::sleep(ms(2));
    let elapsed = paused_at.elapsed();
    assert!(
        elapsed >= ms(102),
        "resumed from where it stood, then runs: {elapsed:?}"
    );
    // Timers keep working on the resumed clock.
    let before = Instant::now();
    sleep(ms(3)).await;
    assert!(before.elapsed() >= ms(3));
}

#[tandem::test(start_paused = true)]
async fn sleep_reset() {
    let start = Instant::now();
    let s = sleep(ms(100));
    tandem::pin!(s);
    assert_eq!(s.deadline(), start + ms(100));
    assert!(futures::poll!(s.as_mut()).is_pending());

    // Later.
    s.as_mut().reset(start + ms(200));
    assert_eq!(s.deadline(), start + ms(200));
    s.as_mut().await;
    assert_eq!(start.elapsed(), ms(200));
    assert!(s.is_elapsed());

    // Again after completing.
    s.as_mut().reset(start + ms(250));
    assert!(!s.is_elapsed());
    s.as_mut().await;
    assert_eq!(start.elapsed(), ms(250));

    // Earlier than first registered.
    s.as_mut().reset(start + ms(1000));
    assert!(futures::poll!(s.as_mut()).is_pending());
    s.as_mut().reset(start + ms(300));
    s.as_mut().await;
    assert_eq!(start.elapsed(), ms(300));

    // Into the past: ready at once.
    s.as_mut().reset(start);
    assert!(futures::poll!(s.as_mut()).is_ready());
    assert_eq!(start.elapsed(), ms(300));
}

#[tandem::test(start_paused = true)]
async fn a_reset_sleep_wakes_its_task_without_being_polled() {
    let start = Instant::now();
    let (tx, rx) = tandem::sync::oneshot::channel::<()>();
    let task = tandem::spawn(async move {
        let s = sleep(ms(1000));
        tandem::pin!(s);
        let mut rx = rx;
        tandem::select! {
            _ = &mut rx => {
                // Pulled in while registered; the select below polls it again anyway.
                s.as_mut().reset(start + ms(20));
            }
            _ = s.as_mut() => panic!("not yet"),
        }
        s.await;
        start.elapsed()
    });
    sleep(ms(10)).await;
    tx.send(()).unwrap();
    assert_eq!(task.await.unwrap(), ms(20));
}

/// A blocking task holds the paused clock: `timeout` around it does not elapse by auto-advance
/// while it runs (the runtime is waiting for it, not idle).
#[tandem::test(start_paused = true)]
async fn blocking_task_inhibits_auto_advance() {
    let work = tandem::task::spawn_blocking(|| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        7
    });
    let out = tandem::time::timeout(std::time::Duration::from_secs(1), work)
        .await
        .expect("the paused clock jumped past a running blocking task");
    assert_eq!(out.unwrap(), 7);
}
