//! The free functions of `tandem::fs` on every flavour and backend, each checked against what
//! std gives for the same call: read/write (empty, exact size, large, `/proc` files that
//! report size 0), directories, renames, links, copy, canonicalize, permissions, try_exists.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fs_support::{assert_bytes_eq, pattern};
use tandem::fs;

fs_test!(async fn read_and_write_round_trip(dir) {
    for len in [0, 1, 31, 32, 33, 4096, 8192, 3 * 1024 * 1024 + 1] {
        let path = dir.join(format!("f{len}"));
        let data = pattern(len, len as u64);
        fs::write(&path, &data).await.unwrap();
        assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, "written");
        let got = fs::read(&path).await.unwrap();
        assert_bytes_eq(&got, &data, &format!("read back {len}"));
        // Sized from the file: no reallocation beyond the exact length.
        assert_eq!(got.capacity(), len, "capacity for {len} bytes");
    }
    // write truncates.
    let path = dir.join("t");
    fs::write(&path, b"long contents").await.unwrap();
    fs::write(&path, "short").await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "short");
});

fs_test!(async fn read_files_whose_size_is_wrong(dir) {
    // /proc files report size 0: read must go on until a read returns 0.
    let ours = fs::read("/proc/self/cmdline").await.unwrap();
    assert_eq!(ours, std::fs::read("/proc/self/cmdline").unwrap());
    assert!(!ours.is_empty());
    let maps = fs::read_to_string("/proc/self/mountinfo").await.unwrap();
    assert!(maps.lines().count() > 0);
    let _ = dir;
});

fs_test!(async fn metadata_and_symlink_metadata(dir) {
    let file = dir.join("f");
    std::fs::write(&file, b"12345").unwrap();
    let link = dir.join("l");
    fs::symlink(&file, &link).await.unwrap();

    let m = fs::metadata(&link).await.unwrap();
    let s = std::fs::metadata(&link).unwrap();
    assert!(m.is_file());
    assert_eq!((m.len(), m.ino(), m.mode()), (s.len(), s.ino(), s.mode()));

    let m = fs::symlink_metadata(&link).await.unwrap();
    assert!(m.file_type().is_symlink());
    assert_eq!(m.ino(), std::fs::symlink_metadata(&link).unwrap().ino());
    assert_eq!(fs::read_link(&link).await.unwrap(), file);
});

fs_test!(async fn rename_remove_and_dirs(dir) {
    let a = dir.join("a");
    let b = dir.join("b");
    fs::write(&a, b"x").await.unwrap();
    fs::rename(&a, &b).await.unwrap();
    assert!(!a.exists());
    assert_eq!(std::fs::read(&b).unwrap(), b"x");
    // rename over an existing file replaces it.
    fs::write(&a, b"y").await.unwrap();
    fs::rename(&a, &b).await.unwrap();
    assert_eq!(std::fs::read(&b).unwrap(), b"y");
    fs::remove_file(&b).await.unwrap();
    assert!(!b.exists());

    let d = dir.join("d");
    fs::create_dir(&d).await.unwrap();
    assert!(std::fs::metadata(&d).unwrap().is_dir());
    fs::remove_dir(&d).await.unwrap();
    assert!(!d.exists());

    let deep = dir.join("x/y/z");
    fs::create_dir_all(&deep).await.unwrap();
    assert!(deep.is_dir());
    fs::create_dir_all(&deep).await.unwrap(); // exists already: fine
    fs::create_dir_all(dir.join("x/y")).await.unwrap();
    fs::write(deep.join("f"), b"1").await.unwrap();
    fs::remove_dir_all(dir.join("x")).await.unwrap();
    assert!(!dir.join("x").exists());
});

fs_test!(async fn dir_builder_mode_matches_std(dir) {
    let ours = dir.join("ours/sub");
    let theirs = dir.join("theirs/sub");
    fs::DirBuilder::new().recursive(true).mode(0o700).create(&ours).await.unwrap();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&theirs).unwrap();
    }
    for (a, b) in [(&ours, &theirs), (&ours.parent().unwrap().to_owned(), &theirs.parent().unwrap().to_owned())] {
        let a = std::fs::metadata(a).unwrap().permissions().mode();
        let b = std::fs::metadata(b).unwrap().permissions().mode();
        assert_eq!(a, b);
    }
    // Not recursive: the parent must exist.
    let e = fs::DirBuilder::new().create(dir.join("no/such")).await.unwrap_err();
    let s = std::fs::DirBuilder::new().create(dir.join("no/such")).unwrap_err();
    fs_support::assert_same_error(&e, &s, "DirBuilder without parent");
});

fs_test!(async fn copy_links_and_canonicalize(dir) {
    let src = dir.join("src");
    let data = pattern(300_000, 20);
    std::fs::write(&src, &data).unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o640)).unwrap();
    let dst = dir.join("dst");
    assert_eq!(fs::copy(&src, &dst).await.unwrap(), data.len() as u64);
    assert_bytes_eq(&std::fs::read(&dst).unwrap(), &data, "copy");
    assert_eq!(std::fs::metadata(&dst).unwrap().permissions().mode() & 0o777, 0o640);

    let hard = dir.join("hard");
    fs::hard_link(&src, &hard).await.unwrap();
    assert_eq!(std::fs::metadata(&src).unwrap().nlink(), 2);
    assert_eq!(std::fs::metadata(&hard).unwrap().ino(), std::fs::metadata(&src).unwrap().ino());

    std::fs::create_dir(dir.join("sub")).unwrap();
    fs::symlink("../src", dir.join("sub/link")).await.unwrap();
    let twisted = dir.join("sub/../sub/./link");
    assert_eq!(
        fs::canonicalize(&twisted).await.unwrap(),
        std::fs::canonicalize(&twisted).unwrap()
    );
    assert_eq!(fs::canonicalize(&twisted).await.unwrap(), std::fs::canonicalize(&src).unwrap());

    fs::set_permissions(&src, std::fs::Permissions::from_mode(0o604)).await.unwrap();
    assert_eq!(std::fs::metadata(&src).unwrap().permissions().mode() & 0o777, 0o604);
});

fs_test!(async fn try_exists_matches_std(dir) {
    let file = dir.join("f");
    std::fs::write(&file, b"").unwrap();
    let broken = dir.join("broken");
    std::os::unix::fs::symlink(dir.join("nowhere"), &broken).unwrap();
    for (path, expected) in [
        (file.clone(), true),
        (dir.join("missing"), false),
        (broken.clone(), false),
        (dir.clone(), true),
    ] {
        assert_eq!(fs::try_exists(&path).await.unwrap(), expected, "{path:?}");
    }
    // A file used as a directory: an error, not `false`.
    let through_file = file.join("child");
    let ours = fs::try_exists(&through_file).await;
    let theirs = std::fs::exists(&through_file);
    fs_support::assert_same_result(&ours, &theirs, "try_exists through a file");
    assert!(ours.is_err());
});
