use super::CountWaker;
use crate::rt::time::TimeHandle;
use crate::rt::time::{Shutdown, TimerEntry};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A handle with a paused clock and `shards` shards, and a counter of its unparks.
fn paused(shards: usize) -> (TimeHandle, Arc<AtomicUsize>) {
    let unparks = Arc::new(AtomicUsize::new(0));
    let count = unparks.clone();
    let handle = TimeHandle::with_unpark(true, shards, move || {
        count.fetch_add(1, SeqCst);
    });
    (handle, unparks)
}

fn poll(entry: &mut TimerEntry, waker: &Waker) -> Poll<Result<(), Shutdown>> {
    entry.poll_elapsed(&mut Context::from_waker(waker))
}

fn is_ready_ok(p: Poll<Result<(), Shutdown>>) -> bool {
    matches!(p, Poll::Ready(Ok(())))
}

/// Advances the paused clock and fires what is due.
fn advance(handle: &TimeHandle, by: Duration) {
    handle.clock().advance(by).unwrap();
    handle.process();
}

#[test]
fn registers_lazily_and_cancels() {
    let (handle, unparks) = paused(1);
    let entry = TimerEntry::new(handle.clone(), handle.now() + ms(10));
    assert_eq!(
        handle.timer_count(),
        0,
        "created, not polled: not registered"
    );
    drop(entry);

    let (_, waker) = CountWaker::new();
    let mut entry = TimerEntry::new(handle.clone(), handle.now() + ms(10));
    assert!(poll(&mut entry, &waker).is_pending());
    assert_eq!(handle.timer_count(), 1);
    assert_eq!(
        unparks.load(SeqCst),
        1,
        "the first timer unparks the driver"
    );
    assert!(poll(&mut entry, &waker).is_pending());
    assert_eq!(
        handle.timer_count(),
        1,
        "a second poll does not register again"
    );
    drop(entry);
    assert_eq!(handle.timer_count(), 0, "dropping cancels");
}

#[test]
fn fires_at_the_deadline_not_before() {
    let (handle, _) = paused(1);
    let (count, waker) = CountWaker::new();
    // A deadline 10.3 ms away fires at tick 11.
    let mut entry = TimerEntry::new(handle.clone(), handle.now() + Duration::from_micros(10_300));
    assert!(poll(&mut entry, &waker).is_pending());
    advance(&handle, ms(10));
    assert_eq!(count.count(), 0);
    assert!(poll(&mut entry, &waker).is_pending());
    assert!(!entry.is_elapsed());
    advance(&handle, Duration::from_micros(300));
    assert_eq!(count.count(), 0, "10.3 ms reached, but tick 11 is not over");
    advance(&handle, Duration::from_micros(700));
    assert_eq!(count.count(), 1);
    assert!(entry.is_elapsed());
    assert!(is_ready_ok(poll(&mut entry, &waker)));
    assert_eq!(handle.timer_count(), 0);
}

#[test]
fn past_deadline_is_ready_without_registering() {
    let (handle, unparks) = paused(1);
    let (_, waker) = CountWaker::new();
    let mut entry = TimerEntry::new(handle.clone(), handle.now());
    assert!(is_ready_ok(poll(&mut entry, &waker)));
    assert!(entry.is_elapsed());
    assert_eq!(handle.timer_count(), 0);
    assert_eq!(unparks.load(SeqCst), 0);
}

#[test]
fn new_waker_registers_again() {
    let (handle, _) = paused(1);
    let (first, waker1) = CountWaker::new();
    let (second, waker2) = CountWaker::new();
    let mut entry = TimerEntry::new(handle.clone(), handle.now() + ms(5));
    assert!(poll(&mut entry, &waker1).is_pending());
    assert!(poll(&mut entry, &waker2).is_pending());
    assert_eq!(handle.timer_count(), 1);
    advance(&handle, ms(5));
    assert_eq!((first.count(), second.count()), (0, 1));
    assert!(is_ready_ok(poll(&mut entry, &waker2)));
}

