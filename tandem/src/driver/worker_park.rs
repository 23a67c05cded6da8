//! How a multi-thread worker sleeps: in the shared driver if it can take it, else on its own
//! condition variable.
//!
//! `state` is EMPTY, PARKED_CONDVAR, PARKED_DRIVER or NOTIFIED. `unpark` swaps in NOTIFIED and
//! then wakes the sleeper the way it sleeps: a condvar signal (under the mutex, so it cannot fall
//! between the sleeper's check and its wait) or a driver unpark (the eventfd, which `epoll_wait`
//! sees even if it has not started yet). A NOTIFIED left behind makes the next park return at once.

use super::{Driver, Handle};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};
use crate::util::try_lock::TryLock;
use std::sync::Arc;
use std::time::Duration;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// The driver and its handles, shared by all workers of a runtime.
pub(crate) struct SharedDriver {
    driver: TryLock<Driver>,
    pub(crate) handle: Handle,
}

pub(crate) struct WorkerParker {
    inner: Arc<Inner>,
    /// I/O events this worker takes per turn of the driver: the free slots of its run queue
    /// (`set_max_events`), so that no event overflows it (see `reactor/mod.rs`).
    max_events: usize,
}

#[derive(Clone)]
pub(crate) struct WorkerUnparker {
    inner: Arc<Inner>,
}

struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    shared: Arc<SharedDriver>,
}

impl SharedDriver {
    pub(crate) fn new(driver: Driver, handle: Handle) -> Arc<SharedDriver> {
        Arc::new(SharedDriver {
            driver: TryLock::new(driver),
            handle,
        })
    }

    /// Runtime shutdown, once no worker parks any more.
    pub(crate) fn shutdown(&self) {
        // Every worker has left its loop, so nobody holds the driver for long (at most a
        // worker's final zero-length poll): retry until we get it.
        while self
            .driver
            .try_with(|driver| driver.shutdown(&self.handle))
            .is_none()
        {
            std::thread::yield_now();
        }
    }
}

impl WorkerParker {
    pub(crate) fn new(shared: Arc<SharedDriver>) -> WorkerParker {
        WorkerParker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
                shared,
            }),
            max_events: usize::MAX,
        }
    }

    /// How many I/O events the next turns of the driver by this worker may dispatch.
    pub(crate) fn set_max_events(&mut self, max_events: usize) {
        self.max_events = max_events;
    }

    pub(crate) fn unparker(&self) -> WorkerUnparker {
        WorkerUnparker {
            inner: self.inner.clone(),
        }
    }

    /// Sleeps until unparked (possibly before this call). May return spuriously.
    pub(crate) fn park(&mut self) {
        let inner = &*self.inner;
        // SeqCst: all transitions of `state` are SeqCst so they order with `unpark`'s swap.
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if inner
            .shared
            .driver
            .try_with(|driver| inner.park_driver(driver, self.max_events))
            .is_none()
        {
            inner.park_condvar();
        }
    }

    /// Collects ready I/O events and due timers without sleeping, if no other worker holds the
    /// driver.
    pub(crate) fn poll_driver(&mut self) {
        let handle = &self.inner.shared.handle;
        let _ = self
            .inner
            .shared
            .driver
            .try_with(|driver| driver.park_timeout(handle, Duration::ZERO, self.max_events));
    }
}

impl Inner {
    fn park_driver(&self, driver: &mut Driver, max_events: usize) {
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state: {actual}"),
        }
        driver.park(&self.shared.handle, max_events);
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED | PARKED_DRIVER => {}
            actual => unreachable!("inconsistent park state: {actual}"),
        }
    }

    fn park_condvar(&self) {
        let mut guard = self.mutex.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state: {actual}"),
        }
        loop {
            guard = self.condvar.wait(guard);
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

impl WorkerUnparker {
    pub(crate) fn unpark(&self) {
        let inner = &*self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the lock orders this signal after the sleeper's wait began.
                drop(inner.mutex.lock());
                inner.condvar.notify_one();
            }
            PARKED_DRIVER => inner.shared.handle.unpark(),
            actual => unreachable!("inconsistent park state: {actual}"),
        }
    }
}
