//! Opens of FIFOs through io_uring, made to wait for the FIFO's peer as `open(2)` does.
//!
//! io_uring first tries an open without blocking, with `O_NONBLOCK` forced (and so does
//! `fs_nowait_first`'s inline try, which mirrors it), and hands the open to a worker that may
//! block only if that attempt fails with `EAGAIN`. For a FIFO, `O_NONBLOCK` changes what the
//! open *does*, not only whether it may wait:
//! - write-only with no reader: `ENXIO`, which io_uring reports as the result, where `open(2)`
//!   waits for a reader;
//! - read-only with no writer: success at once, where `open(2)` waits for a writer (reads then
//!   wait for data through io_uring, or find end-of-file through `read(2)`).
//!
//! Nothing else about a FIFO differs: a read-write open never waits (Linux), and io_uring skips
//! the non-blocking attempt for `O_CREAT`, `O_TRUNC` and `O_TMPFILE`, whose worker waits as
//! `open(2)` does. Whether a path is a FIFO is known only once it is open, so both cases are put
//! right after the open, at no cost to other files where possible:
//! 1. Write-only, `ENXIO`: the open is done again with `open(2)` on the blocking pool, which
//!    waits for a reader (and fails with `ENXIO` again where that is the real answer: a socket,
//!    a device without its driver). Costs nothing to an open that succeeds.
//! 2. Read-only, success: is it a pipe? `fs::read` knows from the `statx` it makes anyway;
//!    `OpenOptions::open` asks with one `fcntl(F_GETPIPE_SZ)` (the cheapest call that tells a
//!    pipe from the rest: no attributes read or copied; `docs/URING-OPS.md` gives its cost
//!    next to an open's). A FIFO then waits in [`wait_for_writer`].

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use super::{blocking, OpenFlags};
use crate::io::unix::AsyncFd;
use crate::rt::reactor::Interest;
use crate::rt::uring::ops::cstring;

/// The peer `open(2)` waits for, if the path is a FIFO, where io_uring's non-blocking first
/// attempt does not wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Peer {
    /// The open waits for nothing, or io_uring waits exactly as `open(2)`: `O_NONBLOCK` asked
    /// for; read-write; `O_CREAT`, `O_TRUNC`, `O_TMPFILE` (io_uring's worker opens them);
    /// `O_PATH` (opens no FIFO end); `O_DIRECTORY` (a FIFO fails with `ENOTDIR` anyway).
    Nothing,
    /// Read-only: `open(2)` waits for a writer.
    Writer,
    /// Write-only: `open(2)` waits for a reader.
    Reader,
}

impl Peer {
    pub(super) fn of(options: OpenFlags) -> Peer {
        let not_affected = libc::O_NONBLOCK
            | libc::O_CREAT
            | libc::O_TRUNC
            | libc::O_PATH
            // Part of O_TMPFILE too.
            | libc::O_DIRECTORY;
        if options.flags & not_affected != 0 {
            return Peer::Nothing;
        }
        match options.flags & libc::O_ACCMODE {
            libc::O_RDONLY => Peer::Writer,
            libc::O_WRONLY => Peer::Reader,
            _ => Peer::Nothing,
        }
    }
}

/// Whether a failed non-blocking open is a write-only FIFO open that found no reader: `open(2)`
/// would wait for one.
pub(super) fn needs_reader(options: OpenFlags, err: &io::Error) -> bool {
    Peer::of(options) == Peer::Reader && err.raw_os_error() == Some(libc::ENXIO)
}

/// Whether `file` is a pipe or a FIFO: `fcntl(F_GETPIPE_SZ)` succeeds on those alone (it fails
/// with `EBADF` on anything else, without looking at the file's attributes).
pub(super) fn is_pipe(file: &std::fs::File) -> bool {
    // SAFETY: a plain fcntl on an fd we hold; it reads nothing from our memory.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETPIPE_SZ) >= 0 }
}

