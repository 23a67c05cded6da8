//! Loom models of parking on the shared driver.

mod loom_cancel_handoff;
mod loom_worker_park;
