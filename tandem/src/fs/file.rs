//! `File`: an open file, as `tokio::fs::File`.
//!
//! Files of `file/`, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `file/buf.rs` | `Buf`: a `File`'s internal buffer, lent whole to each background read or write |
//! | `file/state.rs` | The state machine behind `File`'s `AsyncRead`, `AsyncWrite` and `AsyncSeek` |
//! | `file/positional.rs` | positional I/O with owned buffers (`pread(2)`/`pwrite(2)`): `read_at`, `write_at`, `read_exact_at`, `write_all_at` |
//!
//! The fd lives in an `Arc<std::fs::File>` shared with every operation in flight. Streaming I/O
//! (`AsyncRead`, `AsyncWrite`, `AsyncSeek`) goes through an internal buffer and the state machine
//! in `file/state.rs` (writes run as tasks of their own, reads as futures polled in place, seeks
//! inline); the positional methods in `file/positional.rs` bypass both.

mod buf;
mod positional;
mod state;

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, IoSlice, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use crate::sync::Mutex;

use self::state::{Inner, Operation};
use super::backend;
use super::OpenOptions;

/// The largest buffer a single background read or write uses, unless changed with
/// [`File::set_max_buf_size`]: 2 MiB, as Tokio.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// An open file: the asynchronous version of [`std::fs::File`], with Tokio's semantics.
///
/// Reads and writes go through an internal buffer of at most [`max_buf_size`](Self::max_buf_size)
/// bytes. A write returns as soon as the data is in the buffer, and the write to the kernel
/// happens in the background: call [`flush`](crate::io::AsyncWriteExt::flush) (or `sync_all`) to
/// wait for it and learn its error. A file dropped with a write in flight is closed when that
/// write ends. A read runs only while the file is polled (no task of its own); dropping the file
/// in the middle of one cancels it. A seek from the start or the current position is a direct
/// `lseek(2)` on the caller's thread (it never waits for a device or a server); a seek from the
/// end goes through the blocking pool, as the size may come from a network filesystem.
///
/// For positional I/O without the buffer or the file position, see [`read_at`](Self::read_at)
/// and [`write_at`](Self::write_at).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// use tandem::fs::File;
/// use tandem::io::{AsyncReadExt, AsyncWriteExt};
///
/// let path = std::env::temp_dir().join(format!("tandem-doc-file-{}", std::process::id()));
/// let mut file = File::create(&path).await?;
/// file.write_all(b"hello").await?;
/// file.flush().await?;
///
/// let mut contents = String::new();
/// File::open(&path).await?.read_to_string(&mut contents).await?;
/// assert_eq!(contents, "hello");
/// # tandem::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    inner: Mutex<Inner>,
    settings: Settings,
    /// Whether the file can seek (a regular file, a block device; not a pipe or a socket),
    /// learnt at the first positional call: `pread`/`pwrite` refuse the others with `ESPIPE`,
    /// where an io_uring read or write with an offset does not, and would read a FIFO or wait
    /// for it instead.
    seekable: std::sync::OnceLock<bool>,
}

/// What a `File` knows besides its fd and its buffer. Kept whole wherever a `File` is made from
/// another one (`try_clone`, `try_into_std`'s failure), so that no setting is lost on the way.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// The largest buffer one background read or write uses ([`File::set_max_buf_size`]).
    max_buf_size: usize,
    /// Opened with `O_DIRECT`: reads are never tried on the calling thread first
    /// (`Builder::fs_nowait_first`), since a direct read waits for the device even with
    /// `RWF_NOWAIT`. A property of the open file description, which clones share.
    direct_io: bool,
}

impl File {
    /// Opens a file for reading.
    ///
    /// # Errors
    /// As [`std::fs::File::open`] (`NotFound`, ...).
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it or truncating it.
    ///
    /// # Errors
    /// As [`std::fs::File::create`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a file for reading and writing, failing with `AlreadyExists` if it exists.
    ///
    /// # Errors
    /// As [`std::fs::File::create_new`].
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// A new [`OpenOptions`], as `OpenOptions::new()`.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a std file. Its position is where the next read or write happens.
    ///
    /// Asks the file's status flags once (`fcntl(F_GETFL)`): a file opened with `O_DIRECT` is
    /// never read on the calling thread first (see [`Builder::fs_nowait_first`]).
    ///
    /// [`Builder::fs_nowait_first`]: crate::runtime::Builder::fs_nowait_first
    pub fn from_std(std: std::fs::File) -> File {
        // SAFETY: a plain fcntl on an fd the std file owns.
        let flags = unsafe { libc::fcntl(std.as_raw_fd(), libc::F_GETFL) };
        // On failure (nothing an open fd gives), reads are tried inline as for any file.
        File::opened(std, flags.max(0))
    }

