//! Errors of `tandem::fs` equal std's for the same call (same `io::ErrorKind`, same raw os
//! error), on every flavour and backend. The cases avoid permission errors (the tests may run as
//! root) and use EISDIR, ENOTDIR, ENOENT, EEXIST, ENOTEMPTY, EINVAL, EBADF and std's own
//! `InvalidInput`/`InvalidData`/`UnexpectedEof` errors instead.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use fs_support::assert_same_result;
use tandem::fs::{self, File, OpenOptions};
use tandem::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Both calls must fail, the same way.
macro_rules! same_error {
    ($what:expr, $ours:expr, $theirs:expr) => {{
        let ours = $ours;
        let theirs = $theirs;
        assert!(theirs.is_err(), "{}: std succeeded: {:?}", $what, theirs);
        assert_same_result(&ours, &theirs, $what);
    }};
}

/// `file` (5 bytes), `dir/child`, `empty`, `bad_utf8`.
fn fixture(dir: &Path) {
    std::fs::write(dir.join("file"), b"hello").unwrap();
    std::fs::create_dir(dir.join("dir")).unwrap();
    std::fs::write(dir.join("dir/child"), b"").unwrap();
    std::fs::create_dir(dir.join("empty")).unwrap();
    std::fs::write(dir.join("bad_utf8"), [0xff, 0xfe, b'a']).unwrap();
}

fs_test!(async fn open_errors(dir) {
    fixture(&dir);
    let missing = dir.join("missing");
    let file = dir.join("file");
    let through_file = dir.join("file/child");
    let d = dir.join("dir");

    same_error!("open missing", File::open(&missing).await, std::fs::File::open(&missing));
    same_error!("open through a file", File::open(&through_file).await, std::fs::File::open(&through_file));
    same_error!("create a directory", File::create(&d).await, std::fs::File::create(&d));
    same_error!("create_new existing", File::create_new(&file).await, std::fs::File::create_new(&file));
    same_error!(
        "create in missing dir",
        File::create(dir.join("no/f")).await,
        std::fs::File::create(dir.join("no/f"))
    );
    same_error!("NUL in path", File::open("a\0b").await, std::fs::File::open("a\0b"));
    same_error!(
        "O_DIRECTORY on a file",
        OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(&file).await,
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(&file)
        }
    );

    // Contradictory options: std's own errors, before any system call.
    type Set = fn(&mut OpenOptions, &mut std::fs::OpenOptions);
    let cases: [(&str, Set); 5] = [
        ("no access mode", |_, _| {}),
        ("create without write", |o, s| {
            o.read(true).create(true);
            s.read(true).create(true);
        }),
        ("truncate without write", |o, s| {
            o.read(true).truncate(true);
            s.read(true).truncate(true);
        }),
        ("append with truncate", |o, s| {
            o.append(true).truncate(true);
            s.append(true).truncate(true);
        }),
        ("create_new read-only", |o, s| {
            o.read(true).create_new(true);
            s.read(true).create_new(true);
        }),
    ];
    for (what, set) in cases {
        let mut ours = OpenOptions::new();
        let mut theirs = std::fs::OpenOptions::new();
        set(&mut ours, &mut theirs);
        same_error!(what, ours.open(&file).await, theirs.open(&file));
    }
});

fs_test!(async fn whole_file_errors(dir) {
    fixture(&dir);
    let d = dir.join("dir");
    let missing = dir.join("missing");
    same_error!("read a directory", fs::read(&d).await, std::fs::read(&d));
    same_error!("read missing", fs::read(&missing).await, std::fs::read(&missing));
    same_error!(
        "read_to_string of invalid UTF-8",
        fs::read_to_string(dir.join("bad_utf8")).await,
        std::fs::read_to_string(dir.join("bad_utf8"))
    );
    same_error!("write a directory", fs::write(&d, b"x").await, std::fs::write(&d, b"x"));
    same_error!(
        "write through a file",
        fs::write(dir.join("file/x"), b"x").await,
        std::fs::write(dir.join("file/x"), b"x")
    );
});

