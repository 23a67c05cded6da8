//! 100,000 timers with random deadlines within a second; half are cancelled (dropped) at random
//! points: before their first poll, right after registering, or when an earlier timer fires (a
//! race the cancelled timer may win only if both are due: timers due together complete in no
//! particular order). Every other timer fires (counted exactly), and none, kept or raced,
//! completes before its deadline. Runs on every flavour.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use support::each_flavor;
use tandem::time::{sleep_until, Instant};

const TIMERS: usize = 100_000;
const SPREAD_MS: u64 = 1_000;

/// xorshift64*: deterministic per seed, so a failure can be replayed.
struct Rand(u64);

impl Rand {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % n
    }
}

#[derive(Default)]
struct Counts {
    fired: AtomicUsize,
    early: AtomicUsize,
    cancelled: AtomicUsize,
    /// Cancellation races the timer won (both were due).
    raced: AtomicUsize,
}

#[test]
fn half_cancelled_the_rest_fire_on_time() {
    each_flavor(|flavor, rt| {
        let counts = Arc::new(Counts::default());
        let mut rand = Rand(0x1234_5678_9abc_def1 ^ flavor.worker_count() as u64);
        let mut kept = 0;
        rt.block_on(async {
            let start = Instant::now();
            let mut tasks = Vec::with_capacity(TIMERS);
            for i in 0..TIMERS {
                let deadline = start + Duration::from_micros(rand.below(SPREAD_MS * 1000));
                let counts = counts.clone();
                let mode = if i % 2 == 0 { 0 } else { 1 + rand.below(3) };
                let cancel_at = start + Duration::from_micros(rand.below(SPREAD_MS * 1000));
                if mode == 0 {
                    kept += 1;
                }
                tasks.push(tandem::spawn(async move {
                    let timer = sleep_until(deadline);
                    tandem::pin!(timer);
                    match mode {
                        0 => {
                            timer.await;
                            if Instant::now() < deadline {
                                counts.early.fetch_add(1, Relaxed);
                            }
                            counts.fired.fetch_add(1, Relaxed);
                            return;
                        }
                        // Dropped before its first poll: never registered.
                        1 => {}
                        // Registered (unless already due), then dropped.
                        2 => {
                            let _ = futures::poll!(timer.as_mut());
                            tandem::task::yield_now().await;
                        }
                        // Dropped at a random instant up to its deadline, while registered.
                        _ => {
                            let cancel_at = cancel_at.min(deadline);
                            tandem::select! {
                                biased;
                                _ = sleep_until(cancel_at) => {}
                                _ = &mut timer => {
                                    if Instant::now() < deadline {
                                        counts.early.fetch_add(1, Relaxed);
                                    }
                                    counts.raced.fetch_add(1, Relaxed);
                                    return;
                                }
                            }
                        }
                    }
                    counts.cancelled.fetch_add(1, Relaxed);
                }));
            }
            for task in tasks {
                task.await.expect("a timer task failed");
            }
        });
        assert_eq!(counts.early.load(Relaxed), 0, "timers fired early");
        assert_eq!(
            counts.fired.load(Relaxed),
            kept,
            "not every kept timer fired"
        );
        assert_eq!(
            counts.cancelled.load(Relaxed) + counts.raced.load(Relaxed),
            TIMERS - kept
        );
        // Races are rare (the two deadlines must share a millisecond and be fired apart).
        assert!(counts.raced.load(Relaxed) < (TIMERS - kept) / 10);
    });
}
