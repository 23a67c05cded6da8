//! Asynchronous I/O on any Unix file descriptor: [`AsyncFd`] and its readiness guards.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `async_fd.rs` | `AsyncFd`: readiness for any object that has a file descriptor |
//! | `ready_guard.rs` | The guards `AsyncFd`'s readiness methods return |

mod async_fd;
mod ready_guard;

pub use async_fd::{AsyncFd, AsyncFdRegisterError, AsyncFdTryNewError};
pub use ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
