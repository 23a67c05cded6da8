//! `write`: a whole file from memory.

use std::io;
use std::path::Path;
use std::sync::Arc;

use super::backend;
use super::OpenOptions;

/// Creates or truncates the file at `path` and writes `contents` to it.
///
/// The file is closed by a plain drop, as std's `write` does: a close error is not reported.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("tandem-doc-write-{}", std::process::id()));
/// tandem::fs::write(&path, "contents").await?;
/// assert_eq!(tandem::fs::read_to_string(&path).await?, "contents");
/// # tandem::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// As [`std::fs::write`]; `WriteZero` if a write makes no progress.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let flags = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open_flags()?;
    // The bytes must be owned: the write may outlive this future if it is dropped.
    let contents = contents.as_ref().to_vec();
    if !backend::opens_through_uring() {
        let path = path.as_ref().to_owned();
        return backend::blocking(move || std::fs::write(path, contents)).await;
    }
    let file = Arc::new(backend::open(path.as_ref().to_owned(), flags).await?);
    let mut buf = contents;
    let mut done = 0;
    while done < buf.len() {
        let (res, back) = backend::write_from(Arc::clone(&file), buf, done, None).await;
        buf = back;
        match res? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ))
            }
            n => done += n,
        }
    }
    // Closed here and now, not in the background: a file still open for writing cannot be
    // executed (ETXTBSY), and callers may run what they just wrote.
    drop(file);
    Ok(())
}