#[test]
fn reset_moves_a_pending_timer() {
    let (handle, _) = paused(1);
    let (count, waker) = CountWaker::new();
    let start = handle.now();
    let mut entry = TimerEntry::new(handle.clone(), start + ms(5));
    assert!(poll(&mut entry, &waker).is_pending());
    entry.reset(start + ms(100), true);
    assert_eq!(handle.timer_count(), 1);
    advance(&handle, ms(50));
    assert_eq!(count.count(), 0, "the old deadline no longer fires");
    advance(&handle, ms(50));
    assert_eq!(
        count.count(),
        1,
        "woken at the new deadline without a poll in between"
    );
    assert!(is_ready_ok(poll(&mut entry, &waker)));

    // Reset after firing: registered lazily, then fires again.
    entry.reset(handle.now() + ms(10), true);
    assert!(!entry.is_elapsed());
    assert_eq!(handle.timer_count(), 0);
    assert!(poll(&mut entry, &waker).is_pending());
    advance(&handle, ms(10));
    assert_eq!(count.count(), 2);
    assert!(is_ready_ok(poll(&mut entry, &waker)));

    // Reset of a pending timer to the past: completes and wakes at once.
    entry.reset(handle.now() + ms(10), true);
    assert!(poll(&mut entry, &waker).is_pending());
    entry.reset(handle.now(), true);
    assert_eq!(count.count(), 3);
    assert_eq!(handle.timer_count(), 0);
    assert!(is_ready_ok(poll(&mut entry, &waker)));

    // Without re-registration: out of the wheel until polled.
    entry.reset(handle.now() + ms(10), true);
    assert!(poll(&mut entry, &waker).is_pending());
    entry.reset(handle.now() + ms(20), false);
    assert_eq!(handle.timer_count(), 0);
    assert!(poll(&mut entry, &waker).is_pending());
    assert_eq!(handle.timer_count(), 1);
}

#[test]
fn shutdown_fires_everything_and_refuses_new_timers() {
    let (handle, _) = paused(2);
    let (count, waker) = CountWaker::new();
    let mut entries: Vec<TimerEntry> = (1..=10)
        .map(|i| TimerEntry::new(handle.clone(), handle.now() + ms(i * 1000)))
        .collect();
    for entry in &mut entries {
        assert!(poll(entry, &waker).is_pending());
    }
    handle.shutdown();
    assert_eq!(count.count(), 10);
    assert_eq!(handle.timer_count(), 0);
    for entry in &mut entries {
        assert!(matches!(poll(entry, &waker), Poll::Ready(Err(Shutdown))));
    }
    let mut late = TimerEntry::new(handle.clone(), handle.now() + ms(1));
    assert!(matches!(
        poll(&mut late, &waker),
        Poll::Ready(Err(Shutdown))
    ));
    handle.shutdown();
}

#[test]
fn auto_advance_jumps_to_the_exact_deadline() {
    let (handle, _) = paused(1);
    let (count, waker) = CountWaker::new();
    let start = handle.now();
    assert!(handle.is_paused());
    assert!(
        !handle.advance_to_next_deadline(),
        "no timer: nothing to jump to"
    );
    assert_eq!(
        handle.next_deadline(),
        None,
        "a paused clock has no OS deadline"
    );

    // 5000 ms sits in a level-2 slot that starts at 4096 ms: the jump skips the slot start.
    let mut late = TimerEntry::new(handle.clone(), start + ms(5000));
    let mut early = TimerEntry::new(handle.clone(), start + ms(300));
    assert!(poll(&mut late, &waker).is_pending());
    assert!(poll(&mut early, &waker).is_pending());
    assert!(handle.advance_to_next_deadline());
    assert_eq!(handle.now() - start, ms(300));
    handle.process();
    assert_eq!(count.count(), 1);
    assert!(handle.advance_to_next_deadline());
    assert_eq!(handle.now() - start, ms(5000));
    handle.process();
    assert_eq!(count.count(), 2);
    assert!(is_ready_ok(poll(&mut late, &waker)));
    assert!(is_ready_ok(poll(&mut early, &waker)));

    handle.inhibit_auto_advance();
    assert!(!handle.is_paused());
    handle.allow_auto_advance();
    handle.clock().resume().unwrap();
    assert!(!handle.is_paused());
}

#[test]
fn only_an_earlier_deadline_unparks_the_driver() {
    let unparks = Arc::new(AtomicUsize::new(0));
    let count = unparks.clone();
    let handle = TimeHandle::with_unpark(false, 4, move || {
        count.fetch_add(1, SeqCst);
    });
    let (_, waker) = CountWaker::new();
    let now = handle.now();
    let mut a = TimerEntry::new(handle.clone(), now + ms(60_000));
    assert!(poll(&mut a, &waker).is_pending());
    assert_eq!(unparks.load(SeqCst), 1);
    let deadline = handle.next_deadline().expect("a timer is registered");
    assert!(deadline >= Instant::now() + ms(59_000));
    assert!(deadline <= Instant::now() + ms(60_001));

    let mut later = TimerEntry::new(handle.clone(), now + ms(70_000));
    assert!(poll(&mut later, &waker).is_pending());
    assert_eq!(
        unparks.load(SeqCst),
        1,
        "a later deadline lets the driver sleep"
    );

    let mut earlier = TimerEntry::new(handle.clone(), now + ms(30_000));
    assert!(poll(&mut earlier, &waker).is_pending());
    assert_eq!(unparks.load(SeqCst), 2, "an earlier one wakes it");
    let mut between = TimerEntry::new(handle.clone(), now + ms(40_000));
    assert!(poll(&mut between, &waker).is_pending());
    assert_eq!(
        unparks.load(SeqCst),
        2,
        "the driver already wakes by the earlier one"
    );
    drop((a, later, earlier, between));
    assert_eq!(handle.timer_count(), 0);
}

