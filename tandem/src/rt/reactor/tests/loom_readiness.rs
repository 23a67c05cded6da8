//! The readiness word: a task's clear of stale readiness never erases a newer event.
//!
//! A fake socket (`bytes`) receives data from a "driver" thread, which then sets readiness with
//! a new tick and wakes, exactly as `reactor::Driver::turn` does. The task follows the
//! edge-triggered discipline of `Registration::poll_io`: wait for readiness, read, and on
//! `WouldBlock` clear the readiness it acted on. If a stale clear could erase the driver's newer
//! readiness, the task would wait forever for an edge that already happened, and loom reports
//! the deadlock.

use crate::rt::reactor::scheduled_io::{Direction, ScheduledIo, Tick};
use crate::rt::reactor::Ready;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use std::future::poll_fn;

fn run(arrivals: usize) {
    loom::model(move || {
        let io = Arc::new(ScheduledIo::new());
        let bytes = Arc::new(AtomicUsize::new(0));

        let driver = {
            let io = io.clone();
            let bytes = bytes.clone();
            thread::spawn(move || {
                for tick in 1..=arrivals as u16 {
                    bytes.fetch_add(1, SeqCst);
                    io.set_readiness(Tick::Set(tick), |curr| curr | Ready::READABLE);
                    io.wake(Ready::READABLE);
                }
            })
        };

        loom::future::block_on(async {
            let mut received = 0;
            while received < arrivals {
                let event = poll_fn(|cx| io.poll_readiness(cx, Direction::Read)).await;
                assert!(!event.is_shutdown);
                match bytes.swap(0, SeqCst) {
                    // WouldBlock: clear what we saw; a newer tick survives the clear.
                    0 => io.clear_readiness(event),
                    n => received += n,
                }
            }
            assert_eq!(received, arrivals);
        });
        driver.join().unwrap();
    });
}

#[test]
fn loom_readiness_one_arrival() {
    run(1);
}

#[test]
fn loom_readiness_two_arrivals_vs_clear() {
    run(2);
}

/// Shutdown wakes a waiting task, which then sees the shutdown flag instead of hanging.
#[test]
fn loom_readiness_shutdown_wakes_waiter() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        let closer = {
            let io = io.clone();
            thread::spawn(move || io.shutdown())
        };
        loom::future::block_on(async {
            let event = poll_fn(|cx| io.poll_readiness(cx, Direction::Write)).await;
            assert!(event.is_shutdown);
        });
        closer.join().unwrap();
    });
}
