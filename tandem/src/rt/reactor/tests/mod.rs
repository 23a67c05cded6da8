//! Loom models of the reactor's readiness protocol.

mod loom_readiness;
