//! `read` and `read_to_string`: a whole file into memory.
//!
//! As `std::fs::read`: the buffer is sized from the file's length up front, then filled by reads
//! at the file position until one returns 0. When the buffer is exactly full, a small probe read
//! checks for the end instead of doubling the buffer (the length can be wrong: files in `/proc`
//! report 0, and a file may grow meanwhile).
//!
//! One read fewer than std for a regular file: the buffer gets room for the probe too, so the
//! first read asks for `size + PROBE_LEN` bytes. If it returns exactly `size` bytes, it stopped at
//! the end of the file (a read of a regular file is short only at its end), which is what std's
//! extra read returning 0 would have said. Anything else falls back to std's loop.

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::backend;
use super::OpenOptions;

/// How much a probe read asks for, when the buffer is full and the file may have more.
const PROBE_LEN: usize = 32;

/// How much the buffer grows by at least, once the file proved longer than its size said.
const MIN_GROWTH: usize = 8 * 1024;

/// `read` opens the file itself, without `O_DIRECT`: its reads may be tried inline.
const DIRECT_IO: bool = false;

/// Reads the whole file at `path`.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("tandem-doc-read-{}", std::process::id()));
/// tandem::fs::write(&path, [1, 2, 3]).await?;
/// assert_eq!(tandem::fs::read(&path).await?, [1, 2, 3]);
/// # tandem::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// As [`std::fs::read`].
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    if !backend::opens_through_uring() {
        let path = path.as_ref().to_owned();
        return backend::blocking(move || std::fs::read(path)).await;
    }
    let flags = OpenOptions::new().read(true).open_flags()?;
    // std ignores a failed size query too: the reads below still find the end.
    let (file, stat) = backend::open_sized(path.as_ref().to_owned(), flags).await?;
    let size = stat.and_then(|stat| usize::try_from(stat.size).ok());
    let regular_size = stat.and_then(|stat| stat.regular.then_some(size).flatten());
    let capacity = match regular_size {
        Some(size) => size.saturating_add(PROBE_LEN),
        None => size.unwrap_or(0),
    };
    let mut buf = Vec::new();
    buf.try_reserve_exact(capacity)
        .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
    if let Some(size) = regular_size {
        let (res, back) = backend::read_into(Arc::clone(&file), buf, 0, None, DIRECT_IO).await;
        buf = back;
        let n = res?;
        if n == 0 || (n == size && n < buf.capacity()) {
            // Exact capacity, as std gives (shrinking in place frees the probe's room).
            buf.shrink_to_fit();
            backend::close_in_background(file);
            return Ok(buf);
        }
    }
    read_to_end(file, buf).await
}

/// Reads the whole file at `path` as UTF-8.
///
/// # Errors
/// As [`std::fs::read_to_string`]: `InvalidData` if the contents are not UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let bytes = read(path).await?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Reads from the file position until a read returns 0, appending to `buf`.
async fn read_to_end(file: Arc<std::fs::File>, mut buf: Vec<u8>) -> io::Result<Vec<u8>> {
    loop {
        if buf.len() == buf.capacity() {
            let probe = Vec::with_capacity(PROBE_LEN);
            let (res, probe) =
                backend::read_into(Arc::clone(&file), probe, 0, None, DIRECT_IO).await;
            if res? == 0 {
                return Ok(buf);
            }
            buf.reserve(buf.len().max(MIN_GROWTH));
            buf.extend_from_slice(&probe);
            continue;
        }
        let start = buf.len();
        let (res, back) = backend::read_into(Arc::clone(&file), buf, start, None, DIRECT_IO).await;
        buf = back;
        if res? == 0 {
            return Ok(buf);
        }
    }
}
