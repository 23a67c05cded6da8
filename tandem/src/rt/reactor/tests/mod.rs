//! Loom models of the reactor's readiness protocol, and of the protocols built on it.

mod loom_readiness;
mod loom_wake_readers;
