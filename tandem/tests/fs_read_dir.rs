//! `tandem::fs::read_dir` against std on every flavour and backend: the same entries (more than
//! one chunk of 32), names, paths, inodes, types and metadata; an empty directory; and an entry
//! removed before its metadata is asked for.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::{DirEntryExt, MetadataExt};

use tandem::fs;

fs_test!(async fn entries_match_std(dir) {
    for i in 0..100 {
        std::fs::write(dir.join(format!("file{i:03}")), [i as u8]).unwrap();
    }
    std::fs::create_dir(dir.join("subdir")).unwrap();
    std::os::unix::fs::symlink("file000", dir.join("link")).unwrap();

    let mut theirs = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        theirs.insert(entry.file_name(), (entry.ino(), entry.file_type().unwrap(), entry.path()));
    }

    let mut ours: BTreeMap<OsString, _> = BTreeMap::new();
    let mut entries = fs::read_dir(&dir).await.unwrap();
    while let Some(entry) = entries.next_entry().await.unwrap() {
        let file_type = entry.file_type().await.unwrap();
        let meta = entry.metadata().await.unwrap();
        assert_eq!(meta.ino(), entry.ino());
        assert_eq!(meta.file_type(), file_type, "metadata does not follow links");
        let old = ours.insert(entry.file_name(), (entry.ino(), file_type, entry.path()));
        assert!(old.is_none(), "entry {:?} seen twice", entry.file_name());
    }
    assert_eq!(ours.len(), 102);
    assert_eq!(ours, theirs);
    // The end stays the end.
    assert!(entries.next_entry().await.unwrap().is_none());
    assert!(entries.next_entry().await.unwrap().is_none());
});

fs_test!(async fn empty_directory_and_poll_api(dir) {
    let mut entries = fs::read_dir(&dir).await.unwrap();
    let next = std::future::poll_fn(|cx| entries.poll_next_entry(cx)).await;
    assert!(next.unwrap().is_none());
    assert!(format!("{entries:?}").contains("ReadDir"));
});

fs_test!(async fn metadata_of_a_removed_entry_is_std_s_error(dir) {
    std::fs::write(dir.join("gone"), b"").unwrap();
    let mut entries = fs::read_dir(&dir).await.unwrap();
    let entry = entries.next_entry().await.unwrap().expect("one entry");
    let mut std_entries = std::fs::read_dir(&dir).unwrap();
    let std_entry = std_entries.next().unwrap().unwrap();
    std::fs::remove_file(dir.join("gone")).unwrap();
    let ours = entry.metadata().await;
    let theirs = std_entry.metadata();
    fs_support::assert_same_result(&ours, &theirs, "metadata of a removed entry");
    assert!(ours.is_err());
});
