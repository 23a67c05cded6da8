//! Loom models of the races between a `TimerEntry` and the driver.

use super::CountWaker;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::time::entry::TimerEntry;
use crate::time::Handle;
use std::task::{Context, Poll};
use std::time::Duration;

/// A handle with a paused clock (no real time in a model) and one shard.
fn paused() -> Handle {
    Handle::with_unpark(true, 1, || {})
}

/// Dropping a registered `Sleep` while the driver fires it: the entry leaves the wheel exactly
/// once, and every `Arc` is freed (loom reports a leaked one).
#[test]
fn loom_cancel_races_fire() {
    loom::model(|| {
        let handle = paused();
        let (_, waker) = CountWaker::new();
        let mut entry = TimerEntry::new(handle.clone(), handle.now() + Duration::from_millis(1));
        assert!(entry
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        handle.clock().advance(Duration::from_millis(1)).unwrap();
        let driver = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.process())
        };
        drop(entry);
        driver.join().unwrap();
        assert_eq!(handle.timer_count(), 0);
    });
}

/// Polling a registered `Sleep` while the driver fires it: either the poll sees it fired, or
/// the waker is woken (so a later poll sees it). No lost wake-up.
#[test]
fn loom_poll_races_fire() {
    loom::model(|| {
        let handle = paused();
        let (count, waker) = CountWaker::new();
        let mut entry = TimerEntry::new(handle.clone(), handle.now() + Duration::from_millis(1));
        let mut cx = Context::from_waker(&waker);
        assert!(entry.poll_elapsed(&mut cx).is_pending());
        handle.clock().advance(Duration::from_millis(1)).unwrap();
        let driver = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.process())
        };
        let first = entry.poll_elapsed(&mut cx);
        driver.join().unwrap();
        if first.is_pending() {
            assert_eq!(count.count(), 1, "pending, so the fire must wake");
        }
        assert!(matches!(entry.poll_elapsed(&mut cx), Poll::Ready(Ok(()))));
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
        let handle = Handle::with_unpark(true, 1, move || flag.store(true, SeqCst));
        let (_, waker) = CountWaker::new();
        let mut earlier = TimerEntry::new(handle.clone(), handle.now() + Duration::from_millis(1));
        assert!(earlier
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        assert_eq!(handle.next_wake_tick(), 1);
        handle.clock().advance(Duration::from_millis(1)).unwrap();
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
