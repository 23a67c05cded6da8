//! Asynchronous I/O traits and helpers.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `util.rs` | `empty`, `repeat`, `sink`: always ready, so they spend Tandem's cooperative budget |
//! | `traits/` | Tandem's own traits and utilities, to replace Tokio's re-exports below (issue 12) |
//! | `unix/` | `AsyncFd` and its readiness guards |
//! | `mod.rs` | the re-exports of Tokio's I/O traits and helpers; `Interest` and `Ready` (from the reactor) |
//!
//! These are Tokio's runtime-independent I/O traits and utilities, re-exported unchanged, so
//! every crate built on them (hyper's adapters, tokio-util, rustls wrappers) works with Tandem's
//! types as it does with Tokio's; except `empty`, `repeat` and `sink`, which are always ready
//! and so must spend Tandem's cooperative budget rather than Tokio's (`util.rs`).

pub use std::io::{Error, ErrorKind, Result, SeekFrom};

// Tandem's own traits and utilities, built beside the Tokio re-exports below and not yet
// re-exported; this declaration and its `allow` go away at the switch (issue 12).
#[allow(dead_code, unreachable_pub, unused_imports)]
mod traits;
pub mod unix;
mod util;

pub use crate::rt::reactor::{Interest, Ready};
pub use tokio::io::{
    copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, join, simplex,
    split, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt,
    AsyncWrite, AsyncWriteExt, BufReader, BufStream, BufWriter, Chain, DuplexStream, Join, Lines,
    ReadBuf, ReadHalf, SimplexStream, Split, Take, WriteHalf,
};
pub use util::{empty, repeat, sink, Empty, Repeat, Sink};
