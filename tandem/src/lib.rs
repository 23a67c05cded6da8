//! Tandem: a multi-threaded, work-stealing async runtime for Linux.
//!
//! Tandem's public API mirrors Tokio's names where the concept is the same, so code written for
//! Tokio builds against Tandem by renaming the crate:
//!
//! ```toml
//! [dependencies]
//! tokio = { package = "tandem", version = "0.1" }
//! ```
//!
//! ```
//! #[tandem::main]
//! async fn main() {
//!     let mut set = tandem::task::JoinSet::new();
//!     for i in 0..4 {
//!         set.spawn(async move { i * i });
//!     }
//!     let mut total = 0;
//!     while let Some(res) = set.join_next().await {
//!         total += res.unwrap();
//!     }
//!     assert_eq!(total, 14);
//! }
//! ```
//!
//! `docs/ARCHITECTURE.md` in the repository maps the modules, the life of a task, and every
//! invariant the unsafe code relies on.

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

// Lets `#[tandem::test]` be used inside this crate's own tests.
extern crate self as tandem;

mod loom;
mod rt;
mod util;

// `select!`, `join!`, `try_join!` and `pin!` are exported at the root; the module itself is
// public only for the support items their expansions name.
#[doc(hidden)]
pub mod macros;

pub mod fs;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;
pub mod uring;

pub use runtime::spawn;

#[cfg(feature = "macros")]
pub use tandem_macros::{main, test};
