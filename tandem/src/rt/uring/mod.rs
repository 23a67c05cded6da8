//! io_uring: per-worker rings, the operation lifecycle, owned buffers, the probe, and one file per
//! opcode under `ops/`.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `mode.rs` | `UringMode` (re-exported by `tandem::runtime`) and `TANDEM_IO_URING` |
//! | `probe.rs` | can this process set up rings, and which opcodes the kernel has (once) |
//! | `metrics.rs` | `UringStats`, `RingStats`, `FallbackCause` |
//! | `buf.rs` | `IoBuf`/`IoBufMut`: owned buffers |
//! | `buf_group.rs` | a provided-buffer group: buffers the kernel picks for multishot receives, given back from any thread; one per worker ring when networking runs on io_uring (`docs/URING-NET.md`) |
//! | `state.rs` | an operation's lifecycle word |
//! | `cell.rs` | an operation's type-erased cell: what the kernel touches, the result, the waker; `RawOp`, the ring's reference |
//! | `ring/` | one ring: submission, reaping and epoll arming, cancel routing (a file each) |
//! | `host.rs` | the slot through which an operation reaches the calling worker's ring (the scheduler fills it) |
//! | `reaper.rs` | the thread that reaps rings a shut-down runtime left operations on |
//! | `handle.rs` | `UringHandle`: a runtime's rings and the per-opcode route |
//! | `op.rs` | an operation's future: push on the polling thread's ring, cancel on drop; `OpBatch`, operations pushed together |
//! | `operation.rs` | `Operation` (public as `tandem::uring::Operation`): the contract of a one-shot operation, bridged to `OpCode` |
//! | `op_future.rs` | `OpFuture`, `submit`, `is_supported` (public in `tandem::uring`): an `Operation`'s future |
//! | `multishot.rs` | `MultishotOperation`, `OpStream`, `submit_multishot` (public in `tandem::uring`): one entry, many CQEs, as a stream; its cell keeps its state under a mutex |
//! | `socket_fd.rs` | `SocketFd`: a TCP stream's fd as ring entries name it, adopted at the stream's drop and closed by the last holder, after the final completion of every op naming it (`docs/URING-NET.md`, decision 9) |
//! | `ops/` | one opcode per file |
//!
//! # Responsibilities
//! - `probe.rs`: can this process set up rings, and which opcodes does the kernel have (once).
//! - `handle.rs`: a runtime's rings (one per worker, one shared by other threads) and the
//!   per-opcode route: io_uring, or the blocking pool with the cause counted.
//! - `ring/`: submission without a lock (the worker's core owns its `LocalRing`), batched per
//!   tick; reaping under a try-lock from the owner or the thread holding the driver; arming the
//!   ring's fd in epoll when the owner parks; cancel requests routed to the owning ring.
//! - `host.rs`: the worker's ring, reached from an operation on its thread: a thread-local
//!   slot that `uring` defines and the scheduler's per-thread context fills while it drives a
//!   core (`RingHost`, `set_host`), so `uring` never names the scheduler.
//! - `cell.rs` + `state.rs` + `op.rs`: an operation owns what the kernel touches from push to CQE,
//!   whatever happens to its future; `docs/URING-OPS.md` walks through the protocol.
//! - `ops/`: one opcode per file, each with what its completion creates and how to release it.
//! - `operation.rs` + `op_future.rs`: the public face (`tandem::uring`): an `Operation` from
//!   outside Tandem is bridged to an `OpCode` and runs through `Op`, under the same protocol; the
//!   one-shot `ops/` implement it too. `OpBatch` (`op.rs`) pushes several entries as one unit
//!   (`ring/submit.rs`: never split, so link chains stay whole).
//!
//! # Shutdown
//! 1. The scheduler drops every task: futures of operations in flight hand them to their rings
//!    and queue cancel requests.
//! 2. With the cores handed in, each ring pushes a cancel-all, submits, and reaps until nothing
//!    is in flight or the deadline passes (zero for `shutdown_background`).
//! 3. A ring with operations still in flight goes to the reaper thread (`reaper.rs`), which
//!    reaps it until they complete (their cells are freed then, never before: the kernel may
//!    still write them) and then drops it. Other rings close with the runtime; their fds leave
//!    epoll on close.
//!
//! Ring fds are close-on-exec; forking without exec while a runtime runs is not supported (the
//! child would share the rings' memory).

pub(crate) mod buf;
pub(crate) mod buf_group;
mod cell;
mod handle;
mod host;
mod metrics;
mod mode;
mod multishot;
pub(crate) mod op;
mod op_future;
mod operation;
pub(crate) mod ops;
mod probe;
mod reaper;
mod ring;
pub(crate) mod socket_fd;
mod state;
mod stream_budget;

#[cfg(all(test, loom))]
mod tests;

pub(crate) use cell::{CqeResult, OpCode, Refused};
pub(crate) use handle::{NetBufs, NetStreamSlot, Route, Uring, UringHandle, SQ_ENTRIES};
pub(crate) use host::{set_host, submit_local_now, with_local_ring, RingHost};
pub use metrics::{FallbackCause, RingStats, UringStats};
pub use mode::{ParseUringModeError, UringMode, URING_ENV_VAR};
pub use multishot::{submit_multishot, MultishotOperation, OpStream};
pub(crate) use op::{Op, OpBatch};
pub(crate) use op_future::with_uring;
pub use op_future::{is_supported, submit, OpFuture};
pub(crate) use operation::Bridge;
pub use operation::{Completion, Operation};
pub(crate) use ring::{thread_has_submitted, InlineCall, LocalRing};

/// How long runtime shutdown waits for operations in flight before handing them to the reaper,
/// at most (`Runtime::shutdown_timeout` can make it shorter).
pub(crate) const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// True if an operation pushed now would be submitted on its own: on a worker with no other
/// task queued and none of its ring's work in the kernel (`Rings::push` submits at once there),
/// or on a thread that is not a worker (the shared ring submits every operation at once).
/// Nothing would share its `io_uring_enter`, so an inline system call costs no more.
pub(crate) fn would_submit_alone() -> bool {
    with_local_ring(|local, idle| local.submits_alone(idle)).unwrap_or(true)
}
