//! The std <-> loom shim.
//!
//! Every module that touches cross-thread state imports its atomics, cells, mutexes and threads from
//! here, so `RUSTFLAGS="--cfg loom"` swaps them for loom's model-checked versions. The std versions
//! are wrapped to offer loom's API (`UnsafeCell::with_mut`, a `lock()` that cannot fail).

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
pub(crate) use loom_impl::*;

#[cfg(all(test, loom))]
pub(crate) mod model;