/// Waits until `open(2)` of the FIFO `fifo` for reading would have returned: until a writer has
/// opened the FIFO since `fifo` was opened, or at once if one has it open. `fifo` was opened for
/// reading by io_uring's non-blocking first attempt (or the inline try), which did not wait;
/// `fifo` itself is the file the caller gets once a writer has come.
///
/// Whether a writer has come can be seen at any moment ([`writer_has_been`]): one has the FIFO
/// open, or wrote (the data waits), or came and went (a hang-up). When one *comes* is harder:
/// its open wakes no poller of the FIFO (`poll` reports data and hang-ups, not arrivals), only
/// readers blocked in `open(2)`. But every open of the FIFO is an inotify `IN_OPEN` event of its
/// inode. So:
/// 1. Look; if a writer has been, done (the common case, the writer there first, stops here).
/// 2. Watch the FIFO's inode (through `/proc/self/fd`, so the very FIFO `fifo` is) for opens,
///    writes and closes, then look again, then after every event: a writer that comes after
///    the look is an event. Waiting is a readiness wait in the reactor: no thread, and dropping
///    the future ends it with nothing left behind.
///
/// Without inotify for this (no `/proc`, the per-user limit of inotify instances reached), the
/// wait is a blocking open on the pool instead ([`wait_on_pool`]), with the flaws written there.
///
/// Not used: a blocking open (of the same FIFO, through io_uring so that it can be cancelled)
/// raced with the FIFO's readiness. When the readiness wins, the open must be taken back, and
/// the kernel does that asynchronously (a cancel interrupts the io-wq worker some time later,
/// milliseconds under load): until then it is a reader of the FIFO, the next writer can meet it
/// instead of the caller's next open, and that writer's data goes when it is closed (seen in a
/// stress run of `tests/fs_fifo_open_waits_for_peer.rs`).
///
/// # Errors
/// A failure to wait: no descriptor left, a runtime shutting down.
pub(super) async fn wait_for_writer(fifo: &std::fs::File, path: &Path) -> io::Result<()> {
    if writer_has_been(fifo)? {
        return Ok(());
    }
    let watch = match watch_opens(fifo) {
        Ok(watch) => AsyncFd::with_interest(watch, Interest::READABLE)?,
        Err(_) => {
            // The job owns a duplicate: the caller's fd may be closed (its future dropped)
            // while the job still names it.
            let fifo = fifo.try_clone()?;
            let path = path.to_owned();
            return blocking(move || wait_on_pool(&fifo, &path)).await;
        }
    };
    loop {
        if writer_has_been(fifo)? {
            return Ok(());
        }
        let mut events = watch.readable().await?;
        // The events only say when to look again: drain them (until `WouldBlock`, which clears
        // the readiness), then look.
        loop {
            match events.try_io(|watch| read_events(watch.get_ref())) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => break,
            }
        }
    }
}

