//! How long a task waiting to read waits, after the reactor finds its resource readable, until
//! it is polled and sees the readiness: the scheduling delay of I/O, recorded only with the
//! `io-poll-delay` feature (two clock reads per such event), for diagnosis under load.
//!
//! `ScheduledIo::wake` stamps the resource when it wakes a reader; the reader's next
//! `poll_readiness` that finds the resource readable takes the stamp and records the time since
//! in a process-wide histogram of power-of-two buckets (`record`). One stamp per wake: a reader
//! woken twice before it runs records the later wake, a reader polled twice records once.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Buckets: bucket `i` counts delays in `[2^i, 2^(i+1))` ns (bucket 0 also counts 0 ns); the
/// last, 2^39 ns (~9 minutes) and up.
const BUCKETS: usize = 40;

static HISTOGRAM: [AtomicU64; BUCKETS] = [const { AtomicU64::new(0) }; BUCKETS];
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Now, in nanoseconds since the first stamp of the process; never 0 (0 means "no stamp").
pub(crate) fn stamp() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    (epoch.elapsed().as_nanos() as u64).max(1)
}

/// Records the delay since `stamped` (a value of [`stamp`]).
pub(crate) fn record(stamped: u64) {
    let delay = stamp().saturating_sub(stamped);
    let bucket = (u64::BITS - delay.leading_zeros()).saturating_sub(1) as usize;
    HISTOGRAM[bucket.min(BUCKETS - 1)].fetch_add(1, Relaxed);
}

/// The delays recorded so far in this process, from a readable event's wake-up of a waiting
/// reader to the reader's poll (feature `io-poll-delay`). See [`IoPollDelay`].
pub fn io_poll_delay() -> IoPollDelay {
    IoPollDelay {
        counts: std::array::from_fn(|i| HISTOGRAM[i].load(Relaxed)),
    }
}

/// A snapshot of the readable-to-polled histogram: counts per power-of-two bucket of delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoPollDelay {
    counts: [u64; BUCKETS],
}

impl IoPollDelay {
    /// The number of delays recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The non-empty buckets, as (lower bound, upper bound, count), shortest first.
    pub fn buckets(&self) -> impl Iterator<Item = (Duration, Duration, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
            .map(|(i, &n)| (Self::lower(i), Self::lower(i + 1), n))
    }

    /// The upper bound of the bucket holding quantile `q` (0.0 to 1.0): the true quantile is at
    /// most this, and at least half of it. `None` when nothing was recorded.
    pub fn quantile_upper_bound(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Self::lower(i + 1));
            }
        }
        Some(Self::lower(BUCKETS))
    }

    /// What was recorded since `earlier` (a snapshot taken before).
    pub fn since(&self, earlier: &IoPollDelay) -> IoPollDelay {
        IoPollDelay {
            counts: std::array::from_fn(|i| self.counts[i].saturating_sub(earlier.counts[i])),
        }
    }

    fn lower(bucket: usize) -> Duration {
        Duration::from_nanos(if bucket == 0 { 0 } else { 1 << bucket })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_buckets() {
        let mut counts = [0; BUCKETS];
        counts[10] = 90; // 1,024-2,047 ns
        counts[20] = 10; // ~1-2 ms
        let h = IoPollDelay { counts };
        assert_eq!(h.count(), 100);
        assert_eq!(
            h.quantile_upper_bound(0.5),
            Some(Duration::from_nanos(2048))
        );
        assert_eq!(
            h.quantile_upper_bound(0.9),
            Some(Duration::from_nanos(2048))
        );
        assert_eq!(
            h.quantile_upper_bound(0.91),
            Some(Duration::from_nanos(1 << 21))
        );
        assert_eq!(
            IoPollDelay {
                counts: [0; BUCKETS]
            }
            .quantile_upper_bound(0.5),
            None
        );
        let later = IoPollDelay {
            counts: {
                let mut c = counts;
                c[10] += 5;
                c
            },
        };
        assert_eq!(later.since(&h).count(), 5);
    }

    #[test]
    fn a_record_lands_in_its_power_of_two_bucket() {
        let before = io_poll_delay();
        record(stamp());
        let after = io_poll_delay().since(&before);
        // Other tests of this binary may record at the same time; at least ours is there.
        assert!(after.count() >= 1);
        let (_, upper, _) = after.buckets().next().unwrap();
        assert!(upper <= Duration::from_secs(1), "{upper:?}");
    }
}
