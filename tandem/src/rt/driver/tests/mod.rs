//! Loom models of parking: the protocol both parkers share, and workers on the shared driver.

mod loom_cancel_handoff;
mod loom_park_state;
mod loom_worker_park;

use crate::rt::driver::{Cfg, Driver, SharedDriver};

/// A runtime's shared driver without I/O or time: its sleep is loom's condition variable
/// standing in for `epoll_wait`. Also the scheduler's models' driver.
pub(crate) fn shared_driver() -> std::sync::Arc<SharedDriver> {
    let (driver, handle) = Driver::new(Cfg {
        enable_io: false,
        enable_time: false,
        start_paused: false,
        uring_mode: crate::rt::uring::UringMode::Off,
        fs_nowait_first: false,
        worker_rings: 0,
        net_bufs: None,
    })
    .expect("an I/O-less driver cannot fail");
    SharedDriver::new(driver, handle)
}
