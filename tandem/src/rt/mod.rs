//! The engine: everything that runs tasks, all `pub(crate)`. The public surface (`runtime`,
//! `task`, `time`, `signal`, `io`, `fs`, `net`) sits above it and reaches it only downward.
//!
//! Layers, lowest first (a lower one never names a higher one; `scripts/layers.py` checks it):
//!
//! | module | responsibility |
//! |---|---|
//! | `context.rs` | the thread-local leaf state: the entered flags, the running task's id and budget; the hub (the one place that reaches up: it re-exports the scheduler slot's lookups of the current runtime) |
//! | `coop.rs` | the cooperative budget: a task yields after 128 units of work |
//! | `task/` | the raw task: state word, memory layout, harness, waker, `JoinHandle`, `AbortHandle`, the owned-tasks list |
//! | `reactor/` | mio: the I/O driver, per-resource readiness, the `Registration` sockets hold; `Interest`, `Ready` |
//! | `uring/` | io_uring: the mode, the probe, per-worker rings, the op lifecycle, owned buffers, `ops/` (one opcode per file) |
//! | `time/` | the time driver: the timer wheel, the clock, timer entries |
//! | `signal.rs` | the process-wide signal registry: handlers, the self-pipe, per-signal generations |
//! | `orphans.rs` | child processes dropped unreaped, retried by spawns, watched exits and every driver park |
//! | `driver/` | what a thread parks on: reactor + rings + timers + signals, and the parkers |
//! | `blocking/` | the blocking pool |
//! | `scheduler/` | `current_thread`, `multi_thread/` (worker, queue, idle, handle), the injection queue, deferred wake-ups, the thread-local slot (the current runtime's handle, the scheduler context) |

pub(crate) mod blocking;
pub(crate) mod context;
pub(crate) mod coop;
pub(crate) mod driver;
pub(crate) mod orphans;
pub(crate) mod reactor;
pub(crate) mod scheduler;
pub(crate) mod signal;
pub(crate) mod task;
pub(crate) mod time;
pub(crate) mod uring;
