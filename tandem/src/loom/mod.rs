//! The std <-> loom shim.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `std_impl.rs` | The shim's std side: thin wrappers that give std types loom's shape |
//! | `loom_impl.rs` | The shim's loom side: loom's model-checked types behind the same names as `std_impl` |
//! | `model.rs` | What every loom model in the crate shares: the model runner (deterministic task ids are |
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
