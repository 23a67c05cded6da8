//! `read_dir`: a directory's entries, read on the blocking pool in chunks of 32 per trip, as
//! Tokio does, so a large directory costs one hop per 32 entries rather than one per entry.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::os::unix::fs::DirEntryExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};

use super::backend;

/// How many entries one trip to the blocking pool reads.
const CHUNK_SIZE: usize = 32;

/// Entries read ahead, the std iterator, and whether it may have more.
type Chunk = (VecDeque<io::Result<DirEntry>>, std::fs::ReadDir, bool);

/// A trip to the blocking pool for the next chunk. In a `Mutex` only so that `ReadDir` is `Sync`
/// like Tokio's; it is reached through `&mut` (`get_mut`), never locked.
type Pending = Mutex<Pin<Box<dyn Future<Output = io::Result<Chunk>> + Send>>>;

/// Opens the directory at `path` for reading its entries (without `.` and `..`).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let mut entries = tandem::fs::read_dir(std::env::temp_dir()).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     let _name = entry.file_name();
/// }
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// As [`std::fs::read_dir`] (`NotFound`, `NotADirectory`, ...).
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let chunk = backend::blocking(move || {
        let mut std = std::fs::read_dir(path)?;
        let mut entries = VecDeque::with_capacity(CHUNK_SIZE);
        let more = next_chunk(&mut entries, &mut std);
        Ok((entries, std, more))
    })
    .await?;
    Ok(ReadDir(State::Idle(Some(chunk))))
}

/// The entries of a directory, from [`read_dir`].
pub struct ReadDir(State);

enum State {
    /// `None` only while a chunk is being fetched (briefly, within `poll_next_entry`).
    Idle(Option<Chunk>),
    Pending(Pending),
    /// The blocking pool dropped a fetch (at runtime shutdown), and the std iterator with it.
    Lost,
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    ///
    /// # Errors
    /// An error reading the directory; the iteration may go on after it.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` at the end.
    ///
    /// Only the waker of the most recent call is woken.
    ///
    /// # Errors
    /// An error reading the directory; the iteration may go on after it.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.0 {
                State::Idle(chunk) => {
                    let (entries, _, more) = chunk
                        .as_mut()
                        .unwrap_or_else(|| unreachable!("a chunk is put back before returning"));
                    if let Some(entry) = entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if !*more {
                        return Poll::Ready(Ok(None));
                    }
                    let (mut entries, mut std, _) = chunk
                        .take()
                        .unwrap_or_else(|| unreachable!("checked just above"));
                    let fetch = backend::blocking(move || {
                        let more = next_chunk(&mut entries, &mut std);
                        Ok((entries, std, more))
                    });
                    self.0 = State::Pending(Mutex::new(Box::pin(fetch)));
                }
                State::Lost => return Poll::Ready(Ok(None)),
                State::Pending(fetch) => {
                    let fetch = fetch.get_mut().unwrap_or_else(PoisonError::into_inner);
                    let chunk = ready!(fetch.as_mut().poll(cx));
                    match chunk {
                        Ok(chunk) => self.0 = State::Idle(Some(chunk)),
                        Err(e) => {
                            // The pool dropped the job (at shutdown), and the iterator with it.
                            self.0 = State::Lost;
                            return Poll::Ready(Err(e));
                        }
                    }
                }
            }
        }
    }
}

/// Moves up to `CHUNK_SIZE` entries from `std` into `entries`; stops after an error so that it
/// reaches the caller in order. Returns whether `std` may have more.
fn next_chunk(entries: &mut VecDeque<io::Result<DirEntry>>, std: &mut std::fs::ReadDir) -> bool {
    for _ in 0..CHUNK_SIZE {
        let Some(entry) = std.next() else {
            return false;
        };
        let ok = entry.is_ok();
        entries.push_back(entry.map(|std| DirEntry {
            // Usually known from the directory itself (`d_type`), so fetched here for free
            // rather than by a later trip to the pool.
            file_type: std.file_type().ok(),
            std: Arc::new(std),
        }));
        if !ok {
            break;
        }
    }
    true
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir").finish_non_exhaustive()
    }
}

/// An entry of a directory, from [`ReadDir`].
#[derive(Debug)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The full path: the directory given to [`read_dir`] joined with [`file_name`](Self::file_name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number (`d_ino`).
    pub fn ino(&self) -> u64 {
        self.std.ino()
    }

    /// The entry's metadata, not following a symbolic link.
    ///
    /// # Errors
    /// As [`std::fs::DirEntry::metadata`] (`NotFound` if the entry was removed meanwhile).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.metadata()).await
    }

    /// The entry's type, not following a symbolic link; usually known without a system call.
    ///
    /// # Errors
    /// As [`std::fs::DirEntry::file_type`].
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        backend::blocking(move || std.file_type()).await
    }
}
