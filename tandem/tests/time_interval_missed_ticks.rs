//! `Interval` on a paused clock: the first tick is immediate, and each `MissedTickBehavior`
//! delivers missed ticks at exact instants. The task "is busy" by advancing the clock past
//! ticks without ticking (`advance` does not wait for timers).

use std::time::Duration;
use tandem::time::{advance, interval, interval_at, Instant, MissedTickBehavior};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Ticks once, returning (scheduled instant, clock at return), both relative to `start`.
async fn tick(i: &mut tandem::time::Interval, start: Instant) -> (Duration, Duration) {
    let scheduled = i.tick().await;
    (scheduled - start, start.elapsed())
}

#[tandem::test(start_paused = true)]
async fn first_tick_is_immediate_then_one_per_period() {
    let start = Instant::now();
    let mut i = interval(ms(10));
    assert_eq!(i.period(), ms(10));
    assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Burst);
    assert_eq!(tick(&mut i, start).await, (ms(0), ms(0)));
    assert_eq!(tick(&mut i, start).await, (ms(10), ms(10)));
    assert_eq!(tick(&mut i, start).await, (ms(20), ms(20)));
}

#[tandem::test(start_paused = true)]
async fn interval_at_starts_later() {
    let start = Instant::now();
    let mut i = interval_at(start + ms(50), ms(10));
    assert_eq!(tick(&mut i, start).await, (ms(50), ms(50)));
    assert_eq!(tick(&mut i, start).await, (ms(60), ms(60)));
}

/// Period 100 ms; ticks due at 0, 100, 200, ...; busy from 0 to 350 ms.
async fn missed(behavior: MissedTickBehavior) -> Vec<(Duration, Duration)> {
    let start = Instant::now();
    let mut i = interval(ms(100));
    i.set_missed_tick_behavior(behavior);
    assert_eq!(i.missed_tick_behavior(), behavior);
    let mut ticks = vec![tick(&mut i, start).await];
    advance(ms(350)).await;
    for _ in 0..5 {
        ticks.push(tick(&mut i, start).await);
    }
    ticks
}

#[tandem::test(start_paused = true)]
async fn burst_catches_up_at_once() {
    let got = missed(MissedTickBehavior::Burst).await;
    let want = [
        (0, 0),
        (100, 350),
        (200, 350),
        (300, 350),
        (400, 400),
        (500, 500),
    ];
    assert_eq!(got, want.map(|(s, a)| (ms(s), ms(a))));
}

#[tandem::test(start_paused = true)]
async fn delay_shifts_the_schedule() {
    let got = missed(MissedTickBehavior::Delay).await;
    let want = [
        (0, 0),
        (100, 350),
        (450, 450),
        (550, 550),
        (650, 650),
        (750, 750),
    ];
    assert_eq!(got, want.map(|(s, a)| (ms(s), ms(a))));
}

#[tandem::test(start_paused = true)]
async fn skip_keeps_the_original_alignment() {
    let got = missed(MissedTickBehavior::Skip).await;
    let want = [
        (0, 0),
        (100, 350),
        (400, 400),
        (500, 500),
        (600, 600),
        (700, 700),
    ];
    assert_eq!(got, want.map(|(s, a)| (ms(s), ms(a))));
}

#[tandem::test(start_paused = true)]
async fn a_tick_within_five_ms_is_not_missed() {
    let start = Instant::now();
    let mut i = interval(ms(100));
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick(&mut i, start).await;
    advance(ms(104)).await;
    assert_eq!(tick(&mut i, start).await, (ms(100), ms(104)));
    // On schedule, not delayed to 204.
    assert_eq!(tick(&mut i, start).await, (ms(200), ms(200)));
}

#[tandem::test(start_paused = true)]
async fn resets() {
    let start = Instant::now();
    let mut i = interval(ms(100));
    tick(&mut i, start).await;
    advance(ms(30)).await;
    i.reset();
    assert_eq!(tick(&mut i, start).await, (ms(130), ms(130)));
    i.reset_immediately();
    assert_eq!(tick(&mut i, start).await, (ms(130), ms(130)));
    i.reset_after(ms(7));
    assert_eq!(tick(&mut i, start).await, (ms(137), ms(137)));
    i.reset_at(start + ms(500));
    assert_eq!(tick(&mut i, start).await, (ms(500), ms(500)));
    assert_eq!(tick(&mut i, start).await, (ms(600), ms(600)));
}
