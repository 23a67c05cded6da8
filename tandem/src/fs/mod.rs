//! Asynchronous file-system access: a drop-in mirror of `tokio::fs`.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `backend.rs` | The only place where `tandem::fs` reaches the kernel for a file |
//! | `open_options.rs` | `OpenOptions`: how to open a file, as `std::fs::OpenOptions` |
//! | `file.rs` | `File`: an open file, as `tokio::fs::File` |
//! | `dir_builder.rs` | `DirBuilder`: creating directories, optionally with their parents |
//! | `paths.rs` | Free functions on paths: metadata, renaming, removing, creating directories, links |
//! | `read.rs` | `read` and `read_to_string`: a whole file into memory |
//! | `write.rs` | `write`: a whole file from memory |
//! | `read_dir.rs` | `read_dir`: a directory's entries, read on the blocking pool in chunks of 32 per trip |
//!
//! Same names, signatures and semantics as Tokio's `fs` (1.48): [`File`] with `AsyncRead`,
//! `AsyncWrite` and `AsyncSeek` through an internal buffer, [`OpenOptions`], [`DirBuilder`],
//! [`read_dir`], and the free functions ([`read`], [`write()`], [`metadata`], [`rename`], ...).
//! Results and errors are std's for the same call: the same `io::ErrorKind` and raw os error.
//!
//! # Positional I/O with owned buffers
//!
//! Beyond Tokio, [`File::read_at`], [`File::write_at`], [`File::read_exact_at`] and
//! [`File::write_all_at`] do `pread`/`pwrite` with a buffer the call owns until it completes
//! ([`IoBuf`]/[`IoBufMut`]: `Vec<u8>`, `Box<[u8]>`, `&'static [u8]`, `String`, ...), and hand
//! the buffer back with the result. They take `&self` and leave the file position alone, so many
//! can run at once on one file.
//!
//! # The backend rule
//!
//! Every call that reaches the kernel for a file and has an io_uring opcode (open, read, write,
//! fsync, size, set_len, rename, unlink, mkdir, link, symlink, close) goes through the one file
//! `fs/backend.rs`; the rest (metadata, read_dir, canonicalize, copy, ...) go through its
//! `blocking` helper. No other file of `fs/` calls the blocking pool, so where each call runs
//! (blocking pool or io_uring, per opcode) is decided there alone.
//!
//! Before its route, a read is tried on the calling thread without blocking (`preadv2` with
//! `RWF_NOWAIT`: data in the page cache is copied at once), and so is an open that would have
//! a ring submission to itself (`openat2` with `RESOLVE_CACHED`, as io_uring's own inline
//! attempt); whatever would wait, and every error, goes on to the route, so results do not
//! depend on it. `Builder::fs_nowait_first(false)` turns this off. Reads of a file opened with
//! `O_DIRECT` are never tried so (a direct read waits for the device even with `RWF_NOWAIT`);
//! `File` knows from the flags it was opened with, or asks once in `File::from_std`.
//!
//! # FIFOs
//!
//! Opening a FIFO waits for its peer as `open(2)` does, whatever the backend: write-only, for a
//! reader; read-only, for a writer (unless `O_NONBLOCK` was asked for). io_uring's first attempt
//! at an open (and the inline try) does not wait: it fails write-only opens with `ENXIO` and
//! returns read-only ones at once. So a write-only `ENXIO` is opened again with `open(2)` on the
//! blocking pool, and a read-only open that got a FIFO waits for a writer before it returns
//! (`backend/fifo.rs`). What this costs other opens: nothing for write-only ones; one `fcntl`
//! for a read-only `OpenOptions::open` (`File::open`) through io_uring; nothing for `fs::read`,
//! whose `statx` tells.
//!
//! # Cancellation
//!
//! Dropping any future of this module never frees memory the kernel may still write: buffers
//! are owned by the operation and freed by it when the call has returned. A `File`'s background
//! write completes even if the `File` is dropped without a flush (the error is then lost).

mod backend;
mod dir_builder;
mod file;
mod open_options;
mod paths;
mod read;
mod read_dir;
mod write;

pub use self::dir_builder::DirBuilder;
pub use self::file::File;
pub use self::open_options::OpenOptions;
pub use self::paths::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read_link, remove_dir,
    remove_dir_all, remove_file, rename, set_permissions, symlink, symlink_metadata, try_exists,
};
pub use self::read::{read, read_to_string};
pub use self::read_dir::{read_dir, DirEntry, ReadDir};
pub use self::write::write;
pub use crate::rt::uring::buf::{IoBuf, IoBufMut};
/// The times [`File::set_times`] sets: std's type, whose builder (`new`, `set_accessed`,
/// `set_modified`) Tokio's `FileTimes` mirrors.
pub use std::fs::FileTimes;
