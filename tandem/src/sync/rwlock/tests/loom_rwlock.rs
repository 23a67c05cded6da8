//! Loom model of the reader-writer lock: a writer and a reader on two threads, through the
//! fast path or the queue; the lock orders the writer's write before or after the read.

use crate::loom::cell::UnsafeCell;
use crate::loom::model::model;
use crate::loom::sync::Arc;
use crate::sync::RwLock;
use loom::future::block_on;
use loom::thread;

/// A value in a loom cell, so that loom checks the accesses the lock orders.
struct Value(UnsafeCell<usize>);

// SAFETY: only touched through the lock's guards (what the model checks).
unsafe impl Sync for Value {}
// SAFETY: as above.
unsafe impl Send for Value {}

/// The writer increments under `write` while a reader reads under `read`, then downgrades
/// and reads again: the reader sees 0 or 1, never a torn access (loom reports a race if the
/// lock does not order them).
#[test]
fn loom_readers_and_a_writer_are_ordered() {
    model(|| {
        let lock = Arc::new(RwLock::with_max_readers(Value(UnsafeCell::new(0)), 2));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || {
                let guard = block_on(lock.write());
                // SAFETY: the write guard holds every permit.
                guard.0.with_mut(|n| unsafe { *n += 1 });
                let read = guard.downgrade();
                // SAFETY: a read guard.
                assert_eq!(read.0.with(|n| unsafe { *n }), 1);
            })
        };
        let seen = {
            let read = block_on(lock.read());
            // SAFETY: a read guard.
            read.0.with(|n| unsafe { *n })
        };
        assert!(seen <= 1);
        writer.join().unwrap();
        assert!(lock.try_write().is_ok(), "every permit is back");
    });
}
