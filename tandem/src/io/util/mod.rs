//! The extension traits, the futures they return, and the I/O utilities.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `read.rs`, `read_buf.rs`, `read_exact.rs`, `read_to_end.rs`, `read_to_string.rs`, `read_int.rs` | the futures of `AsyncReadExt`; `read_to_end.rs` also holds the vector-growth policy `read_to_string` shares |
//! | `take.rs`, `chain.rs` | `Take` and `Chain`, the readers `AsyncReadExt` wraps |
//! | `write.rs`, `write_buf.rs`, `write_all.rs`, `write_int.rs`, `flush.rs` | the futures of `AsyncWriteExt` |
//! | `fill_buf.rs`, `read_until.rs`, `read_line.rs` | the futures of `AsyncBufReadExt` |
//! | `lines.rs`, `split.rs` | `Lines` and `Split`, the streams `AsyncBufReadExt` makes |
//! | `seek.rs` | the future of `AsyncSeekExt` |
//! | `async_read_ext.rs`, `async_write_ext.rs`, `async_buf_read_ext.rs`, `async_seek_ext.rs` | the four extension traits, with each method's cancel safety |
//! | `empty.rs` | `empty`, `repeat`, `sink`: always ready, so they spend the cooperative budget |
//! | `buf_reader.rs`, `buf_writer.rs`, `buf_stream.rs` | the buffered wrappers (8 KiB by default) |
//! | `copy.rs` | `copy` and `CopyBuffer`, the read-write-flush loop it shares with `copy_bidirectional.rs`; `copy_buf.rs` copies through a reader's own buffer. All spend the cooperative budget |
//! | `mem.rs` | `duplex` and `simplex`, the in-memory pipes (`simplex` splits with `../split.rs`) |
//!
//! The futures are `!Unpin`, as Tokio's (a `PhantomPinned` each: code that asserts the auto
//! traits, as Tokio's tests do, sees the same types; poll them pinned). They borrow their reader or writer; those that loop keep their progress in
//! themselves, so a `Pending` loses nothing, and retry a step that fails with
//! `ErrorKind::Interrupted` (as Tokio's do; a single read or write returns it).

mod async_buf_read_ext;
mod async_read_ext;
mod async_seek_ext;
mod async_write_ext;
mod buf_reader;
mod buf_stream;
mod buf_writer;
mod chain;
mod copy;
mod copy_bidirectional;
mod copy_buf;
mod empty;
mod fill_buf;
mod flush;
mod lines;
mod mem;
mod read;
mod read_buf;
mod read_exact;
mod read_int;
mod read_line;
mod read_to_end;
mod read_to_string;
mod read_until;
mod seek;
mod split;
mod take;
mod write;
mod write_all;
mod write_buf;
mod write_int;

pub use async_buf_read_ext::AsyncBufReadExt;
pub use async_read_ext::AsyncReadExt;
pub use async_seek_ext::AsyncSeekExt;
pub use async_write_ext::AsyncWriteExt;
pub use buf_reader::BufReader;
pub use buf_stream::BufStream;
pub use buf_writer::BufWriter;
pub use chain::Chain;
pub use copy::copy;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use copy_buf::copy_buf;
pub use empty::{empty, repeat, sink, Empty, Repeat, Sink};
pub use lines::Lines;
pub use mem::{duplex, simplex, DuplexStream, SimplexStream};
pub use split::Split;
pub use take::Take;

#[cfg(all(test, not(loom)))]
mod tests;
