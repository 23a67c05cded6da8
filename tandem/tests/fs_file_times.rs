//! Tokio 1.54's `fs` additions on every flavour and backend: `fs::FileTimes` with
//! `File::set_times`, `fs::OpenOptions` made from a `std::fs::OpenOptions` (its flags kept, later
//! setters on top), `File: From<OwnedFd>`, and `File`'s Debug format (Tokio's).

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, SystemTime};

use tandem::fs::{File, FileTimes, OpenOptions};
use tandem::io::{AsyncReadExt, AsyncWriteExt};

fs_test! {
    async fn set_times_sets_access_and_modification(dir) {
        let path = dir.join("times");
        let file = File::create(&path).await.unwrap();
        let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
        file.set_times(FileTimes::new().set_accessed(accessed).set_modified(modified))
            .await
            .unwrap();
        let meta = file.metadata().await.unwrap();
        assert_eq!(meta.accessed().unwrap(), accessed);
        assert_eq!(meta.modified().unwrap(), modified);
        // A file opened read-only may still set its times (the owner's right).
        let ro = File::open(&path).await.unwrap();
        ro.set_times(FileTimes::new().set_modified(accessed)).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), accessed);
    }
}

fs_test! {
    async fn open_options_from_std_keep_its_flags(dir) {
        let path = dir.join("from-std");
        let mut std_options = std::fs::OpenOptions::new();
        std_options.write(true).create_new(true).mode(0o600);
        let mut options = OpenOptions::from(std_options);
        let mut file = options.open(&path).await.unwrap();
        file.write_all(b"kept").await.unwrap();
        file.flush().await.unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "std's mode(0o600) applied: {mode:o}");
        // create_new from std still holds: the file exists now.
        let err = options.open(&path).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        // Setters apply on top of std's options.
        options.create_new(false).write(false).read(true);
        let mut file = options.open(&path).await.unwrap();
        let mut s = String::new();
        file.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "kept");
        // Contradictory std options are std's InvalidInput, not a panic.
        let mut bad = std::fs::OpenOptions::new();
        bad.truncate(true);
        let err = OpenOptions::from(bad).open(&path).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}

fs_test! {
    async fn file_from_owned_fd_and_debug(dir) {
        let path = dir.join("owned");
        std::fs::write(&path, b"fd").unwrap();
        let fd = OwnedFd::from(std::fs::File::open(&path).unwrap());
        let mut file = File::from(fd);
        let mut s = String::new();
        file.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "fd");
        assert!(format!("{file:?}").starts_with("tokio::fs::File { std: File { fd:"));
    }
}
