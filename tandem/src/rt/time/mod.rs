//! The time driver: the engine under `tandem::time` (whose `mod.rs` documents the design, its
//! invariants and protocols).
//!
//! | file | responsibility |
//! |---|---|
//! | `wheel.rs` | the hierarchical timing wheel: a pure data structure of deadlines in ticks, no `unsafe` |
//! | `clock.rs` | a runtime's clock (OS time, or paused/advanced for tests) and `now` |
//! | `handle.rs` | the per-runtime state (clock, wheel shards) and what the driver calls; `TimeRef`, how a `Sleep` reaches it |
//! | `entry.rs` | `TimerEntry`, a `Sleep`'s timer: lazy registration, reset, cancel |

mod clock;
mod entry;
mod handle;
mod wheel;

#[cfg(test)]
mod tests;

pub(crate) use clock::now;
pub(crate) use entry::{Shutdown, TimerEntry};
pub(crate) use handle::{current, deadline_after, far_future, TimeHandle, TimeRef, FAR_FUTURE};
