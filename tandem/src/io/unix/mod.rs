//! Asynchronous I/O on any Unix file descriptor: [`AsyncFd`] and its readiness guards.

mod async_fd;
mod ready_guard;

pub use async_fd::{AsyncFd, AsyncFdTryNewError};
pub use ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
