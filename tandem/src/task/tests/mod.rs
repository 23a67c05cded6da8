//! Loom models of the task system.
