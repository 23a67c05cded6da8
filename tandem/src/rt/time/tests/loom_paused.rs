//! Loom models of the paused clock's wake-ups: the driver's idle park (steps 1 to 3 of "Paused
//! clock" in the module docs) racing what lets it jump again, or what it must run first.
//!
//! The driver's sleep is modelled by a sticky flag: `unpark` sets it, the zero-timeout
//! collection of step 2 consumes it, and a driver that decided to sleep with no deadline is
//! woken iff the flag is set when every other thread is done.

use super::CountWaker;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::rt::time::TimeHandle;
use crate::rt::time::TimerEntry;
use std::task::Context;
use std::time::Duration;

/// What the driver's idle park decided.
#[derive(Debug, PartialEq)]
enum Park {
    /// Step 2 found an unpark: back to the scheduler, the clock where it stands.
    Collected,
    /// Step 3: the clock jumped to the next deadline.
    Jumped,
    /// It sleeps with no deadline, until unparked.
    Sleeps,
}

/// The driver's idle park with a paused clock, as `driver/mod.rs::park_internal` does it.
fn idle_park(handle: &TimeHandle, unparked: &AtomicBool) -> Park {
    // Step 1.
    if !handle.is_paused() {
        return Park::Sleeps;
    }
    // Step 2: the zero-timeout turn consumes a pending unpark.
    if unparked.swap(false, SeqCst) {
        return Park::Collected;
    }
    // Step 3.
    if handle.advance_to_next_deadline() {
        Park::Jumped
    } else {
        Park::Sleeps
    }
}

/// A paused handle whose unpark sets the returned flag, with one timer pending (so the driver
/// has somewhere to jump) and one blocking task inhibiting auto-advance.
fn paused_with_blocking_task() -> (TimeHandle, Arc<AtomicBool>, TimerEntry) {
    let unparked = Arc::new(AtomicBool::new(false));
    let flag = unparked.clone();
    let handle = TimeHandle::with_unpark(true, 1, move || flag.store(true, SeqCst));
    let (_, waker) = CountWaker::new();
    let mut timer = TimerEntry::new(handle.clone(), handle.now() + Duration::from_secs(15));
    assert!(timer
        .poll_elapsed(&mut Context::from_waker(&waker))
        .is_pending());
    handle.inhibit_auto_advance();
    // The registration unparked the driver; that unpark has been consumed.
    unparked.store(false, SeqCst);
    (handle, unparked, timer)
}

/// A blocking task nobody awaits ends while the driver parks: either the driver sees
/// auto-advance allowed and jumps (or collects the end's unpark), or it sleeps and the end
/// unparks it. Never asleep for good.
#[test]
fn loom_blocking_task_end_races_idle_park() {
    loom::model(|| {
        let (handle, unparked, timer) = paused_with_blocking_task();
        let blocking = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.allow_auto_advance())
        };
        let park = idle_park(&handle, &unparked);
        blocking.join().unwrap();
        if park == Park::Sleeps {
            assert!(
                unparked.load(SeqCst),
                "the driver sleeps with no deadline and nobody will wake it"
            );
        }
        drop(timer);
    });
}

/// A blocking task wakes a task (its `JoinHandle`'s waker: a remote schedule, which unparks),
/// then is released: the driver never jumps the clock before that task has run, because the
/// wake comes before the release and step 2 comes after step 1.
#[test]
fn loom_wake_before_release_runs_before_the_jump() {
    loom::model(|| {
        let (handle, unparked, timer) = paused_with_blocking_task();
        let blocking = {
            let handle = handle.clone();
            let unparked = unparked.clone();
            loom::thread::spawn(move || {
                // The joiner's wake: the task goes to the injection queue, the driver is
                // unparked.
                unparked.store(true, SeqCst);
                // `BlockingSchedule::release`.
                handle.allow_auto_advance();
            })
        };
        let park = idle_park(&handle, &unparked);
        blocking.join().unwrap();
        assert_ne!(
            park,
            Park::Jumped,
            "the clock jumped before the woken task ran"
        );
        if park == Park::Sleeps {
            assert!(unparked.load(SeqCst), "asleep for good");
        }
        drop(timer);
    });
}

/// A paused driver with no timer at all sleeps with no deadline; a timer registered meanwhile
/// (from another thread) is either seen by it (it jumps) or unparks it. Before the race, an
/// earlier timer fired, so the tick the driver last recorded is stale and low: a registration
/// comparing against it alone would not unpark.
#[test]
fn loom_register_races_paused_idle_park() {
    loom::model(|| {
        let unparked = Arc::new(AtomicBool::new(false));
        let flag = unparked.clone();
        let handle = TimeHandle::with_unpark(true, 1, move || flag.store(true, SeqCst));
        let (_, waker) = CountWaker::new();
        let mut earlier = TimerEntry::new(handle.clone(), handle.now() + Duration::from_millis(1));
        assert!(earlier
            .poll_elapsed(&mut Context::from_waker(&waker))
            .is_pending());
        assert!(handle.advance_to_next_deadline());
        handle.process();
        assert!(earlier.is_elapsed());
        unparked.store(false, SeqCst);

        let registrar = {
            let handle = handle.clone();
            loom::thread::spawn(move || {
                let (_, waker) = CountWaker::new();
                let deadline = handle.now() + Duration::from_secs(1);
                let mut entry = TimerEntry::new(handle, deadline);
                assert!(entry
                    .poll_elapsed(&mut Context::from_waker(&waker))
                    .is_pending());
                entry
            })
        };
        let jumped = handle.advance_to_next_deadline();
        let entry = registrar.join().unwrap();
        assert!(
            jumped || unparked.load(SeqCst),
            "the driver sleeps with no deadline past the new timer, and was not unparked"
        );
        drop(entry);
    });
}
