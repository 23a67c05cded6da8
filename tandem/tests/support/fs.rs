//! Helpers for the `fs_*` tests.
//!
//! Not a submodule of `support` (whose helpers use only names Tokio shares, so the other tests
//! also build against Tokio): `UringMode` is Tandem's own. An fs test includes both:
//!
//! ```ignore
//! mod support;
//! #[path = "support/fs.rs"]
//! mod fs_support;
//! ```
//!
//! Every file-system test body runs once per [`FsConfig`]: each runtime flavour of interest
//! (current-thread, multi-thread with 2 workers) on each file-system backend (`UringMode::Auto`,
//! which uses io_uring where the kernel has it, and `UringMode::Off`, the blocking pool), with
//! reads trying the page cache on the calling thread first (`fs_nowait_first`, the default), and
//! on the multi-thread runtime also without that, so that every read goes through the ring or
//! the pool. The body gets a fresh, empty directory of its own, removed afterwards even if the
//! body panics.
//!
//! Write a test as:
//!
//! ```ignore
//! fs_test!(async fn name(dir) {
//!     tandem::fs::write(dir.join("a"), b"x").await.unwrap();
//! });
//! ```
//!
//! To add a backend or flavour, add an entry to [`fs_configs`]: every test picks it up.
// Each fs test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tandem::runtime::{Runtime, UringMode};

use crate::support::{panic_message, Flavor};

/// One runtime flavour on one file-system backend.
#[derive(Clone, Copy, Debug)]
pub struct FsConfig {
    pub name: &'static str,
    pub flavor: Flavor,
    pub uring: UringMode,
    /// `Builder::fs_nowait_first`.
    pub nowait_first: bool,
}

impl FsConfig {
    pub fn build(&self) -> Runtime {
        let mut builder = self.flavor.builder();
        builder
            .io_uring(self.uring)
            .fs_nowait_first(self.nowait_first);
        builder
            .build()
            .unwrap_or_else(|e| panic!("[{}] failed to build runtime: {e}", self.name))
    }
}

/// Every configuration each fs test runs on.
pub fn fs_configs() -> Vec<FsConfig> {
    vec![
        FsConfig {
            name: "current_thread+uring_auto",
            flavor: Flavor::CURRENT_THREAD,
            uring: UringMode::Auto,
            nowait_first: true,
        },
        FsConfig {
            name: "current_thread+uring_off",
            flavor: Flavor::CURRENT_THREAD,
            uring: UringMode::Off,
            nowait_first: true,
        },
        FsConfig {
            name: "multi_thread(2)+uring_auto",
            flavor: Flavor::MULTI_2,
            uring: UringMode::Auto,
            nowait_first: true,
        },
        FsConfig {
            name: "multi_thread(2)+uring_off",
            flavor: Flavor::MULTI_2,
            uring: UringMode::Off,
            nowait_first: true,
        },
        FsConfig {
            name: "multi_thread(2)+uring_auto+every_read_on_ring",
            flavor: Flavor::MULTI_2,
            uring: UringMode::Auto,
            nowait_first: false,
        },
        FsConfig {
            name: "multi_thread(2)+uring_off+every_read_on_pool",
            flavor: Flavor::MULTI_2,
            uring: UringMode::Off,
            nowait_first: false,
        },
    ]
}

/// Runs `body` on every [`FsConfig`], each time in a fresh runtime with a fresh directory.
/// A panic is re-raised with the configuration's name in front.
pub fn each_fs_config<F, Fut>(test: &str, body: F)
where
    F: Fn(PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    for config in fs_configs() {
        let dir = TestDir::new(test, config.name);
        let rt = config.build();
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(body(dir.path().to_owned()))
        }));
        // Shut the runtime down before removing the directory, so that no background operation
        // still uses it.
        drop(rt);
        drop(dir);
        if let Err(payload) = res {
            panic!("[{}] {}", config.name, panic_message(&*payload));
        }
    }
}

/// Defines a `#[test]` that runs an async body on every [`FsConfig`] (see the module docs).
#[macro_export]
macro_rules! fs_test {
    ($(#[$meta:meta])* async fn $name:ident($dir:ident) $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::fs_support::each_fs_config(
                stringify!($name),
                |$dir: ::std::path::PathBuf| async move $body,
            );
        }
    };
}

/// A directory unique to one test run in one configuration, removed on drop.
pub struct TestDir {
    path: PathBuf,
}

impl TestDir {
    pub fn new(test: &str, config: &str) -> TestDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let config: String = config
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::env::temp_dir().join(format!(
            "tandem-fs-test-{}-{}-{test}-{config}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
        ));
        std::fs::create_dir_all(&path).expect("create test directory");
        TestDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The error of `res`, panicking with `what` if it succeeded.
#[track_caller]
pub fn expect_err<T: Debug>(res: io::Result<T>, what: &str) -> io::Error {
    match res {
        Ok(v) => panic!("{what}: expected an error, got Ok({v:?})"),
        Err(e) => e,
    }
}

/// Asserts that two results both failed with the same kind and raw os error, or both succeeded.
#[track_caller]
pub fn assert_same_result<T: Debug, U: Debug>(
    ours: &io::Result<T>,
    std: &io::Result<U>,
    what: &str,
) {
    match (ours, std) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => assert_same_error(a, b, what),
        _ => panic!("{what}: tandem gave {ours:?}, std gave {std:?}"),
    }
}

/// Asserts that two errors have the same kind and the same raw os error.
#[track_caller]
pub fn assert_same_error(ours: &io::Error, std: &io::Error, what: &str) {
    assert_eq!(
        ours.kind(),
        std.kind(),
        "{what}: kind (tandem: {ours:?}, std: {std:?})"
    );
    assert_eq!(
        ours.raw_os_error(),
        std.raw_os_error(),
        "{what}: raw os error (tandem: {ours:?}, std: {std:?})"
    );
}

/// `len` pseudo-random bytes (xorshift64 from `seed`), so misplaced chunks are detected.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Panics with the first differing offset if `ours != expected` (a plain `assert_eq!` on
/// megabytes prints megabytes).
#[track_caller]
pub fn assert_bytes_eq(ours: &[u8], expected: &[u8], what: &str) {
    if let Some(i) = ours.iter().zip(expected).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {i} (tandem {:#04x}, expected {:#04x})",
            ours[i], expected[i]
        );
    }
    assert_eq!(ours.len(), expected.len(), "{what}: lengths differ");
}