    /// Wraps a file just opened with `open(2)` flags `flags` (no system call to learn them).
    pub(crate) fn opened(std: std::fs::File, flags: libc::c_int) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner::new()),
            settings: Settings {
                max_buf_size: DEFAULT_MAX_BUF_SIZE,
                direct_io: flags & libc::O_DIRECT != 0,
            },
            seekable: std::sync::OnceLock::new(),
        }
    }

    /// Flushes, then waits until data and metadata reach the storage (`fsync(2)`).
    ///
    /// # Errors
    /// As [`std::fs::File::sync_all`]. An error of an earlier background write is kept for the
    /// next write or flush, as in Tokio.
    pub async fn sync_all(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        backend::fsync(Arc::clone(&self.std), false).await
    }

    /// Flushes, then waits until the data reaches the storage (`fdatasync(2)`).
    ///
    /// # Errors
    /// As [`std::fs::File::sync_data`].
    pub async fn sync_data(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        backend::fsync(Arc::clone(&self.std), true).await
    }

    /// Truncates or extends the file to `size` bytes, after the write in flight. The position is
    /// unchanged (it may end up past the end).
    ///
    /// # Errors
    /// As [`std::fs::File::set_len`] (`EINVAL` on a file not opened for writing).
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        inner.start_set_len(&self.std, size)?;
        match poll_fn(|cx| inner.poll_busy(cx)).await? {
            Operation::SetLen(res) => res,
            _ => unreachable!("the operation just started is a set_len"),
        }
    }

    /// The file's metadata. Does not wait for a write in flight (flush first for the length).
    ///
    /// # Errors
    /// As [`std::fs::File::metadata`].
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.metadata()).await
    }

    /// A new `File` for the same open file description (shared position), as `dup(2)`, with
    /// the same settings ([`max_buf_size`](Self::max_buf_size)).
    ///
    /// # Errors
    /// As [`std::fs::File::try_clone`] (`EMFILE`, ...).
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = Arc::clone(&self.std);
        let clone = backend::blocking(move || std.try_clone()).await?;
        Ok(File {
            std: Arc::new(clone),
            inner: Mutex::new(Inner::new()),
            settings: self.settings,
            seekable: self.seekable.clone(),
        })
    }

    /// Waits for the operation in flight, then returns the std file.
    ///
    /// An error of that operation is lost: flush first to see it.
    pub async fn into_std(self) -> std::fs::File {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_complete_inflight(cx)).await;
        drop(inner);
        let mut std = self.std;
        loop {
            match Arc::try_unwrap(std) {
                Ok(std) => return std,
                // A positional operation whose future was dropped still holds the fd until its
                // system call returns (it owns the fd, as it owns the buffer). It finishes on
                // its own; let it.
                Err(shared) => {
                    std = shared;
                    crate::task::yield_now().await;
                }
            }
        }
    }

    /// The std file, if no operation is in flight; otherwise the file back.
    ///
    /// # Errors
    /// Returns `self` while an operation (a background write, for instance) is in flight.
    // Tokio's signature: the error gives the (large) file back.
    #[allow(clippy::result_large_err)]
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        let idle = matches!(self.inner.get_mut().state, state::State::Idle(_));
        if !idle {
            return Err(self);
        }
        Arc::try_unwrap(self.std).map_err(|std| File {
            std,
            inner: self.inner,
            settings: self.settings,
            seekable: self.seekable,
        })
    }

    /// Changes the permission bits (`fchmod(2)`).
    ///
    /// # Errors
    /// As [`std::fs::File::set_permissions`].
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.set_permissions(perm)).await
    }

    /// Changes the access and modification times.
    ///
    /// # Errors
    /// As [`std::fs::File::set_times`].
    pub async fn set_times(&self, times: super::FileTimes) -> io::Result<()> {
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.set_times(times)).await
    }

    /// Changes the modification time.
    ///
    /// # Errors
    /// As [`std::fs::File::set_modified`].
    pub async fn set_modified(&self, time: std::time::SystemTime) -> io::Result<()> {
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.set_modified(time)).await
    }

    /// Sets the largest buffer one background read or write uses (2 MiB by default).
    ///
    /// # Panics
    /// If `max_buf_size` is 0.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        self.settings.max_buf_size = max_buf_size;
    }

    /// The largest buffer one background read or write uses.
    pub fn max_buf_size(&self) -> usize {
        self.settings.max_buf_size
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let Settings {
            max_buf_size,
            direct_io,
        } = me.settings;
        me.inner
            .get_mut()
            .poll_read(cx, &me.std, max_buf_size, direct_io, dst)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let max = me.settings.max_buf_size;
        me.inner
            .get_mut()
            .poll_write(cx, &me.std, |buf| buf.copy_from(src, max))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let max = me.settings.max_buf_size;
        me.inner
            .get_mut()
            .poll_write(cx, &me.std, |buf| buf.copy_from_bufs(bufs, max))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let me = self.get_mut();
        me.inner.get_mut().start_seek(&me.std, pos)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().inner.get_mut().poll_complete(cx)
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl From<OwnedFd> for File {
    fn from(fd: OwnedFd) -> File {
        File::from_std(std::fs::File::from(fd))
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl FromRawFd for File {
    /// # Safety
    /// As [`std::fs::File::from_raw_fd`]: `fd` is an open file descriptor this call takes
    /// ownership of.
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller gives us ownership of an open `fd` (this function's contract).
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}

impl fmt::Debug for File {
    /// Tokio's format, name included (`tokio::fs::File { std: File { fd: .. } }`): code that
    /// moved from Tokio, and Tokio's own tests, match on it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tokio::fs::File")
            .field("std", &self.std)
            .finish()
    }
}
