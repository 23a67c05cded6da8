//! `DirBuilder`: creating directories, optionally with their parents.

use std::io;
use std::path::{Path, PathBuf};

use super::backend;

/// Permission bits of a new directory unless [`DirBuilder::mode`] says otherwise.
const DEFAULT_MODE: u32 = 0o777;

/// Creates directories: the asynchronous version of [`std::fs::DirBuilder`].
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let root = std::env::temp_dir().join(format!("tandem-doc-dir-builder-{}", std::process::id()));
/// tandem::fs::DirBuilder::new()
///     .recursive(true)
///     .mode(0o750)
///     .create(root.join("x/y"))
///     .await?;
/// tandem::fs::remove_dir_all(&root).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct DirBuilder {
    recursive: bool,
    mode: u32,
}

impl DirBuilder {
    /// A builder for a single directory with permission bits `0o777` (before the umask).
    pub fn new() -> DirBuilder {
        DirBuilder {
            recursive: false,
            mode: DEFAULT_MODE,
        }
    }

    /// Whether to create missing parents too (and succeed if the directory exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// Permission bits of the directories created (before the umask).
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = mode;
        self
    }

    /// Creates the directory at `path`.
    ///
    /// # Errors
    /// As [`std::fs::DirBuilder::create`].
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        if self.recursive {
            self.create_all(path).await
        } else {
            backend::create_dir(path.to_owned(), self.mode as libc::mode_t).await
        }
    }

    /// std's `create_dir_all`, without recursion: walk up until a `mkdir` succeeds or finds an
    /// existing directory, then create the missing ones top-down. A directory that appears
    /// meanwhile (another process racing us) counts as success, as in std.
    async fn create_all(&self, path: &Path) -> io::Result<()> {
        if path == Path::new("") {
            return Ok(());
        }
        let mut missing: Vec<&Path> = Vec::new();
        let mut next = Some(path);
        while let Some(dir) = next {
            // A relative path's last parent is "": the current directory, which exists.
            if dir == Path::new("") {
                break;
            }
            match self.mkdir(dir).await {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(_) if is_dir(dir).await => break,
                Err(e) => return Err(e),
            }
            missing.push(dir);
            next = dir.parent();
            if next.is_none() {
                return Err(io::Error::other("failed to create whole tree"));
            }
        }
        while let Some(dir) = missing.pop() {
            match self.mkdir(dir).await {
                Ok(()) => {}
                Err(_) if is_dir(dir).await => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn mkdir(&self, dir: &Path) -> io::Result<()> {
        backend::create_dir(dir.to_owned(), self.mode as libc::mode_t).await
    }
}

impl Default for DirBuilder {
    fn default() -> DirBuilder {
        DirBuilder::new()
    }
}

async fn is_dir(path: &Path) -> bool {
    let path: PathBuf = path.to_owned();
    backend::blocking(move || Ok(path.is_dir()))
        .await
        .unwrap_or(false)
}
