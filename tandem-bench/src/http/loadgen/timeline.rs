//! Latency over time: a histogram per second of the run, so that a stall (a second with few
//! responses) or an unfair connection (a second whose p99 or max leaps) shows, where the run's
//! one histogram averages them away.
//!
//! Second `i` holds what completed in `[i s, (i + 1) s)` after the word to go. The last second
//! may be shorter (a run of 2.5 s has seconds of 1, 1 and 0.5 s), and it also takes what
//! completed just after the deadline (a thread finishes the events it polled before it stops).
//!
//! The per-second histograms keep 2 significant digits (1%), where the run's keeps 3: enough to
//! draw a line, and 1/8 of the memory, which matters because they are all allocated before the
//! run starts (a 10 s run on 4 threads holds 40 of them), not while it measures.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::MAX_LATENCY_US;

/// Per-second latency histograms and error counts of a run (or of one thread's share of it).
#[derive(Clone)]
pub struct Timeline {
    duration: Duration,
    seconds: Vec<Bucket>,
}

/// What completed in one second.
#[derive(Clone)]
struct Bucket {
    /// Latency of the responses completed in it, in microseconds.
    latency: Histogram<u32>,
    /// Errors counted in it.
    errors: u64,
}

/// One second of a run, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct Second {
    /// Where it starts, from the word to go.
    pub start: Duration,
    /// How long it is: a second, or less for the last one.
    pub length: Duration,
    /// Responses completed in it.
    pub responses: u64,
    /// Errors counted in it (connect, read, write, timeout, non-2xx).
    pub errors: u64,
    /// Median latency of its responses, in ms; NaN without one.
    pub p50_ms: f64,
    /// 99th percentile, in ms; NaN without a response.
    pub p99_ms: f64,
    /// Largest latency, in ms; NaN without a response.
    pub max_ms: f64,
}

impl Second {
    /// Responses per second over its length.
    pub fn rate(&self) -> f64 {
        self.responses as f64 / self.length.as_secs_f64().max(1e-9)
    }
}

impl Timeline {
    /// An empty timeline of a run of `duration`: one bucket per started second.
    pub fn new(duration: Duration) -> Timeline {
        let bucket = Bucket {
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_US, 2)
                .expect("valid histogram bounds"),
            errors: 0,
        };
        Timeline {
            duration,
            seconds: vec![bucket; bucket_count(duration)],
        }
    }

    /// Records a response of `latency_us` completed `at` after the start.
    pub fn record(&mut self, at: Duration, latency_us: u64) {
        let i = bucket_of(at, self.seconds.len());
        self.seconds[i].latency.saturating_record(latency_us.max(1));
    }

    /// Counts an error `at` after the start.
    pub fn error(&mut self, at: Duration) {
        let i = bucket_of(at, self.seconds.len());
        self.seconds[i].errors += 1;
    }

    /// Adds `other`, a timeline of the same run (another thread's).
    pub fn add(&mut self, other: &Timeline) {
        assert_eq!(self.duration, other.duration, "timelines of one run");
        for (mine, theirs) in self.seconds.iter_mut().zip(&other.seconds) {
            mine.latency
                .add(&theirs.latency)
                .expect("histograms with the same bounds add");
            mine.errors += theirs.errors;
        }
    }

    /// Every second, summarised.
    pub fn seconds(&self) -> Vec<Second> {
        self.seconds
            .iter()
            .enumerate()
            .map(|(i, bucket)| {
                let start = Duration::from_secs(i as u64);
                let end = match i + 1 == self.seconds.len() {
                    true => self.duration.max(start),
                    false => start + Duration::from_secs(1),
                };
                let latency = &bucket.latency;
                let ms = |us: u64| match latency.is_empty() {
                    true => f64::NAN,
                    false => us as f64 / 1e3,
                };
                Second {
                    start,
                    length: end - start,
                    responses: latency.len(),
                    errors: bucket.errors,
                    p50_ms: ms(latency.value_at_quantile(0.5)),
                    p99_ms: ms(latency.value_at_quantile(0.99)),
                    max_ms: ms(latency.max()),
                }
            })
            .collect()
    }
}

