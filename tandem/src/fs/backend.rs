//! The only place where `tandem::fs` reaches the kernel for a file.
//!
//! Files of `backend/`, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `backend/inline.rs` | the calls made on the polling thread itself when the page cache can answer (`preadv2` with `RWF_NOWAIT`, `openat2` with `RESOLVE_CACHED`, `statx`) |
//! | `backend/fifo.rs` | Opens of FIFOs through io_uring, made to wait for the FIFO's peer as `open(2)` does |
//!
//! Every primitive that has (or may have) an io_uring opcode lives here as a `pub(crate)`
//! function: open, read, write, fsync, size, set_len, rename, unlink, mkdir, link and symlink
//! (async), and `close_in_background` (a read-only file's close, not awaited). Everything else in
//! `fs/` is built on these, or on [`blocking`] for the calls that have no opcode (metadata,
//! read_dir, canonicalize, ...). So choosing a backend per opcode is a change to the insides of
//! this file only.
//!
//! Each primitive asks the runtime's io_uring handle for a route (`UringHandle::route`, per
//! opcode): io_uring when the runtime has rings and the kernel has the opcode, else the blocking
//! pool, with the cause counted in the runtime's metrics. Each opcode's file in `uring/ops/`
//! holds both halves: the io_uring operation, and `blocking`, the system call made on the
//! calling thread, which this file runs on the pool (a buffer through [`with_buf`], so that it
//! comes back even from a cancelled job). Two have none: the size query's is here
//! (`size_and_type_blocking`: it answers with this file's `SizeAndType`), and a close's is a
//! drop. Before the route, a read,
//! an open and the size query may be served on the polling thread itself, when they need no
//! waiting (`backend/inline.rs`); a FIFO's open is made to wait for its peer in `backend/fifo.rs`.
//!
//! Contract every implementation keeps (the io_uring one must too):
//! 1. The fd travels as an `Arc<std::fs::File>` owned by the operation, so an operation in
//!    flight keeps its fd open even if the `tandem::fs::File` that started it is dropped.
//! 2. A buffer is moved into the operation and handed back with the result. Dropping the future
//!    of an operation never frees or reuses memory the kernel may still write: on the blocking
//!    pool the closure owns the buffer until the system call has returned.
//! 3. Results and errors are std's: the same `io::ErrorKind` and raw os error for the same call.
//!    `EINTR` is retried, as std's `read_to_end`/`write_all` do.
//! 4. A read into `buf[start..bytes_total]` raises the initialised length to `start + n`
//!    ([`IoBufMut::set_init`] never lowers it); a write sends `buf[start..bytes_init]`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::loom::sync::Mutex;
use crate::rt::uring::buf::{IoBuf, IoBufMut};
use crate::rt::uring::ops::{self, off_t};
use crate::rt::uring::{InlineCall, Route};

mod fifo;
mod inline;

use inline::{open_nowait, read_nowait, statx_now};

/// Where an operation with `opcode` runs in the current runtime.
///
/// # Panics
/// Outside a runtime (as `spawn_blocking`).
#[track_caller]
fn route(opcode: u8) -> Route {
    with_uring(|uring| uring.route(opcode))
}

/// Runs `f` with the current runtime's io_uring handle.
///
/// # Panics
/// Outside a runtime (as `spawn_blocking`).
#[track_caller]
fn with_uring<R>(f: impl FnOnce(&crate::rt::uring::UringHandle) -> R) -> R {
    crate::rt::context::with_current(|handle| match handle {
        Some(handle) => f(&handle.driver().uring),
        // The same panic `spawn_blocking` would give.
        None => f(&crate::runtime::Handle::current().inner.driver().uring),
    })
}

/// True if operations with `opcode` go through io_uring in the current runtime. A composite
/// call (`fs::read`: open, statx, reads) asks first: on the blocking pool it runs whole, in one
/// job, rather than as one job per step, each a round trip between threads.
pub(crate) fn prefers_uring(opcode: u8) -> bool {
    matches!(route(opcode), Route::Uring(_))
}

/// Opens `path`, as `open(2)` with `options` (std's `OpenOptions::open` makes the same call).
pub(crate) async fn open(path: PathBuf, options: OpenFlags) -> io::Result<std::fs::File> {
    let opened = open_first(&path, options).await?;
    if opened.may_need_writer && fifo::is_pipe(&opened.file) {
        fifo::wait_for_writer(&opened.file, &path).await?;
    }
    Ok(opened.file)
}

