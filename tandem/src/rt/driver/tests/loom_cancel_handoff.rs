//! The hand-off of a cancel request to a ring's parked owner (`uring/ring/cancel.rs` `Ring::cancel`,
//! the worker's park loop in `scheduler/multi_thread/worker.rs`): the canceller pushes onto the
//! remote list under its lock, sets `has_remote` (Release) and unparks the owner; the owner,
//! after every wake-up and before sleeping again, drains the list if `has_remote` (Acquire
//! swap) says so. Whenever the cancel is queued relative to the owner's drain and park, the
//! owner pushes it within one wake-up: it never sleeps on a queued cancel (loom reports the
//! deadlock if it could).

use super::shared_driver;
use crate::loom::sync::Mutex;
use crate::rt::driver::WorkerParker;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

struct Remote {
    list: Mutex<Vec<u32>>,
    has_remote: AtomicBool,
}

impl Remote {
    /// The owner's `drain_remote`: what it pushes.
    fn drain(&self) -> Vec<u32> {
        if !self.has_remote.load(Ordering::Acquire)
            || !self.has_remote.swap(false, Ordering::Acquire)
        {
            return Vec::new();
        }
        std::mem::take(&mut *self.list.lock())
    }
}

#[test]
fn loom_a_cancel_reaches_a_parked_owner() {
    loom::model(|| {
        let remote = Arc::new(Remote {
            list: Mutex::new(Vec::new()),
            has_remote: AtomicBool::new(false),
        });
        let mut parker = WorkerParker::new(shared_driver());
        let unparker = parker.unparker();
        let owner = {
            let remote = remote.clone();
            thread::spawn(move || {
                // The worker: drain before parking (`before_park`), then after each wake-up
                // (the park loop) until the cancel is pushed.
                let mut pushed = remote.drain();
                while pushed.is_empty() {
                    parker.park();
                    pushed = remote.drain();
                }
                assert_eq!(pushed, vec![7]);
            })
        };
        // `Ring::cancel` from another thread.
        remote.list.lock().push(7);
        remote.has_remote.store(true, Ordering::Release);
        unparker.unpark();
        owner.join().unwrap();
    });
}