/// Buckets of a run of `duration`: its seconds, the last one partial; at least one.
fn bucket_count(duration: Duration) -> usize {
    let whole = duration.as_secs() as usize;
    let partial = usize::from(duration.subsec_nanos() > 0);
    (whole + partial).max(1)
}

/// The bucket of what completed `at` after the start: its second, or the last one after it.
fn bucket_of(at: Duration, buckets: usize) -> usize {
    (at.as_secs() as usize).min(buckets - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn a_run_has_one_bucket_per_started_second() {
        assert_eq!(bucket_count(Duration::from_secs(5)), 5);
        assert_eq!(bucket_count(ms(2500)), 3);
        assert_eq!(bucket_count(ms(300)), 1);
        assert_eq!(bucket_count(Duration::ZERO), 1);
        assert_eq!(bucket_of(ms(0), 5), 0);
        assert_eq!(bucket_of(ms(999), 5), 0);
        assert_eq!(bucket_of(ms(1000), 5), 1);
        assert_eq!(bucket_of(ms(4999), 5), 4);
        // Completed after the deadline: the last second.
        assert_eq!(bucket_of(ms(5003), 5), 4);
        assert_eq!(bucket_of(ms(60_000), 5), 4);
    }

    #[test]
    fn seconds_have_their_own_percentiles_and_the_last_is_partial() {
        let mut timeline = Timeline::new(ms(2500));
        // Second 0: 99 responses of 1 ms and one of 50 ms, which only the max shows.
        for _ in 0..99 {
            timeline.record(ms(100), 1_000);
        }
        timeline.record(ms(900), 50_000);
        // Second 1: nothing (a stall), two errors.
        timeline.error(ms(1200));
        timeline.error(ms(1999));
        // Second 2, half a second long: 10 responses, one completed after the deadline.
        for i in 0..10 {
            timeline.record(ms(2100 + i * 50), 2_000 + i * 100);
        }
        let seconds = timeline.seconds();
        assert_eq!(seconds.len(), 3);

        let first = &seconds[0];
        assert_eq!((first.start, first.length), (ms(0), ms(1000)));
        assert_eq!((first.responses, first.errors), (100, 0));
        assert!((first.p50_ms - 1.0).abs() < 0.01, "{first:?}");
        assert!((first.p99_ms - 1.0).abs() < 0.01, "{first:?}");
        assert!((first.max_ms - 50.0).abs() < 0.5, "{first:?}");
        assert_eq!(first.rate(), 100.0);

        let stall = &seconds[1];
        assert_eq!((stall.responses, stall.errors), (0, 2));
        assert!(stall.p50_ms.is_nan() && stall.p99_ms.is_nan() && stall.max_ms.is_nan());
        assert_eq!(stall.rate(), 0.0);

        let last = &seconds[2];
        assert_eq!((last.start, last.length), (ms(2000), ms(500)));
        assert_eq!(last.responses, 10);
        assert_eq!(last.rate(), 20.0);
        // 2.0, 2.1, ..., 2.9 ms: the median is the fifth, p99 and max the last (1% precision).
        assert!((last.p50_ms - 2.4).abs() < 0.03, "{last:?}");
        assert!((last.p99_ms - 2.9).abs() < 0.03, "{last:?}");
        assert!((last.max_ms - 2.9).abs() < 0.03, "{last:?}");
    }

    #[test]
    fn threads_timelines_add_second_by_second() {
        let mut a = Timeline::new(ms(2000));
        let mut b = Timeline::new(ms(2000));
        a.record(ms(10), 1_000);
        b.record(ms(20), 3_000);
        b.record(ms(1500), 7_000);
        b.error(ms(1500));
        a.add(&b);
        let seconds = a.seconds();
        assert_eq!(
            seconds.iter().map(|s| s.responses).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(seconds.iter().map(|s| s.errors).collect::<Vec<_>>(), [0, 1]);
        assert!((seconds[0].max_ms - 3.0).abs() < 0.03);
        assert!((seconds[1].p50_ms - 7.0).abs() < 0.07);
    }
}
