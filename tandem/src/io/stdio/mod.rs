//! `stdin`, `stdout`, `stderr`: the process's standard streams, as Tokio's.
//!
//! The standard streams may be terminals, pipes or files, which epoll cannot wait on in
//! general, so, as in Tokio, each operation runs as a blocking call on the runtime's blocking
//! pool (`blocking.rs`), one at a time per handle, through a buffer the handle owns.
//!
//! | file | responsibility |
//! |---|---|
//! | `blocking.rs` | `Blocking<T>`: a std reader or writer driven on the blocking pool, one operation in flight, its buffer |
//! | `std_handles.rs` | `Stdin`, `Stdout`, `Stderr` and their constructors |
//!
//! The contract (Tokio's):
//! - a write copies (up to 2 MiB of) the caller's bytes into the handle's buffer, starts the
//!   blocking `write_all` and returns at once: its error, if any, is returned by the next
//!   write or flush. `flush` (and `shutdown`) waits for the write in flight, then flushes the
//!   std stream on the pool: call it before exiting, or the last bytes may not be written;
//! - a read fills the handle's buffer with one blocking `read` of at most what the caller asked
//!   (2 MiB at most), then copies out; bytes the caller had no room for are served first next;
//! - each handle orders its own operations, but handles are independent: writes from two
//!   `Stdout`s (or tasks each with one) may interleave at any write boundary, and a blocking
//!   read of stdin cannot be cancelled (dropping the handle leaves it running on the pool);
//! - the first operation outside a runtime panics ("there is no reactor running ..."), and
//!   once the runtime has shut down an operation fails with the runtime's shutdown error
//!   (`runtime::is_rt_shutdown_err`).

mod blocking;
mod std_handles;

pub use std_handles::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
