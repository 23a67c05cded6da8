//! Per-worker counters behind `RuntimeMetrics`: parks, unparks, and the time spent busy.
//!
//! Each worker (the one of a current-thread runtime too) owns one `WorkerMetrics`, written only
//! by the thread that holds the worker's core (the core's hand-offs order those writes), read by
//! anyone. Writes are relaxed loads and stores, not read-modify-writes: one writer needs no
//! lock prefix. They happen only where a thread parks and unparks, where Tokio counts too, and
//! where a core leaves a thread: never per task.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// One worker's counters.
#[derive(Default)]
pub(crate) struct WorkerMetrics {
    park_count: AtomicU64,
    park_unpark_count: AtomicU64,
    busy_nanos: AtomicU64,
}

/// The core's side: since when the worker has been busy.
pub(crate) struct BusyClock {
    since: Instant,
}

impl WorkerMetrics {
    pub(crate) fn park_count(&self) -> u64 {
        self.park_count.load(Relaxed)
    }

    pub(crate) fn park_unpark_count(&self) -> u64 {
        self.park_unpark_count.load(Relaxed)
    }

    pub(crate) fn busy_duration(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Relaxed))
    }

    /// The worker is about to sleep: one more park, and the busy time so far.
    pub(crate) fn about_to_park(&self, clock: &BusyClock) {
        bump(&self.park_count, 1);
        bump(&self.park_unpark_count, 1);
        self.end_busy(clock);
    }

    /// The worker woke up: busy again from now.
    pub(crate) fn unparked(&self, clock: &mut BusyClock) {
        bump(&self.park_unpark_count, 1);
        clock.since = Instant::now();
    }

    /// The core leaves its thread (current-thread `block_on` returns, a worker shuts down):
    /// count the busy time so far, so readers after that see it.
    pub(crate) fn end_busy(&self, clock: &BusyClock) {
        let nanos = u64::try_from(clock.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        bump(&self.busy_nanos, nanos);
    }
}

impl BusyClock {
    pub(crate) fn start() -> BusyClock {
        BusyClock {
            since: Instant::now(),
        }
    }
}

/// Adds `n` to a counter only one thread writes at a time.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).saturating_add(n), Relaxed);
}
