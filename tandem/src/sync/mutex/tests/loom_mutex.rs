//! Loom models of the mutex: the lock handed over between threads orders the holders' access
//! to the value, and a lock future dropped while queued never keeps the lock from the others.

use crate::loom::cell::UnsafeCell;
use crate::loom::model::model;
// std's `Arc`: `lock_owned` takes one (loom's is a different type).
use crate::sync::Mutex;
use loom::future::block_on;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Context;

/// A counter in a loom cell, so that loom checks the accesses the mutex orders.
struct Counter(UnsafeCell<usize>);

// SAFETY: only touched through a `Mutex` guard (what the models check).
unsafe impl Sync for Counter {}
// SAFETY: as above.
unsafe impl Send for Counter {}

impl Counter {
    fn increment(&self) {
        // SAFETY: the caller holds the mutex guarding `self`.
        self.0.with_mut(|n| unsafe { *n += 1 });
    }

    fn get(&self) -> usize {
        // SAFETY: the caller holds the mutex guarding `self`.
        self.0.with(|n| unsafe { *n })
    }
}

/// Two threads lock, increment, unlock: fast path or queue, each sees the other's write.
#[test]
fn loom_the_lock_orders_its_holders() {
    model(|| {
        let mutex = Arc::new(Mutex::new(Counter(UnsafeCell::new(0))));
        let other = {
            let mutex = mutex.clone();
            thread::spawn(move || block_on(mutex.lock()).increment())
        };
        block_on(mutex.lock()).increment();
        other.join().unwrap();
        assert_eq!(block_on(mutex.lock()).get(), 2);
    });
}

/// A lock future polled once (maybe queued, maybe holding the lock) and dropped, against a
/// thread that locks: the lock is never lost.
#[test]
fn loom_a_dropped_lock_future_never_keeps_the_lock() {
    model(|| {
        let mutex = Arc::new(Mutex::new(Counter(UnsafeCell::new(0))));
        let dropper = {
            let mutex = mutex.clone();
            thread::spawn(move || {
                let mut lock = pin!(mutex.lock_owned());
                let waker = futures::task::noop_waker();
                if let std::task::Poll::Ready(guard) =
                    lock.as_mut().poll(&mut Context::from_waker(&waker))
                {
                    guard.increment();
                }
            })
        };
        block_on(mutex.lock()).increment();
        dropper.join().unwrap();
        let total = mutex.try_lock().expect("unlocked").get();
        assert!(total == 1 || total == 2);
    });
}
