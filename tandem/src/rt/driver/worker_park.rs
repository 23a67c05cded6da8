//! How a multi-thread worker sleeps: in the shared driver if it can take it, else on its own
//! condition variable.
//!
//! The protocol (EMPTY, PARKED_CONDVAR, PARKED_DRIVER, NOTIFIED) is `park_state.rs`'s: an
//! unpark wakes the sleeper the way it sleeps, a condvar signal or a driver unpark. A NOTIFIED
//! left behind makes the next park return at once.

use super::park_state::{ParkState, Unparked};
use super::{Driver, DriverHandle};
use crate::util::try_lock::TryLock;
use std::sync::Arc;
use std::time::Duration;

/// The driver and its handles, shared by all workers of a runtime.
pub(crate) struct SharedDriver {
    driver: TryLock<Driver>,
    pub(crate) handle: DriverHandle,
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
    state: ParkState,
    shared: Arc<SharedDriver>,
}

impl SharedDriver {
    pub(crate) fn new(driver: Driver, handle: DriverHandle) -> Arc<SharedDriver> {
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
                state: ParkState::new(),
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
        if inner.state.take_notification() {
            return;
        }
        let handle = &inner.shared.handle;
        let max_events = self.max_events;
        if inner
            .shared
            .driver
            .try_with(|driver| inner.state.park_driver(|| driver.park(handle, max_events)))
            .is_none()
        {
            inner.state.park_condvar(None);
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

impl WorkerUnparker {
    pub(crate) fn unpark(&self) {
        match self.inner.state.unpark() {
            Unparked::Done => {}
            Unparked::WakeDriver => self.inner.shared.handle.unpark(),
        }
    }
}
