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
//! pool, with the cause counted in the runtime's metrics. Each opcode's file in `rt/uring/ops/`
//! is a call with both halves ([`Call`], or [`BufCall`] for a read or a write), so routing one is
//! a line here: [`run`] (or [`run_on`] with a route already asked for, [`run_buf_on`] for a
//! buffer, which comes back even from a cancelled job). Two are not calls: the size query's
//! io_uring half is inline (`size_and_type`), and a close's blocking half is a drop. Before the
//! route, a read, an open and the size query may be served on the polling thread itself, when
//! they need no waiting (`backend/inline.rs`); a FIFO's open is made to wait for its peer in
//! `backend/fifo.rs`.
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
use crate::rt::uring::ops::fsync::Fsync;
use crate::rt::uring::ops::ftruncate::Ftruncate;
use crate::rt::uring::ops::link::Link;
use crate::rt::uring::ops::mkdir::MkDir;
use crate::rt::uring::ops::open::Open;
use crate::rt::uring::ops::read::Read;
use crate::rt::uring::ops::rename::Rename;
use crate::rt::uring::ops::statx::{self, SizeAndType};
use crate::rt::uring::ops::symlink::Symlink;
use crate::rt::uring::ops::unlink::Unlink;
use crate::rt::uring::ops::write::Write;
use crate::rt::uring::ops::{self, off_t, BufCall, Call};
use crate::rt::uring::{InlineCall, Route};

mod fifo;
mod inline;

use inline::{open_nowait, read_nowait, statx_now};

/// Runs `call` where the current runtime sends its opcode: through io_uring, or on the blocking
/// pool.
///
/// # Panics
/// Outside a runtime (as `spawn_blocking`).
async fn run<C: Call>(call: C) -> io::Result<C::Output> {
    run_on(route(C::CODE), call).await
}

/// Runs `call` by `route`, which was asked for its opcode.
async fn run_on<C: Call>(route: Route, call: C) -> io::Result<C::Output> {
    match route {
        Route::Uring(uring) => call.via_uring(uring).await,
        Route::Blocking => blocking(move || call.blocking()).await,
    }
}

/// Runs the buffer's `call` by `route`, which was asked for its opcode, and hands the buffer
/// back with the result.
///
/// On the blocking pool the call waits in a shared slot rather than inside the job's closure so
/// that its buffer comes back even when the pool drops the job before it starts (at runtime
/// shutdown). If the caller's future is dropped meanwhile, the job keeps the slot, and with it
/// the buffer, alive until the system call has returned.
async fn run_buf_on<C: BufCall>(route: Route, call: C) -> (io::Result<usize>, C::Buf) {
    if let Route::Uring(uring) = route {
        return call.via_uring(uring).await;
    }
    let slot = Arc::new(Mutex::new(Some(call)));
    let job_slot = Arc::clone(&slot);
    let res = blocking(move || {
        let mut guard = job_slot.lock();
        let call = guard
            .as_mut()
            .unwrap_or_else(|| unreachable!("only this job and its caller take the call"));
        Ok(call.blocking())
    })
    .await;
    let call = slot
        .lock()
        .take()
        .unwrap_or_else(|| unreachable!("the job returned the call to the slot"));
    (res.and_then(|res| res), call.into_buf())
}

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

/// True if opens go through io_uring in the current runtime. A composite call (`fs::read`:
/// open, statx, reads) asks first: on the blocking pool it runs whole, in one job, rather than
/// as one job per step, each a round trip between threads.
pub(crate) fn opens_through_uring() -> bool {
    matches!(route(Open::CODE), Route::Uring(_))
}

/// Opens `path`, as `open(2)` with `options` (std's `OpenOptions::open` makes the same call).
pub(crate) async fn open(path: PathBuf, options: OpenFlags) -> io::Result<std::fs::File> {
    let opened = open_first(&path, options).await?;
    if opened.may_need_writer && fifo::is_pipe(&opened.file) {
        fifo::wait_for_writer(&opened.file, &path).await?;
    }
    Ok(opened.file)
}

