//! Putting a thread to sleep and waking it, with no lost wake-ups: a thread's `block_on`, and
//! the driver's sleep when the runtime has no I/O driver.
//!
//! The protocol (EMPTY, PARKED_CONDVAR, NOTIFIED) is `park_state.rs`'s; this parker only ever
//! sleeps on the condition variable. A NOTIFIED left behind makes the next `park` return at once.

use super::park_state::{ParkState, Unparked};
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Parker {
    inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

struct Inner {
    state: ParkState,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: ParkState::new(),
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
        self.inner.state.take_notification()
    }
}

impl Inner {
    fn park(&self, timeout: Option<Duration>) {
        // Fast path: a notification is already there, so the mutex is not needed.
        if self.state.take_notification() {
            return;
        }
        self.state.park_condvar(timeout);
    }

    fn unpark(&self) {
        match self.state.unpark() {
            Unparked::Done => {}
            Unparked::WakeDriver => unreachable!("a thread parker never sleeps in a driver"),
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
