//! Inputs where `tandem::fs` gave another result or error than std (kind, OS error, message),
//! on every flavour and backend:
//! - positional I/O on a file that cannot seek (a FIFO, a socket): `pread`/`pwrite` fail with
//!   `ESPIPE`; io_uring reads and writes with an offset do not, so `write_at` succeeded and
//!   `read_at` on an empty FIFO waited for ever;
//! - `set_len` past `i64::MAX`: std's conversion error, not `EINVAL`;
//! - a NUL in the path of an open whose options are also wrong: std reports the NUL.

#[path = "support/fs.rs"]
mod fs_support;
#[path = "support/hang_guard.rs"]
mod hang_guard;
mod support;

use std::fmt::Debug;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;
use tandem::fs::{File, OpenOptions};

/// Both `Ok`, or errors equal in kind, OS error and message.
#[track_caller]
fn assert_identical<T: Debug, U: Debug>(ours: &io::Result<T>, std: &io::Result<U>, what: &str) {
    match (ours, std) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => {
            assert_eq!(
                a.kind(),
                b.kind(),
                "{what}: kind ({a:?} against std's {b:?})"
            );
            assert_eq!(a.raw_os_error(), b.raw_os_error(), "{what}: OS error");
            assert_eq!(a.to_string(), b.to_string(), "{what}: message");
        }
        _ => panic!("{what}: {ours:?} against std's {std:?}"),
    }
}

fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo");
}

fs_test!(async fn set_len_past_i64_max_fails_as_std(dir) {
    let path = dir.join("f");
    std::fs::write(&path, b"hello").unwrap();
    let ours = OpenOptions::new().write(true).open(&path).await.unwrap();
    let theirs = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    for len in [u64::MAX, 1 << 63] {
        let std_res = theirs.set_len(len);
        assert_identical(&ours.set_len(len).await, &std_res, &format!("set_len({len})"));
    }
});

fs_test!(
    // The contradictory options are the point: std reports the NUL first.
    #[allow(clippy::nonsensical_open_options)]
    async fn a_nul_in_the_path_is_reported_before_wrong_options(_dir) {
    let path = "a\0b";
    assert_identical(
        &OpenOptions::new().open(path).await.map(drop),
        &std::fs::OpenOptions::new().open(path).map(drop),
        "no access mode",
    );
    assert_identical(
        &OpenOptions::new().read(true).truncate(true).open(path).await.map(drop),
        &std::fs::OpenOptions::new().read(true).truncate(true).open(path).map(drop),
        "truncate without write",
    );
    }
);

#[test]
fn positional_io_on_a_fifo_fails_as_std() {
    hang_guard::within(Duration::from_secs(60), "positional I/O on a FIFO", || {
        fs_support::each_fs_config("positional_io_on_a_fifo", |dir| async move {
            let fifo = dir.join("fifo");
            make_fifo(&fifo);
            let ours = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&fifo)
                .await
                .unwrap();
            let theirs = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&fifo)
                .unwrap();
            let (res, _) = ours.write_at(b"xy".to_vec(), 0).await;
            assert_identical(&res, &theirs.write_at(b"xy", 0), "write_at");
            let (res, _) = ours.write_all_at(b"xy".to_vec(), 0).await;
            assert_identical(&res, &theirs.write_all_at(b"xy", 0), "write_all_at");
            // Empty: a read that ignored the refusal would wait for ever.
            let mut two = [0u8; 2];
            let (res, _) = ours.read_at(Vec::with_capacity(2), 0).await;
            assert_identical(&res, &theirs.read_at(&mut two, 0), "read_at");
            let (res, _) = ours.read_exact_at(Vec::with_capacity(2), 0).await;
            assert_identical(&res, &theirs.read_exact_at(&mut two, 0), "read_exact_at");
        });
    });
}

#[test]
fn positional_write_on_a_socket_fails_as_std() {
    hang_guard::within(Duration::from_secs(60), "write_at on a socket", || {
        fs_support::each_fs_config("positional_write_on_a_socket", |_dir| async move {
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            let ours = File::from(std::os::fd::OwnedFd::from(a));
            let theirs = std::fs::File::from(std::os::fd::OwnedFd::from(b));
            let (res, _) = ours.write_at(b"q".to_vec(), 0).await;
            assert_identical(&res, &theirs.write_at(b"q", 0), "write_at");
        });
    });
}
