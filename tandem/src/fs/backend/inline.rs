//! The calls `fs` makes on the polling thread itself, no operation created, when they need no
//! waiting: io_uring's own inline attempts, made before the ring's bookkeeping
//! (`Builder::fs_nowait_first`; `docs/URING-OPS.md`, "Choosing the backend", gives the rules and
//! the measurements).
//!
//! - [`read_nowait`]: `preadv2(2)` with `RWF_NOWAIT`, what the page cache holds;
//! - [`open_nowait`]: `openat2(2)` with `RESOLVE_CACHED | O_NONBLOCK`, a path walk in the dentry
//!   cache;
//! - [`statx_now`]: `statx(2)` of an open fd with `AT_STATX_DONT_SYNC`, the inode in memory
//!   (instead of `IORING_OP_STATX`, which the kernel always punts to its workers).
//!
//! Each says only whether it served; on any failure the route's call runs and reports errors
//! exactly as it would have.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

use super::OpenFlags;
use crate::loom::sync::atomic::Ordering;
use crate::rt::uring::buf::IoBufMut;
use crate::rt::uring::ops::statx::SizeAndType;
use crate::rt::uring::ops::{self, cstring, off_t};

/// The open of [`open`](super::open) done here and now if it needs no waiting, as io_uring's own
/// inline attempt does it: `openat2(2)` with `RESOLVE_CACHED` (the path walk uses only the dentry
/// cache and fails with `EAGAIN` rather than read a directory from the device) and `O_NONBLOCK` (an
/// open that would wait for a lease break fails instead; a FIFO's open does not wait for its peer,
/// see `backend/fifo.rs`), which is then cleared again unless asked for. Never for `O_CREAT`,
/// `O_TRUNC` or `O_TMPFILE`: creating and truncating may wait on the journal (io_uring always punts
/// those to its workers). Never for `O_ASYNC` either: `fcntl(F_SETFL)` would either drop the flag
/// `open(2)` keeps, or, kept, set up signal-driven I/O, which `open(2)` does not. On any failure
/// the route's open runs and reports errors exactly as it would have; the error says only where to
/// go (`fifo::needs_reader`).
pub(super) fn open_nowait(path: &Path, options: OpenFlags) -> io::Result<std::fs::File> {
    // std's atomic, not the shim's: a once-per-process fact in a static (loom's atomics cannot
    // be built in a const context), part of no cross-thread protocol.
    static OPENAT2_MISSING: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);
    let never = libc::O_CREAT | libc::O_TRUNC | libc::O_TMPFILE | libc::O_ASYNC;
    if options.flags & never != 0 || OPENAT2_MISSING.load(Ordering::Relaxed) {
        return Err(io::ErrorKind::Unsupported.into());
    }
    let path = cstring(path)?;
    // SAFETY: `open_how` is plain old data; all zeroes is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (options.flags | libc::O_NONBLOCK) as u64;
    how.resolve = libc::RESOLVE_CACHED;
    // SAFETY: a NUL-terminated path and an `open_how` of the size passed, both live for the
    // whole call; the kernel only reads them.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) {
            // Before Linux 5.6: never again in this process.
            OPENAT2_MISSING.store(true, Ordering::Relaxed);
        }
        return Err(err);
    }
    // SAFETY: `openat2` just returned this fd, so nothing else owns it; the File takes it (and
    // closes it if we give up below).
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd as RawFd) };
    if options.flags & libc::O_NONBLOCK == 0 {
        // F_SETFL sets O_APPEND, O_DIRECT, O_NOATIME, O_ASYNC and O_NONBLOCK together: keep the
        // first three as opened (O_ASYNC is never asked for here).
        let keep = options.flags & (libc::O_APPEND | libc::O_DIRECT | libc::O_NOATIME);
        // SAFETY: a plain fcntl on an fd we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, keep) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file)
}

/// The read of [`read_into`](super::read_into) done here and now if it needs no waiting:
/// `preadv2(2)` with `RWF_NOWAIT`, which copies what the page cache holds and returns `EAGAIN`
/// instead of starting device I/O and sleeping (it does start readahead, so the ring's read that
/// follows finds the pages on their way). `None` when the read would block, or for any error: the
/// io_uring or blocking-pool read then runs and reports the error exactly as it would have
/// (`EOPNOTSUPP` from a file system without non-blocking reads, `ESPIPE`, `EBADF`, ...), so results
/// never depend on this path.
///
/// Why: a cached 4 KiB read costs one system call here, against a submission, a completion, a
/// wake and a second poll of the task through the ring (or a round trip to a blocking thread).
/// io_uring itself tries the same non-blocking read inline before it punts a request to its
/// workers, so this only skips the bookkeeping around a read that was going to complete at once.
pub(super) fn read_nowait<B: IoBufMut>(
    file: &std::fs::File,
    buf: &mut B,
    buf_start: usize,
    offset: Option<u64>,
) -> Option<usize> {
    let len = (buf.bytes_total() - buf_start).min(ops::MAX_RW);
    // -1: at the file position, which the read then advances (as read(2)).
    let offset = match offset {
        Some(offset) => off_t(offset).ok()?,
        None => -1,
    };
    let iov = libc::iovec {
        // SAFETY: `buf_start <= bytes_total` (the caller asserted it), so the pointer is inside
        // the buffer's writable memory or one past its end.
        iov_base: unsafe { buf.stable_mut_ptr().add(buf_start) }.cast(),
        iov_len: len,
    };
    // SAFETY: the iovec names `len` writable bytes of `buf` (`IoBufMut`'s contract), which we
    // borrow mutably for the whole call; the kernel writes nothing after it returns.
    let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, offset, libc::RWF_NOWAIT) };
    let n = usize::try_from(n).ok()?;
    // SAFETY: the kernel initialised `n <= len` bytes at `buf_start`, and `buf_start` is inside
    // or at the end of the initialised part (the caller's contract).
    unsafe { buf.set_init(buf_start + n) };
    Some(n)
}

/// `statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_SIZE | STATX_TYPE)`, inline.
pub(super) fn statx_now(file: &std::fs::File) -> io::Result<SizeAndType> {
    // SAFETY: `statx` is plain old data; all zeroes is a valid value.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a valid fd we hold, a static empty C string, and a buffer that outlives the call.
    let rc = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_STATX_DONT_SYNC,
            libc::STATX_SIZE | libc::STATX_TYPE,
            &mut buf,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let kind = u32::from(buf.stx_mode) & libc::S_IFMT;
    Ok(SizeAndType {
        size: buf.stx_size,
        regular: kind == libc::S_IFREG,
        fifo: kind == libc::S_IFIFO,
    })
}
