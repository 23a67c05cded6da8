//! The semaphore's tests: behaviour without a runtime (`unit.rs`), and the loom models of the
//! permit word's protocol with the wait list (`loom_semaphore.rs`).

#[cfg(not(loom))]
mod unit;

#[cfg(loom)]
mod loom_semaphore;