/// [`open`], then the file's size and type (`statx`), as `fs::read` starts. `None` if the size
/// query failed (std ignores that too). The type answers [`open`]'s FIFO question for free.
pub(crate) async fn open_sized(
    path: PathBuf,
    options: OpenFlags,
) -> io::Result<(Arc<std::fs::File>, Option<SizeAndType>)> {
    let opened = open_first(&path, options).await?;
    let file = Arc::new(opened.file);
    let stat = size_and_type(Arc::clone(&file)).await.ok();
    if opened.may_need_writer && stat.map_or_else(|| fifo::is_pipe(&file), |stat| stat.fifo) {
        fifo::wait_for_writer(&file, &path).await?;
    }
    Ok((file, stat))
}

/// A file [`open_first`] opened.
#[must_use = "a FIFO opened for reading may still have to wait for a writer"]
struct Opened {
    file: std::fs::File,
    /// Opened for reading by io_uring's non-blocking first attempt (or the inline try), which
    /// does not wait for a FIFO's writer: if `file` is a FIFO, `open(2)` would still be waiting
    /// (`fifo::wait_for_writer`).
    may_need_writer: bool,
}

/// The open of [`open`], up to the FIFO question: inline, through io_uring, or on the blocking
/// pool. A write-only open of a FIFO that found no reader is already put right here
/// (`fifo::needs_reader`): it is done again with `open(2)`, which waits for one.
async fn open_first(path: &Path, options: OpenFlags) -> io::Result<Opened> {
    let peer = fifo::Peer::of(options);
    let early = |file| Opened {
        file,
        may_need_writer: peer == fifo::Peer::Writer,
    };
    // Tried inline only when the open would have gone to io_uring, whose own inline attempt
    // this is, and would have an enter to itself: among many concurrent opens, the ring's batch
    // (one enter for all) beats two system calls each (openat2 and fcntl).
    let served = with_uring(|uring| {
        let route = uring.route(ops::open::CODE);
        if matches!(route, Route::Uring(_))
            && uring.nowait_first()
            && crate::rt::coop::has_budget_remaining()
            && crate::rt::uring::would_submit_alone()
        {
            match open_nowait(path, options) {
                Ok(file) => {
                    // Ready without a poll: spend budget as the ring's open would have, so a
                    // task opening in a loop still yields to the others.
                    crate::rt::coop::spend();
                    uring.count_inline(InlineCall::Open);
                    return Ok(file);
                }
                // The ring's attempt would fail the same way: straight to open(2).
                Err(e) if fifo::needs_reader(options, &e) => return Err(Route::Blocking),
                Err(_) => {}
            }
        }
        Err(route)
    });
    match served {
        Ok(file) => Ok(early(file)),
        Err(Route::Uring(rings)) => {
            match ops::open::open(rings, path, options.flags, options.mode).await {
                Ok(file) => Ok(early(file)),
                Err(e) if fifo::needs_reader(options, &e) => {
                    open_blocking(path.to_owned(), options)
                        .await
                        .map(opened_blocking)
                }
                Err(e) => Err(e),
            }
        }
        Err(Route::Blocking) => open_blocking(path.to_owned(), options)
            .await
            .map(opened_blocking),
    }
}

/// A file `open(2)` opened: it waited for whatever it had to.
fn opened_blocking(file: std::fs::File) -> Opened {
    Opened {
        file,
        may_need_writer: false,
    }
}

/// Reads into `buf[buf_start..bytes_total]`: at `offset` (`pread(2)`), or at the file position
/// (`read(2)`, which advances it) if `offset` is `None`. Then `set_init(buf_start + n)`.
///
/// `direct_io`: the file was opened with `O_DIRECT`. Such a read is never tried inline: with
/// `RWF_NOWAIT` a direct read still waits for the device (the flag only refuses to wait for
/// locks and block allocation), on the calling thread.
///
/// # Panics
/// If `buf_start > buf.bytes_total()`.
pub(crate) async fn read_into<B: IoBufMut>(
    file: Arc<std::fs::File>,
    mut buf: B,
    buf_start: usize,
    offset: Option<u64>,
    direct_io: bool,
) -> (io::Result<usize>, B) {
    assert!(
        buf_start <= buf.bytes_total(),
        "read_into: start past the buffer's end"
    );
    if let Some(Err(e)) = offset.map(off_t) {
        return (Err(e), buf);
    }
    // With the budget spent, the route's read makes the task yield (its `Op` returns
    // `Pending`); an inline read would let a task reading in a loop starve its worker. The
    // route is taken only if the inline read did not serve: it counts fallbacks.
    let served = with_uring(|uring| {
        if !direct_io && uring.nowait_first() && crate::rt::coop::has_budget_remaining() {
            if let Some(n) = read_nowait(&file, &mut buf, buf_start, offset) {
                crate::rt::coop::spend();
                uring.count_inline(InlineCall::Read);
                return Ok(n);
            }
        }
        Err(uring.route(ops::read::CODE))
    });
    let route = match served {
        Ok(n) => return (Ok(n), buf),
        Err(route) => route,
    };
    match route {
        Route::Uring(rings) => ops::read::read_into(rings, file, buf, buf_start, offset).await,
        Route::Blocking => {
            with_buf(buf, move |buf| {
                ops::read::blocking(&file, buf, buf_start, offset)
            })
            .await
        }
    }
}

