//! Loom models of the semaphore's protocol (`state.rs`): lock-free take and give-back on the
//! permit word against waiters joining, leaving and being served under the lock, and close.
//! A lost wake-up shows as a deadlock; a permit handed over without ordering shows as a race
//! on the data the permit guards.

use crate::loom::cell::UnsafeCell;
use crate::loom::model::model;
use crate::loom::sync::Arc;
use crate::sync::Semaphore;
use loom::future::block_on;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::Context;

/// A semaphore and a counter only permit holders touch.
struct Guarded {
    sem: Semaphore,
    count: UnsafeCell<usize>,
}

// SAFETY: `count` is touched only by the holder of the semaphore's single permit (what the
// models check: loom reports a race if the permit's hand-over does not order the accesses).
unsafe impl Sync for Guarded {}

impl Guarded {
    fn increment(&self) {
        let _permit = block_on(self.sem.acquire()).unwrap();
        // SAFETY: we hold the only permit.
        self.count.with_mut(|count| unsafe { *count += 1 });
    }
}

/// Two tasks take turns through a semaphore of one permit, on the fast path or through the
/// queue: both get in, each sees the other's write.
#[test]
fn loom_a_permit_orders_its_holders() {
    model(|| {
        let guarded = Arc::new(Guarded {
            sem: Semaphore::new(1),
            count: UnsafeCell::new(0),
        });
        let other = {
            let guarded = guarded.clone();
            thread::spawn(move || guarded.increment())
        };
        guarded.increment();
        other.join().unwrap();
        // SAFETY: both holders are done.
        assert_eq!(guarded.count.with(|count| unsafe { *count }), 2);
        assert_eq!(guarded.sem.available_permits(), 1);
    });
}

/// A lock-free give-back racing a task that is joining the queue: the permit reaches it.
#[test]
fn loom_a_release_never_misses_a_joining_waiter() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let adder = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        drop(block_on(sem.acquire()).unwrap());
        adder.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// A waiter for two that collected one leaves: its permit goes to the waiter behind it.
#[test]
fn loom_a_leaving_waiter_passes_on_what_it_collected() {
    model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let leaver = {
            let sem = sem.clone();
            thread::spawn(move || {
                let mut acquire = pin!(sem.acquire_many(2));
                let waker = futures::task::noop_waker();
                assert!(acquire
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending());
            })
        };
        drop(block_on(sem.acquire()).unwrap());
        leaver.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// Close racing a waiter and a give-back: the waiter finishes (served, or failed), and every
/// permit ends up back in the count.
#[test]
fn loom_close_wakes_a_waiter_and_keeps_every_permit() {
    model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || drop(block_on(sem.acquire())))
        };
        let adder = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        sem.close();
        waiter.join().unwrap();
        adder.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.is_closed());
    });
}
