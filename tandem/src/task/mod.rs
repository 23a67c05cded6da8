//! Asynchronous green threads: spawning tasks, awaiting them, and yielding.
//!
//! The public face of tasks; the raw task (memory, state word, harness, waker, the handles'
//! internals) is the engine's, in `rt/task/`. Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `blocking.rs` | `spawn_blocking`: a closure on the blocking pool |
//! | `yield_now.rs` | `yield_now`: back of the queue, the wake-up deferred until the worker is out of other work |
//! | `join_set.rs` | `JoinSet`: a set of tasks awaited in completion order |
//! | `coop.rs` | `task::coop`: the cooperative budget for code outside Tandem (`consume_budget`, `poll_proceed`, `has_budget_remaining`, `cooperative`, `unconstrained`) |
//! | `local.rs` | `LocalSet`, `spawn_local`: `!Send` tasks run on the thread that drives the set (the engine's local scheduler, `rt/scheduler/local.rs`) |
//! | `task_local.rs` | `task_local!`, `LocalKey`, `TaskLocalFuture`: a value that travels with a future, set in a thread-local slot while it is polled |
//!
//! `spawn` is the runtime's; `JoinHandle`, `AbortHandle`, `JoinError`, `Id`, `id`, `try_id` the
//! raw task's (`rt/task/`), `block_in_place` the multi-thread scheduler's and `consume_budget` the
//! cooperative budget's (`rt/coop.rs`), re-exported here.

mod blocking;
pub mod coop;
mod join_set;
mod local;
mod task_local;
mod yield_now;

pub use self::blocking::spawn_blocking;
pub use self::coop::{consume_budget, unconstrained, Unconstrained};
pub use self::join_set::JoinSet;
pub use self::local::{spawn_local, LocalEnterGuard, LocalSet};
pub use self::task_local::{AccessError, LocalKey};
pub use self::yield_now::yield_now;
pub use crate::rt::scheduler::multi_thread::block_in_place;
pub use crate::rt::task::{id, try_id, AbortHandle, Id, JoinError, JoinHandle};
pub use crate::runtime::spawn;

// A `JoinHandle` reaches the raw task, whose header has cells (the owned list's links, the join
// waker) that only the protocol of its atomic state word guards. A panic cannot leave them
// half-updated for an observer: a task's poll panicking is caught by its harness and stored as
// the task's output, and the links are changed under the owned list's lock, which a panic
// releases with the list consistent (no user code runs under it). As Tokio's, and as
// `AbortHandle`'s beside it, the handle is therefore unwind-safe.
impl<T> std::panic::UnwindSafe for JoinHandle<T> {}
impl<T> std::panic::RefUnwindSafe for JoinHandle<T> {}

/// Futures of the task module (as `tokio::task::futures`).
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}
