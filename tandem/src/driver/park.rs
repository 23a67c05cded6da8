//! Putting a worker thread to sleep and waking it, with no lost wake-ups.
//!
//! `state` is EMPTY, PARKED or NOTIFIED. `unpark` swaps in NOTIFIED and, only if the thread was
//! PARKED, takes the mutex before signalling: the sleeper moved to PARKED while holding that
//! mutex, so the signal cannot fall between its check and its wait. A NOTIFIED left behind makes
//! the next `park` return at once.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};
use std::sync::Arc;
use std::time::Duration;

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

pub(crate) struct Parker {
    inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
            }),
        }
    }

    /// A `Waker` that unparks this parker.
    pub(crate) fn waker(&self) -> std::task::Waker {
        std::task::Waker::from(Arc::clone(&self.inner))
    }

    /// `park` through a shared reference: for a thread's own `block_on` parker, used only by the
    /// thread that owns it.
    pub(crate) fn park_shared(&self) {
        self.inner.park(None);
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Blocks until `unpark` is called (possibly before this call).
    pub(crate) fn park(&mut self) {
        self.inner.park(None);
    }

    /// As `park`, but returns after `timeout` at the latest. A zero timeout only consumes a
    /// pending notification.
    pub(crate) fn park_timeout(&mut self, timeout: Duration) {
        if timeout.is_zero() {
            self.take_notification();
            return;
        }
        self.inner.park(Some(timeout));
    }

    /// Consumes a pending notification without sleeping. Returns true if there was one.
    pub(crate) fn take_notification(&mut self) -> bool {
        // SeqCst: pairs with `unpark`'s swap.
        self.inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
    }
}

impl Inner {
    fn park(&self, timeout: Option<Duration>) {
        // Fast path: a notification is already there.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = self.mutex.lock();
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // Notified between the fast path and the lock.
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state: {actual}"),
        }
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            guard = match deadline {
                None => self.condvar.wait(guard),
                Some(deadline) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        // Timed out: leave PARKED unless a notification raced in.
                        match self.state.swap(EMPTY, SeqCst) {
                            NOTIFIED | PARKED => return,
                            actual => unreachable!("inconsistent park state: {actual}"),
                        }
                    }
                    self.condvar.wait_timeout(guard, deadline - now).0
                }
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wake-up: keep waiting.
        }
    }
}

impl std::task::Wake for Inner {
    fn wake(self: Arc<Self>) {
        self.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.unpark();
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        self.inner.unpark();
    }
}

impl Inner {
    fn unpark(&self) {
        // SeqCst: pairs with the transitions in `park`.
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders this signal after the sleeper's wait began.
                drop(self.mutex.lock());
                self.condvar.notify_one();
            }
            actual => unreachable!("inconsistent park state: {actual}"),
        }
    }
}
