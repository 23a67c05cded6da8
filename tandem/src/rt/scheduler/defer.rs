//! Deferred wake-ups for `yield_now`.
//!
//! A yielding task is not rescheduled at once: its waker is kept here and woken when the worker
//! has nothing else to run (before it would park) and at every driver check. Until then the
//! worker's local queue can run dry, which is what lets it take batches from the injection
//! queue. Without this, workers full of yielding tasks would admit one remote task per
//! `global_queue_interval` ticks.

use std::cell::RefCell;
use std::task::Waker;

#[derive(Default)]
pub(crate) struct Defer {
    deferred: RefCell<Vec<Waker>>,
    /// The vector of the last batch woken, emptied, kept for the next swap: a worker full of
    /// yielding tasks defers and wakes a batch per tick, and would otherwise regrow a vector
    /// from nothing each time.
    spare: RefCell<Vec<Waker>>,
}

impl Defer {
    pub(crate) fn defer(&self, waker: &Waker) {
        // A task that yields twice before being woken needs one wake-up.
        if (self.deferred.borrow().last()).is_some_and(|last| last.will_wake(waker)) {
            return;
        }
        // Cloned with no borrow held: a waker's `clone` is foreign code, which may yield too.
        let waker = waker.clone();
        self.deferred.borrow_mut().push(waker);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.deferred.borrow().is_empty()
    }

    /// Wakes every deferred task. Wakers run without the borrow held: waking schedules, which
    /// may defer again.
    pub(crate) fn wake(&self) {
        loop {
            let mut batch = self.spare.take();
            std::mem::swap(&mut batch, &mut *self.deferred.borrow_mut());
            if batch.is_empty() {
                self.spare.replace(batch);
                return;
            }
            for waker in batch.drain(..) {
                waker.wake();
            }
            self.spare.replace(batch);
        }
    }
}
