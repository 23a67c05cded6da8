//! Custom io_uring operations on Tandem's rings, with `Send` futures.
//!
//! Tandem runs one io_uring per worker (and one shared by other threads); its file calls are
//! operations on those rings. This module lets code outside Tandem submit its own: implement
//! [`Operation`] (build the entry from data the operation owns, turn the completion into an
//! output, release what a completion nobody waits for created), then [`submit`] it, or add
//! several to a [`Batch`] to push them together, linked or drained. A multishot request (one
//! entry, a completion per event) implements [`MultishotOperation`] and becomes a stream of
//! items through [`submit_multishot`]. [`is_supported`] says beforehand whether an opcode would
//! reach the kernel.
//!
//! The futures are `Send` and may move between workers (work stealing): an operation stays on
//! the ring it was pushed on, its completion wakes the task wherever it runs, and dropping the
//! future cancels it on that ring from any thread. The operation's memory lives until the
//! kernel's completion, whatever happens to the future. `docs/URING-OPS.md` in the repository
//! gives the protocol.
//!
//! | situation | what happens |
//! |---|---|
//! | polled on a worker | pushed on the worker's ring, submitted with the tick's batch |
//! | polled on another thread (`block_on`, `spawn_blocking`, a thread in `Handle::enter`) | pushed on the runtime's shared ring and submitted at once |
//! | [`UringMode::Off`](crate::runtime::UringMode::Off), no I/O driver, io_uring unavailable, opcode missing | fails with kind `Unsupported` (never panics) |
//! | the runtime shut down | fails with kind `Other`, "background task failed" (as `tandem::fs`) |
//! | outside a runtime | panics at the first poll, as `tandem::fs` calls do |
//!
//! Files: this module is the public surface; the machinery is the runtime's own
//! (`rt/uring/`), which Tandem's file calls use too.
//!
//! | file | responsibility |
//! |---|---|
//! | `rt/uring/operation.rs` | the `Operation` contract, `Completion`, and the bridge to the runtime's operations |
//! | `rt/uring/op_future.rs` | `submit`, `OpFuture`, `is_supported` |
//! | `rt/uring/multishot.rs` | `MultishotOperation`, `OpStream`, `submit_multishot` |
//! | `batch.rs` | `Batch`: operations pushed together, with links and drains |
//!
//! ```no_run
//! use tandem::uring::io_uring::{opcode, squeue, types};
//! use std::os::fd::{AsRawFd, OwnedFd};
//!
//! /// `fadvise(2)` on a file the operation owns.
//! struct Fadvise {
//!     file: OwnedFd,
//!     advice: i32,
//! }
//!
//! // SAFETY: the entry names `file`'s fd, which the operation owns; it points at no memory.
//! unsafe impl tandem::uring::Operation for Fadvise {
//!     const OPCODE: u8 = opcode::Fadvise::CODE;
//!     type Output = std::io::Result<()>;
//!
//!     fn entry(&mut self) -> squeue::Entry {
//!         opcode::Fadvise::new(types::Fd(self.file.as_raw_fd()), 0, self.advice).build()
//!     }
//!
//!     fn complete(self, completion: tandem::uring::Completion) -> std::io::Result<()> {
//!         completion.io_result().map(drop)
//!     }
//! }
//!
//! # async fn run(file: OwnedFd) -> std::io::Result<()> {
//! tandem::uring::submit(Fadvise { file, advice: libc::POSIX_FADV_SEQUENTIAL }).await??;
//! # Ok(())
//! # }
//! ```

mod batch;

pub use crate::rt::uring::{
    is_supported, submit, submit_multishot, Completion, MultishotOperation, OpFuture, OpStream,
    Operation,
};
pub use batch::Batch;

/// The `io-uring` crate Tandem builds entries with: an [`Operation`]'s entry must be this
/// version's `squeue::Entry` (its opcodes, `types`, flags).
pub use io_uring;
