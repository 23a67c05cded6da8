//! `OpenOptions`: how to open a file, as `std::fs::OpenOptions`.
//!
//! The options are kept as plain fields (std's cannot be read back) and turned into `open(2)`
//! flags with std's rules, so the same options give the same file or the same error.
//!
//! Options made from a `std::fs::OpenOptions` (`From`) keep it: what it was set to cannot be
//! read, so later setters change both, and `open` hands the path to std's `open` on the
//! blocking pool (`backend::open_std`) instead of computing flags.

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::backend::{self, OpenFlags};
use super::File;

/// Options and flags for opening a file: the asynchronous version of
/// [`std::fs::OpenOptions`], with the same defaults, rules and errors.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// use tandem::fs::OpenOptions;
/// use tandem::io::AsyncWriteExt;
///
/// let path = std::env::temp_dir().join(format!("tandem-doc-open-options-{}", std::process::id()));
/// let mut file = OpenOptions::new().append(true).create(true).open(&path).await?;
/// file.write_all(b"one line\n").await?;
/// file.flush().await?;
/// # drop(file);
/// # tandem::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
    custom_flags: i32,
    /// The std options these were made from, if any (see the module's doc).
    std: Option<std::fs::OpenOptions>,
}

impl OpenOptions {
    /// Options with everything off; permission bits `0o666` for a created file (before the
    /// umask).
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
            custom_flags: 0,
            std: None,
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.read = read;
        if let Some(std) = &mut self.std {
            std.read(read);
        }
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.write = write;
        if let Some(std) = &mut self.std {
            std.write(write);
        }
        self
    }

    /// Open for appending: every write goes to the end of the file (implies writing).
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.append = append;
        if let Some(std) = &mut self.std {
            std.append(append);
        }
        self
    }

    /// Truncate an existing file to length 0 (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.truncate = truncate;
        if let Some(std) = &mut self.std {
            std.truncate(truncate);
        }
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.create = create;
        if let Some(std) = &mut self.std {
            std.create(create);
        }
        self
    }

    /// Create the file, failing with `AlreadyExists` if it exists (atomically; `create` and
    /// `truncate` are then ignored).
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.create_new = create_new;
        if let Some(std) = &mut self.std {
            std.create_new(create_new);
        }
        self
    }

    /// Permission bits of a created file (before the umask); `0o666` by default.
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.mode = mode;
        if let Some(std) = &mut self.std {
            std.mode(mode);
        }
        self
    }

    /// Extra `open(2)` flags (`libc::O_*`), or-ed in; the access-mode bits are ignored, and
    /// `O_CLOEXEC` is always set.
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        self.custom_flags = flags;
        if let Some(std) = &mut self.std {
            std.custom_flags(flags);
        }
        self
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    /// As [`std::fs::OpenOptions::open`]: `InvalidInput` for contradictory options,
    /// and whatever `open(2)` reports (`NotFound`, `AlreadyExists`, ...).
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        if let Some(std) = &self.std {
            let std = backend::open_std(path.as_ref().to_owned(), std.clone()).await?;
            return Ok(File::from_std(std));
        }
        // The path first, as std: a NUL in it is the error even when the options are wrong too.
        if std::os::unix::ffi::OsStrExt::as_bytes(path.as_ref().as_os_str()).contains(&0) {
            return Err(crate::rt::uring::ops::nul_in_path());
        }
        let flags = self.open_flags()?;
        let std = backend::open(path.as_ref().to_owned(), flags).await?;
        Ok(File::opened(std, flags.flags))
    }

    /// The `open(2)` flags and mode for these options, by std's rules (the same checks in the
    /// same order, so the same `EINVAL`s).
    pub(crate) fn open_flags(&self) -> io::Result<OpenFlags> {
        let flags = libc::O_CLOEXEC
            | self.access_mode()?
            | self.creation_mode()?
            | (self.custom_flags & !libc::O_ACCMODE);
        Ok(OpenFlags {
            flags,
            mode: self.mode as libc::mode_t,
        })
    }

    /// The error std gives for options these rules reject. std checks the options before it
    /// makes any system call, so opening the empty path asks it for just that error (its message
    /// has changed between Rust releases; its kind is `InvalidInput`).
    fn std_error(&self) -> io::Error {
        let mut std = std::fs::OpenOptions::new();
        std.read(self.read)
            .write(self.write)
            .append(self.append)
            .truncate(self.truncate)
            .create(self.create)
            .create_new(self.create_new)
            .mode(self.mode)
            .custom_flags(self.custom_flags);
        match std.open("") {
            Err(e) => e,
            // Unreachable while the rules match std's; if they ever drift, still fail.
            Ok(_) => io::Error::from_raw_os_error(libc::EINVAL),
        }
    }

    fn access_mode(&self) -> io::Result<libc::c_int> {
        match (self.read, self.write, self.append) {
            (true, false, false) => Ok(libc::O_RDONLY),
            (false, true, false) => Ok(libc::O_WRONLY),
            (true, true, false) => Ok(libc::O_RDWR),
            (false, _, true) => Ok(libc::O_WRONLY | libc::O_APPEND),
            (true, _, true) => Ok(libc::O_RDWR | libc::O_APPEND),
            (false, false, false) => Err(self.std_error()),
        }
    }

    fn creation_mode(&self) -> io::Result<libc::c_int> {
        match (self.write, self.append) {
            (true, false) => {}
            (false, false) => {
                if self.truncate || self.create || self.create_new {
                    return Err(self.std_error());
                }
            }
            (_, true) => {
                if self.truncate && !self.create_new {
                    return Err(self.std_error());
                }
            }
        }
        Ok(match (self.create, self.truncate, self.create_new) {
            (false, false, false) => 0,
            (true, false, false) => libc::O_CREAT,
            (false, true, false) => libc::O_TRUNC,
            (true, true, false) => libc::O_CREAT | libc::O_TRUNC,
            (_, _, true) => libc::O_CREAT | libc::O_EXCL,
        })
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    /// Options that open as `std` does (flags set through std's extension traits included);
    /// setters called afterwards apply on top. Such options open on the blocking pool, with
    /// std's `open`.
    fn from(std: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions {
            std: Some(std),
            ..OpenOptions::new()
        }
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}