/// Writes `buf[buf_start..bytes_init]`: at `offset` (`pwrite(2)`), or at the file position
/// (`write(2)`; with `O_APPEND`, at the end) if `offset` is `None`.
///
/// # Panics
/// If `buf_start > buf.bytes_init()`.
pub(crate) async fn write_from<B: IoBuf>(
    file: Arc<std::fs::File>,
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
) -> (io::Result<usize>, B) {
    assert!(
        buf_start <= buf.bytes_init(),
        "write_from: start past the data's end"
    );
    if let Some(Err(e)) = offset.map(off_t) {
        return (Err(e), buf);
    }
    match route(ops::write::CODE) {
        Route::Uring(rings) => ops::write::write_from(rings, file, buf, buf_start, offset).await,
        Route::Blocking => {
            with_buf(buf, move |buf| {
                ops::write::blocking(&file, buf, buf_start, offset)
            })
            .await
        }
    }
}

/// `fsync(2)`, or `fdatasync(2)` if `data_only`.
pub(crate) async fn fsync(file: Arc<std::fs::File>, data_only: bool) -> io::Result<()> {
    match route(ops::fsync::CODE) {
        Route::Uring(rings) => ops::fsync::fsync(rings, file, data_only).await,
        Route::Blocking => blocking(move || ops::fsync::blocking(&file, data_only)).await,
    }
}

/// What `fs::read` wants to know of a file it opened: its size, to size the buffer, and its type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SizeAndType {
    pub(crate) size: u64,
    /// A regular file: a short read means its end.
    pub(crate) regular: bool,
    /// A FIFO (or a pipe).
    pub(crate) fifo: bool,
}

/// The file's size in bytes and its type (`statx`).
///
/// With io_uring this is a `statx` on the worker thread itself, not `IORING_OP_STATX`: the kernel
/// always punts that opcode to its io-wq threads (a context switch and a cross-thread completion
/// per call), while a `statx` of an open fd with `AT_STATX_DONT_SYNC` reads the inode in memory
/// and never waits for a device or a server.
pub(crate) async fn size_and_type(file: Arc<std::fs::File>) -> io::Result<SizeAndType> {
    match route(ops::statx::CODE) {
        Route::Uring(_) => statx_now(&file),
        Route::Blocking => size_and_type_blocking(file).await,
    }
}

/// `ftruncate(2)`: truncates or extends the file to `len` bytes.
pub(crate) async fn set_len(file: Arc<std::fs::File>, len: u64) -> io::Result<()> {
    off_t(len)?;
    match route(ops::ftruncate::CODE) {
        Route::Uring(rings) => ops::ftruncate::set_len(rings, file, len).await,
        Route::Blocking => blocking(move || ops::ftruncate::blocking(&file, len)).await,
    }
}

/// `rename(2)`.
pub(crate) async fn rename(from: PathBuf, to: PathBuf) -> io::Result<()> {
    match route(ops::rename::CODE) {
        Route::Uring(rings) => ops::rename::rename(rings, &from, &to).await,
        Route::Blocking => blocking(move || ops::rename::blocking(&from, &to)).await,
    }
}

/// `unlink(2)`.
pub(crate) async fn remove_file(path: PathBuf) -> io::Result<()> {
    match route(ops::unlink::CODE) {
        Route::Uring(rings) => ops::unlink::unlink(rings, &path, false).await,
        Route::Blocking => blocking(move || ops::unlink::blocking(&path, false)).await,
    }
}

/// `rmdir(2)`.
pub(crate) async fn remove_dir(path: PathBuf) -> io::Result<()> {
    match route(ops::unlink::CODE) {
        Route::Uring(rings) => ops::unlink::unlink(rings, &path, true).await,
        Route::Blocking => blocking(move || ops::unlink::blocking(&path, true)).await,
    }
}