/// Opens `path` with std's `options` on the blocking pool (options made from a
/// `std::fs::OpenOptions`, whose flags cannot be read back). std's `open` waits for a FIFO's peer
/// itself.
pub(crate) async fn open_std(
    path: PathBuf,
    options: std::fs::OpenOptions,
) -> io::Result<std::fs::File> {
    blocking(move || options.open(path)).await
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
        let route = uring.route(Open::CODE);
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
    let call = |path: &Path| Open {
        path: path.to_owned(),
        flags: options.flags,
        mode: options.mode,
    };
    match served {
        Ok(file) => Ok(early(file)),
        Err(Route::Uring(uring)) => match call(path).via_uring(uring).await {
            Ok(file) => Ok(early(file)),
            Err(e) if fifo::needs_reader(options, &e) => run_on(Route::Blocking, call(path))
                .await
                .map(opened_blocking),
            Err(e) => Err(e),
        },
        Err(Route::Blocking) => run_on(Route::Blocking, call(path))
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
    buf: B,
    buf_start: usize,
    offset: Option<u64>,
    direct_io: bool,
) -> (io::Result<usize>, B) {
    let mut call = Read::new(file, buf, buf_start, offset);
    if let Some(Err(e)) = offset.map(off_t) {
        return (Err(e), call.into_buf());
    }
    // With the budget spent, the route's read makes the task yield (its `Op` returns
    // `Pending`); an inline read would let a task reading in a loop starve its worker. The
    // route is taken only if the inline read did not serve: it counts fallbacks.
    let served = with_uring(|uring| {
        if !direct_io && uring.nowait_first() && crate::rt::coop::has_budget_remaining() {
            let (file, buf, buf_start, offset) = call.parts();
            if let Some(n) = read_nowait(file, buf, buf_start, offset) {
                crate::rt::coop::spend();
                uring.count_inline(InlineCall::Read);
                return Ok(n);
            }
        }
        Err(uring.route(Read::<B>::CODE))
    });
    match served {
        Ok(n) => (Ok(n), call.into_buf()),
        Err(route) => run_buf_on(route, call).await,
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
    let call = Write::new(file, buf, buf_start, offset);
    if let Some(Err(e)) = offset.map(off_t) {
        return (Err(e), call.into_buf());
    }
    run_buf_on(route(Write::<B>::CODE), call).await
}

/// `fsync(2)`, or `fdatasync(2)` if `data_only`.
pub(crate) async fn fsync(file: Arc<std::fs::File>, data_only: bool) -> io::Result<()> {
    run(Fsync { file, data_only }).await
}

/// The file's size in bytes and its type (`statx`).
///
/// With io_uring this is a `statx` on the worker thread itself, not `IORING_OP_STATX`
/// (`rt/uring/ops/statx.rs` says why).
pub(crate) async fn size_and_type(file: Arc<std::fs::File>) -> io::Result<SizeAndType> {
    match route(statx::CODE) {
        Route::Uring(_) => statx_now(&file),
        Route::Blocking => blocking(move || statx::blocking(&file)).await,
    }
}

/// `ftruncate(2)`: truncates or extends the file to `len` bytes.
pub(crate) async fn set_len(file: Arc<std::fs::File>, len: u64) -> io::Result<()> {
    // std's error for a length `off_t` cannot hold: the conversion's, as `InvalidInput`.
    i64::try_from(len).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    run(Ftruncate { file, len }).await
}

/// `rename(2)`.
pub(crate) async fn rename(from: PathBuf, to: PathBuf) -> io::Result<()> {
    run(Rename { from, to }).await
}

/// `unlink(2)`.
pub(crate) async fn remove_file(path: PathBuf) -> io::Result<()> {
    run(Unlink { path, dir: false }).await
}

/// `rmdir(2)`.
pub(crate) async fn remove_dir(path: PathBuf) -> io::Result<()> {
    run(Unlink { path, dir: true }).await
}

/// `mkdir(2)` with permission bits `mode` (before the umask).
pub(crate) async fn create_dir(path: PathBuf, mode: libc::mode_t) -> io::Result<()> {
    run(MkDir { path, mode }).await
}

/// `link(2)`: a new name `dst` for the file `src`.
pub(crate) async fn hard_link(src: PathBuf, dst: PathBuf) -> io::Result<()> {
    run(Link { src, dst }).await
}

/// `symlink(2)`: a symbolic link at `dst` pointing to `src`.
pub(crate) async fn symlink(src: PathBuf, dst: PathBuf) -> io::Result<()> {
    run(Symlink {
        target: src,
        link: dst,
    })
    .await
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
        Route::Uring(uring) => ops::close::close_detached(uring, file.into()),
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
