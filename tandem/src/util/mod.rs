//! Small building blocks with no knowledge of the runtime.

pub(crate) mod atomic_cell;
pub(crate) mod drain_lock;
pub(crate) mod rand;
pub(crate) mod try_lock;
