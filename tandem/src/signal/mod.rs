//! Asynchronous signal handling: `ctrl_c()` and `unix::signal(kind)`.
//!
//! Files, lowest layer first (the handlers and the self-pipe are the engine's, `rt/signal.rs`):
//!
//! | file | responsibility |
//! |---|---|
//! | `unix.rs` | `unix::signal`, `SignalKind`, `Signal` |
//! | `mod.rs` | `ctrl_c` |
//!
//! # How a signal reaches a task
//! 1. The first `signal(kind)` for a signal number installs a handler (through
//!    `signal-hook-registry`, which chains with other handlers). The handler only does what is
//!    async-signal-safe: it sets the signal's `pending` flag and writes one byte to a
//!    process-wide non-blocking pipe.
//! 2. The pipe's read end is registered (a dup of it, once per runtime) in the reactor under a
//!    dedicated token. When it turns readable, the driver calls `dispatch`.
//! 3. `dispatch` drains the pipe, and for each signal whose `pending` flag it clears, bumps the
//!    signal's generation and wakes its listeners. A `Signal` reports each generation it has not
//!    seen, so signals that arrive close together coalesce, as Tokio documents.

pub mod unix;

/// Completes when the process receives SIGINT (ctrl-c).
///
/// The first call installs a SIGINT handler that stays for the life of the process: after it,
/// ctrl-c no longer terminates the process by default.
///
/// ```no_run
/// #[tandem::main]
/// async fn main() {
///     tandem::signal::ctrl_c().await.expect("failed to listen for ctrl-c");
///     println!("received ctrl-c, shutting down");
/// }
/// ```
pub async fn ctrl_c() -> std::io::Result<()> {
    let mut signal = unix::signal(unix::SignalKind::interrupt())?;
    signal.recv().await;
    Ok(())
}
