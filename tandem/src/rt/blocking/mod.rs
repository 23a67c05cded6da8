//! The blocking pool: threads for work that blocks (`spawn_blocking`), and the threads the
//! multi-thread workers run on.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `hooks.rs` | what the pool's threads are made with: name function, stack size, start/stop callbacks |
//! | `runtime.rs` | `RuntimeHandle`: what the pool needs of its runtime (enter it on a pool thread, its time driver) |
//! | `task.rs` | the future that runs a blocking closure once |
//! | `schedule.rs` | its scheduler (never woken), and the paused clock's inhibition until release |
//! | `pool.rs` | `BlockingPool`, `Spawner`: threads on demand, the queue, shutdown |
//!
//! Threads are created on demand, up to `thread_cap` (`max_blocking_threads` plus the workers),
//! and exit after `keep_alive` without work. A blocking task is a regular task (one allocation,
//! same `JoinHandle`) whose future runs the closure once; it is never woken, so its scheduler's
//! `schedule` is unreachable. From spawn until it is released (complete, `JoinHandle` woken), a
//! blocking task inhibits the paused clock's auto-advance; the release wakes the driver.
//!
//! Shutdown protocol (`BlockingPool::shutdown`):
//! 1. Set `shutdown` and wake every idle thread.
//! 2. Each thread finishes its current task, then drains the queue: mandatory tasks (worker
//!    loops) still run, the others are cancelled (their `JoinHandle` reports cancellation).
//! 3. The caller waits until no thread is left (or the timeout), then joins every thread so the
//!    process's thread count is back where it was.

mod hooks;
mod pool;
mod runtime;
mod schedule;
mod task;

pub(crate) use hooks::{Callback, ThreadHooks, ThreadNameFn};
pub(crate) use pool::{BlockingPool, Spawner};
pub(crate) use runtime::RuntimeHandle;