fs_test!(async fn path_errors(dir) {
    fixture(&dir);
    let file = dir.join("file");
    let d = dir.join("dir");
    let empty = dir.join("empty");
    let missing = dir.join("missing");

    same_error!("metadata missing", fs::metadata(&missing).await, std::fs::metadata(&missing));
    same_error!(
        "symlink_metadata through a file",
        fs::symlink_metadata(file.join("x")).await,
        std::fs::symlink_metadata(file.join("x"))
    );
    same_error!("remove_file of a dir", fs::remove_file(&d).await, std::fs::remove_file(&d));
    same_error!("remove_file missing", fs::remove_file(&missing).await, std::fs::remove_file(&missing));
    same_error!("remove_dir of a file", fs::remove_dir(&file).await, std::fs::remove_dir(&file));
    same_error!("remove_dir not empty", fs::remove_dir(&d).await, std::fs::remove_dir(&d));
    same_error!("remove_dir_all missing", fs::remove_dir_all(&missing).await, std::fs::remove_dir_all(&missing));
    same_error!("create_dir existing", fs::create_dir(&d).await, std::fs::create_dir(&d));
    same_error!("create_dir over a file", fs::create_dir(&file).await, std::fs::create_dir(&file));
    same_error!(
        "create_dir_all through a file",
        fs::create_dir_all(file.join("a/b")).await,
        std::fs::create_dir_all(file.join("a/b"))
    );
    same_error!("create_dir_all over a file", fs::create_dir_all(&file).await, std::fs::create_dir_all(&file));
    same_error!("rename dir onto non-empty dir", fs::rename(&empty, &d).await, std::fs::rename(&empty, &d));
    same_error!("rename file onto dir", fs::rename(&file, &empty).await, std::fs::rename(&file, &empty));
    same_error!("rename missing", fs::rename(&missing, dir.join("x")).await, std::fs::rename(&missing, dir.join("x")));
    same_error!("hard_link to existing", fs::hard_link(&file, &file).await, std::fs::hard_link(&file, &file));
    same_error!("hard_link missing", fs::hard_link(&missing, dir.join("y")).await, std::fs::hard_link(&missing, dir.join("y")));
    same_error!(
        "symlink over existing",
        fs::symlink("anything", &file).await,
        std::os::unix::fs::symlink("anything", &file)
    );
    same_error!("read_link of a file", fs::read_link(&file).await, std::fs::read_link(&file));
    same_error!("canonicalize missing", fs::canonicalize(&missing).await, std::fs::canonicalize(&missing));
    same_error!("read_dir of a file", fs::read_dir(&file).await.map(|_| ()), std::fs::read_dir(&file).map(|_| ()));
    same_error!("read_dir missing", fs::read_dir(&missing).await.map(|_| ()), std::fs::read_dir(&missing).map(|_| ()));
    same_error!("copy from a dir", fs::copy(&d, dir.join("z")).await, std::fs::copy(&d, dir.join("z")));
    same_error!("copy missing", fs::copy(&missing, dir.join("z")).await, std::fs::copy(&missing, dir.join("z")));
    use std::os::unix::fs::PermissionsExt;
    let perm = std::fs::Permissions::from_mode(0o644);
    same_error!(
        "set_permissions missing",
        fs::set_permissions(&missing, perm.clone()).await,
        std::fs::set_permissions(&missing, perm)
    );
    same_error!(
        "DirBuilder without parent",
        fs::DirBuilder::new().create(dir.join("no/such")).await,
        std::fs::DirBuilder::new().create(dir.join("no/such"))
    );
});

fs_test!(async fn file_operation_errors(dir) {
    fixture(&dir);
    let path = dir.join("file");

    // Writing to a read-only file: poll_write accepts the bytes; the error comes with flush.
    let mut ours = File::open(&path).await.unwrap();
    assert_eq!(ours.write(b"abc").await.unwrap(), 3);
    let mut theirs = std::fs::File::open(&path).unwrap();
    same_error!("flush of a write to a read-only file", ours.flush().await, theirs.write(b"abc"));
    // Reported once; the file is usable afterwards.
    ours.flush().await.unwrap();
    let mut s = String::new();
    ours.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "hello");

    // The write error can also surface on the next write.
    let mut ours = File::open(&path).await.unwrap();
    ours.write_all(b"abc").await.unwrap();
    same_error!("next write after a failed one", ours.write(b"d").await, theirs.write(b"d"));

    // Reading from a write-only file.
    let mut ours = OpenOptions::new().write(true).open(&path).await.unwrap();
    let mut theirs = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let mut buf = [0u8; 4];
    same_error!("read from a write-only file", ours.read(&mut buf).await, theirs.read(&mut buf));

    // set_len on a read-only file.
    let ours = File::open(&path).await.unwrap();
    let theirs = std::fs::File::open(&path).unwrap();
    same_error!("set_len on a read-only file", ours.set_len(1).await, theirs.set_len(1));

    // Seeking before the start.
    let mut ours = File::open(&path).await.unwrap();
    let mut theirs = std::fs::File::open(&path).unwrap();
    same_error!(
        "seek before the start",
        ours.seek(SeekFrom::Current(-1)).await,
        theirs.seek(SeekFrom::Current(-1))
    );
    // The file still works after a failed seek.
    assert_eq!(ours.seek(SeekFrom::Start(1)).await.unwrap(), 1);

    // Positional I/O.
    let ro = File::open(&path).await.unwrap();
    let std_ro = std::fs::File::open(&path).unwrap();
    let (res, _) = ro.write_at(b"x".to_vec(), 0).await;
    same_error!("write_at on a read-only file", res, std_ro.write_at(b"x", 0));
    let (res, _) = ro.write_all_at(b"x".to_vec(), 0).await;
    same_error!("write_all_at on a read-only file", res, std_ro.write_all_at(b"x", 0));
    let (res, _) = ro.read_at(Vec::with_capacity(4), u64::MAX).await;
    let mut four = [0u8; 4];
    same_error!("read_at past i64::MAX", res, std_ro.read_at(&mut four, u64::MAX));
    let wo = OpenOptions::new().write(true).open(&path).await.unwrap();
    let std_wo = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let (res, _) = wo.read_at(Vec::with_capacity(4), 0).await;
    same_error!("read_at on a write-only file", res, std_wo.read_at(&mut four, 0));
    let (res, _) = wo.read_exact_at(Vec::with_capacity(4), 0).await;
    same_error!("read_exact_at on a write-only file", res, std_wo.read_exact_at(&mut four, 0));

    // A directory opened read-only: reads fail with EISDIR.
    let mut ours = File::open(dir.join("dir")).await.unwrap();
    let mut theirs = std::fs::File::open(dir.join("dir")).unwrap();
    same_error!("read a directory", ours.read(&mut buf).await, theirs.read(&mut buf));
    let (res, _) = ours.read_at(Vec::with_capacity(4), 0).await;
    same_error!("read_at a directory", res, theirs.read_at(&mut four, 0));
});