/// An inotify instance watching the FIFO `fifo` is for opens, writes and closes after writing.
/// `IN_OPEN` is the one that matters (a writer's arrival); since Linux 6.10 every open reports
/// it, before only `open(2)` and its kin, not io_uring's: the other two then still catch a writer
/// that writes or leaves.
fn watch_opens(fifo: &std::fs::File) -> io::Result<OwnedFd> {
    // SAFETY: no arguments but flags.
    let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `inotify_init1` just returned this fd; nothing else owns it.
    let watch = unsafe { OwnedFd::from_raw_fd(fd) };
    let same_fifo = cstring(Path::new(&format!("/proc/self/fd/{}", fifo.as_raw_fd())))?;
    let mask = libc::IN_OPEN | libc::IN_MODIFY | libc::IN_CLOSE_WRITE;
    // SAFETY: a NUL-terminated path that outlives the call, and an fd we own.
    if unsafe { libc::inotify_add_watch(watch.as_raw_fd(), same_fifo.as_ptr(), mask) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(watch)
}

/// Reads (and forgets) the events queued on an inotify fd; `WouldBlock` once there are none.
fn read_events(watch: &OwnedFd) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is writable for its length for the whole call.
        let n = unsafe { libc::read(watch.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The wait of [`wait_for_writer`] without inotify, on a blocking-pool thread: look, then at
/// once a blocking open of the FIFO for reading, which returns when a writer has it open or
/// opens it. The open goes through `/proc/self/fd`, so it opens the very FIFO `fifo` is; without
/// `/proc`, `path`. The file it opens is closed at once.
///
/// Its flaws, which the inotify wait does not have: a writer that opens, writes and closes in
/// the microseconds between the look and the open (more if this thread is preempted there) is
/// noticed only when the next writer comes (its data waits in the FIFO, which `fifo` keeps); and
/// an open dropped meanwhile cannot take this `open(2)` back (nor can Tokio's, nor ours under
/// `UringMode::Off`): it waits for the next writer as a reader of the FIFO.
fn wait_on_pool(fifo: &std::fs::File, path: &Path) -> io::Result<()> {
    let same_fifo = cstring(Path::new(&format!("/proc/self/fd/{}", fifo.as_raw_fd())))?;
    let path = cstring(path)?;
    let mut through_proc = true;
    loop {
        if writer_has_been(fifo)? {
            return Ok(());
        }
        let via = if through_proc { &same_fifo } else { &path };
        // SAFETY: a NUL-terminated path that outlives the call; open reads nothing else.
        let fd = unsafe { libc::open(via.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd >= 0 {
            // SAFETY: `open` just returned this fd; nothing else owns it, it is closed here.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            // Interrupted: look again, then open again.
            Some(libc::EINTR) => {}
            // No /proc.
            Some(libc::ENOENT) if through_proc => through_proc = false,
            _ => return Err(err),
        }
    }
}

/// Whether `open(2)` of the FIFO `fifo` for reading, had it started when `fifo` was opened,
/// would have returned by now: a writer has the FIFO open (it may have been there all along),
/// or has written (its data waits), or has come and gone (a hang-up).
///
/// Looking for the data or the hang-up alone is not enough: a writer that was waiting for a
/// reader when `fifo` was opened is woken by that open, and may write and close between this
/// check and a blocking open that follows it, which would then wait for the next writer.
fn writer_has_been(fifo: &std::fs::File) -> io::Result<bool> {
    Ok(writer_there_or_data(fifo)? || data_or_hang_up(fifo)?)
}

/// Whether `fifo` holds data or a writer has it open now, without consuming anything: `tee(2)`
/// into a scratch pipe copies what the FIFO holds and leaves it there; with nothing to copy and
/// `SPLICE_F_NONBLOCK`, it fails with `EAGAIN` if a writer could still write, and returns 0 if
/// none has the FIFO open.
fn writer_there_or_data(fifo: &std::fs::File) -> io::Result<bool> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `pipe2` just created both fds; each is owned once, here.
    let (_scratch_read, scratch_write) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    loop {
        // SAFETY: two fds we hold; tee reads nothing from our memory.
        let n = unsafe {
            libc::tee(
                fifo.as_raw_fd(),
                scratch_write.as_raw_fd(),
                1,
                libc::SPLICE_F_NONBLOCK,
            )
        };
        if n >= 0 {
            return Ok(n > 0);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EAGAIN) => return Ok(true),
            Some(libc::EINTR) => {}
            _ => return Err(err),
        }
    }
}

/// Whether `fifo` has data or reports a hang-up: the kernel reports one to a FIFO's reader only
/// once a writer has come and gone since that reader's open.
fn data_or_hang_up(fifo: &std::fs::File) -> io::Result<bool> {
    let mut pollfd = libc::pollfd {
        fd: fifo.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one pollfd that outlives the call; a zero timeout.
        if unsafe { libc::poll(&mut pollfd, 1, 0) } >= 0 {
            return Ok(pollfd.revents & (libc::POLLIN | libc::POLLHUP) != 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
