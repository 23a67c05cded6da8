//! Asynchronous I/O traits and helpers.
//!
//! These are Tokio's runtime-independent I/O traits and utilities, re-exported unchanged, so
//! every crate built on them (hyper's adapters, tokio-util, rustls wrappers) works with Tandem's
//! types as it does with Tokio's.

pub use std::io::{Error, ErrorKind, Result, SeekFrom};

mod interest;
mod ready;
pub mod unix;

pub use interest::Interest;
pub use ready::Ready;
pub use tokio::io::{
    copy, copy_bidirectional, copy_buf, duplex, empty, join, repeat, simplex, sink, split,
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
    AsyncWriteExt, BufReader, BufStream, BufWriter, DuplexStream, Empty, Join, Lines, ReadBuf,
    ReadHalf, Repeat, SimplexStream, Sink, Split, Take, WriteHalf,
};
