//! How a multi-thread worker sleeps: in the shared driver if it can take it, else on its own
//! condition variable.
//!
//! The protocol (EMPTY, PARKED_CONDVAR, PARKED_DRIVER, NOTIFIED) is `park_state.rs`'s: an
//! unpark wakes the sleeper the way it sleeps, a condvar signal or a driver unpark. A NOTIFIED
//! left behind makes the next park return at once.

use super::park_state::{ParkState, Unparked};
use super::{Driver, DriverHandle, TurnLimits};
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
    /// The tasks this worker's turns of the driver may wake (`set_limits`).
    limits: TurnLimits,
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
            limits: TurnLimits::both(usize::MAX),
        }
    }

    /// How many tasks the next turns of the driver by this worker may wake.
    pub(crate) fn set_limits(&mut self, limits: TurnLimits) {
        self.limits = limits;
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
        let limits = self.limits;
        if inner
            .shared
            .driver
            .try_with(|driver| inner.state.park_driver(|| driver.park(handle, limits)))
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
            .try_with(|driver| driver.park_timeout(handle, Duration::ZERO, self.limits));
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
