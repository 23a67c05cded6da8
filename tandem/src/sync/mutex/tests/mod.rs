//! The mutex's tests: behaviour without a runtime (`unit.rs`), and the loom model of handing
//! the lock over (`loom_mutex.rs`).

#[cfg(not(loom))]
mod unit;

#[cfg(loom)]
mod loom_mutex;
