//! Loom models of parking on the shared driver.

mod loom_worker_park;
