//! Free functions on paths: metadata, renaming, removing, creating directories, links,
//! copying, resolving.
//!
//! Those with an io_uring opcode (rename, unlink, rmdir, mkdir, link, symlink) go through
//! `backend`; the rest run std's function on the blocking pool through `backend::blocking`.

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use super::backend;
use super::DirBuilder;

/// Runs std's `f` on `path` on the blocking pool.
async fn with_path<R, F>(path: &Path, f: F) -> io::Result<R>
where
    F: FnOnce(PathBuf) -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    let path = path.to_owned();
    backend::blocking(move || f(path)).await
}

/// The metadata of the file at `path`, following symbolic links.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let meta = tandem::fs::metadata(std::env::temp_dir()).await?;
/// assert!(meta.is_dir());
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// As [`std::fs::metadata`].
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    with_path(path.as_ref(), std::fs::metadata).await
}

/// The metadata of `path` itself, not following a symbolic link.
///
/// # Errors
/// As [`std::fs::symlink_metadata`].
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    with_path(path.as_ref(), std::fs::symlink_metadata).await
}

/// Renames `from` to `to`, replacing `to` if it exists (`rename(2)`).
///
/// # Errors
/// As [`std::fs::rename`].
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    backend::rename(from.as_ref().to_owned(), to.as_ref().to_owned()).await
}

/// Removes a file (`unlink(2)`).
///
/// # Errors
/// As [`std::fs::remove_file`] (`IsADirectory` for a directory, ...).
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    backend::remove_file(path.as_ref().to_owned()).await
}

/// Removes an empty directory (`rmdir(2)`).
///
/// # Errors
/// As [`std::fs::remove_dir`] (`DirectoryNotEmpty`, `NotADirectory`, ...).
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    backend::remove_dir(path.as_ref().to_owned()).await
}

/// Removes a directory and everything in it.
///
/// # Errors
/// As [`std::fs::remove_dir_all`].
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    with_path(path.as_ref(), std::fs::remove_dir_all).await
}

/// Creates a directory (its parent must exist).
///
/// # Errors
/// As [`std::fs::create_dir`] (`AlreadyExists`, `NotFound`, ...).
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    DirBuilder::new().create(path).await
}

/// Creates a directory and any missing parents. Succeeds if it exists already.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let root = std::env::temp_dir().join(format!("tandem-doc-create-dir-all-{}", std::process::id()));
/// tandem::fs::create_dir_all(root.join("a/b/c")).await?;
/// assert!(tandem::fs::metadata(root.join("a/b/c")).await?.is_dir());
/// tandem::fs::remove_dir_all(&root).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// As [`std::fs::create_dir_all`].
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    DirBuilder::new().recursive(true).create(path).await
}

/// Copies the contents and permission bits of `from` to `to`, returning the byte count.
///
/// # Errors
/// As [`std::fs::copy`].
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let to = to.as_ref().to_owned();
    with_path(from.as_ref(), move |from| std::fs::copy(from, to)).await
}

/// Creates a new name `dst` for the file `src` (`link(2)`).
///
/// # Errors
/// As [`std::fs::hard_link`].
pub async fn hard_link(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> io::Result<()> {
    backend::hard_link(src.as_ref().to_owned(), dst.as_ref().to_owned()).await
}

/// Creates a symbolic link at `link` pointing to `original` (`symlink(2)`).
///
/// # Errors
/// As [`std::os::unix::fs::symlink`].
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    backend::symlink(original.as_ref().to_owned(), link.as_ref().to_owned()).await
}

/// The target of the symbolic link at `path`.
///
/// # Errors
/// As [`std::fs::read_link`] (`InvalidInput` if `path` is not a link).
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    with_path(path.as_ref(), std::fs::read_link).await
}

/// The absolute form of `path`, with every symbolic link, `.` and `..` resolved.
///
/// # Errors
/// As [`std::fs::canonicalize`].
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    with_path(path.as_ref(), std::fs::canonicalize).await
}

/// Changes the permission bits of the file at `path`.
///
/// # Errors
/// As [`std::fs::set_permissions`].
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    with_path(path.as_ref(), move |path| {
        std::fs::set_permissions(path, perm)
    })
    .await
}

/// Whether `path` exists (following symbolic links). `Ok(false)` for a broken link.
///
/// # Errors
/// As [`std::fs::exists`]: errors other than "not found" (`ENOTDIR` in the path, ...).
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    with_path(path.as_ref(), std::fs::exists).await
}
