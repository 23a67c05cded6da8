//! `File::try_clone` gives a file with the original's settings, as Tokio's does: a clone of a
//! file whose `max_buf_size` was lowered reads and writes at most that much per operation.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use fs_support::{assert_bytes_eq, pattern};
use tandem::fs::File;
use tandem::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

fs_test!(async fn try_clone_keeps_max_buf_size(dir) {
    let path = dir.join("f");
    let data = pattern(10_000, 11);
    std::fs::write(&path, &data).unwrap();

    let mut file = tandem::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    file.set_max_buf_size(1000);
    let mut clone = file.try_clone().await.unwrap();
    assert_eq!(clone.max_buf_size(), 1000, "the clone's max_buf_size");

    // And the clone uses it: one read or write moves at most 1000 bytes.
    let mut buf = vec![0u8; 5000];
    assert_eq!(clone.read(&mut buf).await.unwrap(), 1000, "one read of the clone");
    assert_bytes_eq(&buf[..1000], &data[..1000], "what the clone read");
    clone.seek(std::io::SeekFrom::Start(0)).await.unwrap();
    assert_eq!(clone.write(&buf).await.unwrap(), 1000, "one write of the clone");
    clone.flush().await.unwrap();

    // A clone of the clone, and the original, keep it too; the default stays for new files.
    let second = clone.try_clone().await.unwrap();
    assert_eq!(second.max_buf_size(), 1000, "a clone of the clone");
    assert_eq!(file.max_buf_size(), 1000, "the original");
    let other = File::open(&path).await.unwrap();
    assert_eq!(other.max_buf_size(), 2 * 1024 * 1024, "a file opened afresh");
});
