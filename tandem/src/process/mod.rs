//! Child processes with Tokio's `tokio::process` API: [`Command`] spawns a [`Child`] whose exit
//! can be awaited and whose piped stdio is asynchronous ([`ChildStdin`], [`ChildStdout`],
//! [`ChildStderr`]).
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `pidfd.rs` | `pidfd_open(2)` and the pidfd as a mio source; the folder's only `unsafe` (but `Command::pre_exec`'s pass-through) |
//! | `reaper.rs` | `Reaper`: an unreaped child and the watch (pidfd or SIGCHLD) that says it exited; the cancel-safe wait |
//! | `stdio.rs` | `ChildStdin`, `ChildStdout`, `ChildStderr`: non-blocking pipes registered with the reactor |
//! | `child.rs` | `Child`: `wait`, `try_wait`, `kill`, `start_kill`, `wait_with_output`, and what dropping it does |
//! | `command.rs` | `Command`: the builder over `std::process::Command`, `spawn`, `status`, `output` |
//!
//! # Waiting without a thread
//! After `fork`/`exec` the child is watched by a pidfd (`pidfd_open(2)`, Linux 5.3) registered
//! with the reactor for `READABLE`: it becomes readable when the child terminates, and the
//! waiting task then reaps it with `waitpid(WNOHANG)`. Where `pidfd_open` fails (older kernels,
//! seccomp filters, no descriptor left) the watch is the signal driver's SIGCHLD stream instead:
//! every SIGCHLD makes each waiting child retry `waitpid(WNOHANG)`. No thread blocks in
//! `waitpid`, and no wait takes a blocking-pool thread.
//!
//! # Dropped children
//! As Tokio's, a dropped [`Child`] is not killed unless [`Command::kill_on_drop`] was set. Killed
//! or not, it is not left a zombie: if it has not exited, a task of the current runtime keeps
//! its watch and reaps it when it exits. Dropped outside any runtime, or if that runtime shuts
//! down first, the child joins the orphan queue (`rt/orphans.rs`), which every later spawn, every
//! exit a watch observes and every park of any runtime's driver retries, as Tokio's drivers do.
//! So a child that exits while a runtime runs is reaped.
//!
//! # Invariants
//! - A child's pid is only waited for through its own `std::process::Child` (`waitpid(pid)`,
//!   never `waitpid(-1)`), so the pidfd's pid cannot have been reused while we hold it: an
//!   exited child stays a zombie, keeping its number, until that wait reaps it.
//! - The pidfd leaves epoll before it is closed (`PollEvented`'s drop), as every reactor source.
//! - The watch is registered before the first `waitpid(WNOHANG)` of a wait, so an exit between
//!   the two is not missed (epoll reports a pidfd that is readable at registration).

mod child;
mod command;
mod pidfd;
mod reaper;
mod stdio;

pub use child::Child;
pub use command::Command;
pub use stdio::{ChildStderr, ChildStdin, ChildStdout};
