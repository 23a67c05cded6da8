//! The reader-writer lock's tests: behaviour without a runtime (`unit.rs`), and the loom
//! model of readers and a writer on several threads (`loom_rwlock.rs`).

#[cfg(not(loom))]
mod unit;

#[cfg(loom)]
mod loom_rwlock;
