//! Asynchronous I/O: the traits, their extension traits and utilities, and `AsyncFd`.
//!
//! Tokio 1.x's `io` module, with its names, signatures, trait definitions and documented
//! behaviour, written here: a crate built on Tokio's traits (hyper's adapters, tokio-util, rustls
//! wrappers) builds on these when `compat/tokio` stands in for Tokio, and every always-ready
//! utility spends Tandem's cooperative budget, as Tokio's spend Tokio's.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | (`util/read_buf.rs`) | `ReadBuf`: a borrowed buffer, its filled and initialized regions; its `bytes::BufMut` impl (in `util/`, below the engine that fills it) |
//! | `async_read.rs` | `AsyncRead`; impls for `Box`, `&mut`, `Pin`, `&[u8]`, `io::Cursor` |
//! | `async_write.rs` | `AsyncWrite`; impls for `Box`, `&mut`, `Pin`, `Vec<u8>` and the writable `io::Cursor`s |
//! | `async_buf_read.rs` | `AsyncBufRead`; impls for `Box`, `&mut`, `Pin`, `&[u8]`, `io::Cursor` |
//! | `async_seek.rs` | `AsyncSeek`; impls for `Box`, `&mut`, `Pin`, `io::Cursor` |
//! | `split.rs` | `split`: a stream as a `ReadHalf` and a `WriteHalf` sharing it under a lock |
//! | `join.rs` | `join`: a reader and a writer as one stream |
//! | `util/` | the extension traits, the futures they return, and the utilities (buffers, copies, pipes, splits) |
//! | `unix/` | `AsyncFd` and its readiness guards |
//! | `stdio/` | `stdin`, `stdout`, `stderr`: the standard streams, each call a blocking one on the runtime's blocking pool |
//! | `mod.rs` | the re-exports; `Interest` and `Ready` come from the reactor |
//!
//! # Cancel safety
//!
//! The `poll_*` methods are cancel safe by construction: a poll that returns `Pending` has
//! consumed nothing. The futures of the extension traits say, each in its method's doc, whether
//! dropping them before completion can lose data.

pub use std::io::{Error, ErrorKind, Result, SeekFrom};

mod async_buf_read;
mod async_read;
mod async_seek;
mod async_write;
mod join;
mod split;
mod stdio;
pub mod unix;
mod util;

pub use crate::rt::reactor::{Interest, Ready};
pub use async_buf_read::AsyncBufRead;
pub use async_read::AsyncRead;
pub use async_seek::AsyncSeek;
pub use async_write::AsyncWrite;
pub use join::{join, Join};
// Below the engine, which fills it (`rt/reactor/poll_evented.rs`).
pub use crate::util::read_buf::ReadBuf;
pub use split::{split, ReadHalf, WriteHalf};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use util::{
    copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, empty, repeat,
    simplex, sink, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader,
    BufStream, BufWriter, Chain, DuplexStream, Empty, Lines, Repeat, SimplexStream, Sink, Split,
    Take,
};
