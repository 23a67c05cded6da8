//! Loom models of the races between a `TimerEntry` and the driver.

use super::CountWaker;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::rt::time::TimeHandle;
use crate::rt::time::{Shutdown, TimerEntry};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The start of the fire races: a handle with a paused clock (no real time in a model) and one
/// shard, a timer registered for 1 ms with a counting waker, and the clock moved to 1 ms. The
/// caller starts `spawn_process` and races it.
struct DueTimer {
    handle: TimeHandle,
    start: std::time::Instant,
    entry: TimerEntry,
    count: std::sync::Arc<CountWaker>,
    waker: Waker,
}

impl DueTimer {
    fn new() -> DueTimer {
        let handle = TimeHandle::with_unpark(true, 1, || {});
        let (count, waker) = CountWaker::new();
        let start = handle.now();
        let mut entry = TimerEntry::new(handle.clone(), start + ms(1));
        assert!(entry
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        handle.clock().advance(ms(1)).unwrap();
        DueTimer {
            handle,
            start,
            entry,
            count,
            waker,
        }
    }

    /// The driver, on another thread, firing what is due.
    fn spawn_process(&self) -> loom::thread::JoinHandle<()> {
        let handle = self.handle.clone();
        loom::thread::spawn(move || handle.process())
    }

    fn poll(&mut self) -> Poll<Result<(), Shutdown>> {
        self.entry
            .poll_elapsed(&mut Context::from_waker(&self.waker))
    }
}

/// Dropping a registered `Sleep` while the driver fires it: the entry leaves the wheel exactly
/// once, and every waker clone is dropped (loom reports a leaked `Arc`).
#[test]
fn loom_cancel_races_fire() {
    loom::model(|| {
        let timer = DueTimer::new();
        let driver = timer.spawn_process();
        let handle = timer.handle.clone();
        drop(timer);
        driver.join().unwrap();
        assert_eq!(handle.timer_count(), 0);
    });
}

/// Polling a registered `Sleep` while the driver fires it: either the poll sees it fired, or
/// the waker is woken (so a later poll sees it). No lost wake-up.
#[test]
fn loom_poll_races_fire() {
    loom::model(|| {
        let mut timer = DueTimer::new();
        let driver = timer.spawn_process();
        let first = timer.poll();
        driver.join().unwrap();
        if first.is_pending() {
            assert_eq!(timer.count.count(), 1, "pending, so the fire must wake");
        }
        assert!(matches!(timer.poll(), Poll::Ready(Ok(()))));
    });
}

/// A task woken by the fire polls its `Sleep` again while the driver may still be running:
/// that poll must find the timer fired, since no second wake-up will come (the driver
/// publishes `processed` before it wakes anyone).
#[test]
fn loom_poll_after_the_wake_sees_the_fire() {
    loom::model(|| {
        let mut timer = DueTimer::new();
        let driver = timer.spawn_process();
        while timer.count.count() == 0 {
            loom::thread::yield_now();
        }
        assert!(
            matches!(timer.poll(), Poll::Ready(Ok(()))),
            "woken by the fire, yet still pending: the wake-up is lost"
        );
        driver.join().unwrap();
    });
}

/// A timer registered while the driver computes how long to sleep: either the driver's
/// deadline covers it, or it unparks the driver. Before the race, an earlier timer fired, so
/// the tick the driver last slept until is stale and low: a registration comparing against it
/// alone would not unpark.
#[test]
fn loom_register_races_driver_sleep() {
    loom::model(|| {
        let unparked = Arc::new(AtomicBool::new(false));
        let flag = unparked.clone();
        let handle = TimeHandle::with_unpark(true, 1, move || flag.store(true, SeqCst));
        let (_, waker) = CountWaker::new();
        let mut earlier = TimerEntry::new(handle.clone(), handle.now() + ms(1));
        assert!(earlier
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        assert_eq!(handle.next_wake_tick(), 1);
        handle.clock().advance(ms(1)).unwrap();
        handle.process();
        assert!(earlier.is_elapsed());
        unparked.store(false, SeqCst);

        let deadline = handle.now() + Duration::from_secs(3600);
        let tick = handle.tick_of_deadline(deadline);
        let registrar = {
            let handle = handle.clone();
            loom::thread::spawn(move || {
                let (_, waker) = CountWaker::new();
                let mut entry = TimerEntry::new(handle, deadline);
                assert!(entry
                    .poll_elapsed(&mut Context::from_waker(&waker))
                    .is_pending());
                entry
            })
        };
        let sleep_until = handle.next_wake_tick();
        let entry = registrar.join().unwrap();
        assert!(
            sleep_until <= tick || unparked.load(SeqCst),
            "the driver would sleep past the new timer without being unparked"
        );
        drop(entry);
    });
}

/// Moving a registered `Sleep` to a later deadline while the driver fires it: either the fire
/// wins (the task is woken and the next poll registers the new deadline) or the move does (the
/// old deadline never fires); never both, never neither.
#[test]
fn loom_reset_races_fire() {
    loom::model(|| {
        let mut timer = DueTimer::new();
        let driver = timer.spawn_process();
        timer.entry.reset(timer.start + ms(5), true);
        driver.join().unwrap();
        // Whoever won, the sleep now waits for the new deadline, registered once.
        assert!(timer.poll().is_pending());
        assert_eq!(timer.handle.timer_count(), 1);
        assert!(timer.count.count() <= 1);
        timer.handle.clock().advance(ms(4)).unwrap();
        timer.handle.process();
        assert!(matches!(timer.poll(), Poll::Ready(Ok(()))));
        assert_eq!(timer.handle.timer_count(), 0);
    });
}