/// `mkdir(2)` with permission bits `mode` (before the umask).
pub(crate) async fn create_dir(path: PathBuf, mode: libc::mode_t) -> io::Result<()> {
    match route(ops::mkdir::CODE) {
        Route::Uring(rings) => ops::mkdir::mkdir(rings, &path, mode).await,
        Route::Blocking => blocking(move || ops::mkdir::blocking(&path, mode)).await,
    }
}

/// `link(2)`: a new name `dst` for the file `src`.
pub(crate) async fn hard_link(src: PathBuf, dst: PathBuf) -> io::Result<()> {
    match route(ops::link::CODE) {
        Route::Uring(rings) => ops::link::hard_link(rings, &src, &dst).await,
        Route::Blocking => blocking(move || ops::link::blocking(&src, &dst)).await,
    }
}

/// `symlink(2)`: a symbolic link at `dst` pointing to `src`.
pub(crate) async fn symlink(src: PathBuf, dst: PathBuf) -> io::Result<()> {
    match route(ops::symlink::CODE) {
        Route::Uring(rings) => ops::symlink::symlink(rings, &src, &dst).await,
        Route::Blocking => blocking(move || ops::symlink::blocking(&src, &dst)).await,
    }
}

/// Closes the file when this was its last reference: on the ring, batched and without waiting,
/// when io_uring is in use; else by dropping it (close(2) on the spot, as std).
///
/// Only for files opened read-only: a file open for writing must be closed before the call that
/// wrote it returns (exec of a file still open for writing fails with ETXTBSY).
pub(crate) fn close_in_background(file: Arc<std::fs::File>) {
    let Ok(file) = Arc::try_unwrap(file) else {
        return;
    };
    match route(ops::close::CODE) {
        Route::Uring(rings) => ops::close::close_detached(rings, file.into()),
        Route::Blocking => drop(file),
    }
}

/// What `open(2)` is asked for: the flags (access mode, `O_CREAT`..., always `O_CLOEXEC`) and the
/// permission bits of a created file. Built by [`OpenOptions`](super::OpenOptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenFlags {
    pub(crate) flags: libc::c_int,
    pub(crate) mode: libc::mode_t,
}

/// Opens `path`, as `open(2)` with `options` (std's `OpenOptions::open` makes the same call).
async fn open_blocking(path: PathBuf, options: OpenFlags) -> io::Result<std::fs::File> {
    blocking(move || ops::open::blocking(&path, options.flags, options.mode)).await
}

/// Runs `op` on the blocking pool with the buffer, and hands the buffer back with the result.
///
/// The buffer waits in a shared slot rather than inside the closure so that it comes back even
/// when the pool cancels the job before it starts (at runtime shutdown, which drops the
/// closure). If the caller's future is dropped meanwhile, the job keeps the slot, and with it
/// the buffer, alive until the system call has returned.
async fn with_buf<B, F>(buf: B, op: F) -> (io::Result<usize>, B)
where
    B: Send + 'static,
    F: FnOnce(&mut B) -> io::Result<usize> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Some(buf)));
    let job_slot = Arc::clone(&slot);
    let res = blocking(move || {
        let mut guard = job_slot.lock();
        let buf = guard
            .as_mut()
            .unwrap_or_else(|| unreachable!("only this job and its caller take the buffer"));
        Ok(op(buf))
    })
    .await;
    let buf = slot
        .lock()
        .take()
        .unwrap_or_else(|| unreachable!("the job returned the buffer to the slot"));
    match res {
        Ok(res) => (res, buf),
        Err(cancelled) => (Err(cancelled), buf),
    }
}

/// The file's size in bytes and its type (`statx`/`fstat`).
async fn size_and_type_blocking(file: Arc<std::fs::File>) -> io::Result<SizeAndType> {
    use std::os::unix::fs::FileTypeExt;
    blocking(move || {
        let meta = file.metadata()?;
        Ok(SizeAndType {
            size: meta.len(),
            regular: meta.is_file(),
            fifo: meta.file_type().is_fifo(),
        })
    })
    .await
}

/// Runs `f` on the blocking pool. A job the pool cancelled (at runtime shutdown) or that
/// panicked becomes an `io::Error` of kind `Other`, as in Tokio.
///
/// # Panics
/// Outside a runtime.
pub(crate) async fn blocking<F, R>(f: F) -> io::Result<R>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    match crate::task::spawn_blocking(f).await {
        Ok(res) => res,
        Err(_) => Err(background_task_failed()),
    }
}

/// The error an operation reports when the task or job running it ended without a result.
pub(crate) fn background_task_failed() -> io::Error {
    io::Error::other("background task failed")
}