/// Threads register timers with random deadlines (within 100 ms), drop every other one at once
/// or later, and wait for the rest; a driver thread sleeps until `next_deadline` on a condition
/// variable unparked by the handle. Every kept timer fires, none early, and none is lost (a lost
/// unpark would leave the driver asleep until the hang detector fails the test).
#[test]
fn stress_threads_and_a_real_driver() {
    struct Park {
        notified: Mutex<bool>,
        condvar: Condvar,
    }
    let park = Arc::new(Park {
        notified: Mutex::new(false),
        condvar: Condvar::new(),
    });
    let unpark = park.clone();
    let handle = TimeHandle::with_unpark(false, 4, move || {
        *unpark.notified.lock().unwrap() = true;
        unpark.condvar.notify_one();
    });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let driver = {
        let (handle, park, stop) = (handle.clone(), park.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                let deadline = handle.next_deadline();
                let mut notified = park.notified.lock().unwrap();
                while !*notified {
                    let timeout = match deadline {
                        Some(d) => d.saturating_duration_since(Instant::now()),
                        None => ms(10_000),
                    };
                    if timeout.is_zero() {
                        break;
                    }
                    notified = park.condvar.wait_timeout(notified, timeout).unwrap().0;
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                }
                *notified = false;
                drop(notified);
                handle.process();
            }
        })
    };
    const THREADS: usize = 4;
    const PER_THREAD: usize = 2_000;
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = handle.clone();
            std::thread::spawn(move || {
                let rand = crate::util::rand::FastRand::new(t as u64 + 1);
                let (count, waker) = CountWaker::new();
                let mut kept = Vec::new();
                let mut doomed = Vec::new();
                for i in 0..PER_THREAD {
                    let deadline =
                        Instant::now() + Duration::from_micros(rand.below(100_000).into());
                    let mut entry = TimerEntry::new(handle.clone(), deadline);
                    let ready = is_ready_ok(poll(&mut entry, &waker));
                    match (i % 2, ready) {
                        (0, _) => drop(entry),
                        (_, true) => assert!(Instant::now() >= deadline),
                        (_, false) if i % 4 == 1 => doomed.push(entry),
                        (_, false) => kept.push((entry, deadline)),
                    }
                }
                drop(doomed);
                let hang = Instant::now() + ms(20_000);
                for (entry, deadline) in &mut kept {
                    loop {
                        match poll(entry, &waker) {
                            Poll::Ready(Ok(())) => break,
                            Poll::Ready(Err(Shutdown)) => panic!("shut down"),
                            Poll::Pending => {
                                assert!(Instant::now() < hang, "a timer never fired");
                                let seen = count.count();
                                while count.count() == seen && Instant::now() < hang {
                                    std::thread::sleep(Duration::from_micros(200));
                                }
                            }
                        }
                    }
                    assert!(Instant::now() >= *deadline, "fired early");
                }
                kept.len()
            })
        })
        .collect();
    let fired: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(fired > 0);
    stop.store(true, SeqCst);
    *park.notified.lock().unwrap() = true;
    park.condvar.notify_one();
    driver.join().unwrap();
    assert_eq!(handle.timer_count(), 0);
}

#[test]
fn known_due_entries_complete_at_the_first_poll() {
    // A running clock: the tick has certainly not been processed yet.
    let handle = TimeHandle::with_unpark(false, 1, || {});
    let (count, waker) = CountWaker::new();
    let mut entry = TimerEntry::new_due(handle.clone(), handle.now());
    assert!(!entry.is_elapsed(), "not before it is polled");
    assert!(is_ready_ok(poll(&mut entry, &waker)));
    assert!(entry.is_elapsed());
    assert_eq!(handle.timer_count(), 0);

    // Pulled in while registered: leaves the wheel, wakes its task, completes.
    entry.reset(handle.now() + ms(10_000), true);
    assert!(poll(&mut entry, &waker).is_pending());
    assert_eq!(handle.timer_count(), 1);
    entry.reset_due(handle.now());
    assert_eq!(handle.timer_count(), 0);
    assert_eq!(count.count(), 1);
    assert!(is_ready_ok(poll(&mut entry, &waker)));
}
