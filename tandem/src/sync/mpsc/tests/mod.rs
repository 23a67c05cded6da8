//! The channel's tests: scenarios on a runtime, and loom models of its cross-thread protocols.

#[cfg(loom)]
mod loom_bounded;
#[cfg(loom)]
mod loom_queue;
#[cfg(not(loom))]
mod scenarios;
