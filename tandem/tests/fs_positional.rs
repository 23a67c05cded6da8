//! `File::read_at`, `write_at`, `read_exact_at`, `write_all_at` (pread/pwrite with owned
//! buffers) on every flavour and backend: exact bytes, buffers handed back, EOF handling, the
//! file position left alone, 64 concurrent reads on one file, and a dropped read future.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use fs_support::{assert_bytes_eq, pattern};
use tandem::fs::{File, OpenOptions};
use tandem::io::{AsyncReadExt, AsyncSeekExt};

fs_test!(async fn read_at_fills_from_the_start_and_hands_back_the_buffer(dir) {
    let path = dir.join("f");
    let data = pattern(10_000, 10);
    std::fs::write(&path, &data).unwrap();
    let file = File::open(&path).await.unwrap();

    let (res, buf) = file.read_at(Vec::with_capacity(100), 1234).await;
    assert_eq!(res.unwrap(), 100);
    assert_eq!(buf.len(), 100, "init length raised to the count read");
    assert_bytes_eq(&buf, &data[1234..1334], "vec read_at");

    // A Vec with data: the read overwrites from its start; the length never shrinks.
    let mut reused = buf;
    reused.truncate(100);
    let (res, reused) = file.read_at(reused, data.len() as u64 - 10).await;
    assert_eq!(res.unwrap(), 10);
    assert_eq!(reused.len(), 100);
    assert_bytes_eq(&reused[..10], &data[data.len() - 10..], "short read at the end");

    // At or past the end: Ok(0).
    let (res, _) = file.read_at(Vec::with_capacity(8), data.len() as u64).await;
    assert_eq!(res.unwrap(), 0);
    let (res, _) = file.read_at(Vec::with_capacity(8), 1 << 40).await;
    assert_eq!(res.unwrap(), 0);

    // A boxed slice: every byte counts as initialised already.
    let (res, boxed) = file.read_at(vec![0u8; 64].into_boxed_slice(), 64).await;
    assert_eq!(res.unwrap(), 64);
    assert_bytes_eq(&boxed, &data[64..128], "boxed read_at");
});

fs_test!(async fn read_exact_at_and_eof(dir) {
    let path = dir.join("f");
    let data = pattern(6 * 1024 * 1024 + 3, 11);
    std::fs::write(&path, &data).unwrap();
    let file = File::open(&path).await.unwrap();

    let (res, buf) = file.read_exact_at(Vec::with_capacity(data.len()), 0).await;
    res.unwrap();
    assert_bytes_eq(&buf, &data, "read_exact_at of the whole file");

    let (res, buf) = file.read_exact_at(Vec::with_capacity(50), data.len() as u64 - 20).await;
    let err = res.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(err.raw_os_error(), None);
    assert_bytes_eq(&buf, &data[data.len() - 20..], "bytes before EOF are kept");

    // std agrees on the kind.
    use std::os::unix::fs::FileExt;
    let mut std_buf = [0u8; 50];
    let std_err = std::fs::File::open(&path)
        .unwrap()
        .read_exact_at(&mut std_buf, data.len() as u64 - 20)
        .unwrap_err();
    fs_support::assert_same_error(&err, &std_err, "read_exact_at past EOF");

    let (res, boxed) = file.read_exact_at(vec![0u8; 1000].into_boxed_slice(), 7).await;
    res.unwrap();
    assert_bytes_eq(&boxed, &data[7..1007], "boxed read_exact_at");
});

fs_test!(async fn write_at_and_write_all_at(dir) {
    let path = dir.join("f");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .open(&path)
        .await
        .unwrap();
    let big = pattern(5 * 1024 * 1024, 12);
    let (res, back) = file.write_all_at(big.clone(), 0).await;
    res.unwrap();
    assert_eq!(back.len(), big.len(), "the buffer comes back whole");

    let (res, _) = file.write_at(&b"HELLO"[..], 100).await;
    assert_eq!(res.unwrap(), 5);
    let (res, _) = file.write_all_at(String::from("tail"), big.len() as u64 + 10).await;
    res.unwrap();
    let (res, _) = file.write_all_at("", 3).await;
    res.unwrap();

    let mut expected = big;
    expected[100..105].copy_from_slice(b"HELLO");
    expected.extend_from_slice(&[0u8; 10]);
    expected.extend_from_slice(b"tail");
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &expected, "after positional writes");
});

fs_test!(async fn positional_io_leaves_the_position_alone(dir) {
    let path = dir.join("f");
    std::fs::write(&path, b"0123456789").unwrap();
    let mut file = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();
    let mut two = [0u8; 2];
    file.read_exact(&mut two).await.unwrap();
    let (res, buf) = file.read_at(Vec::with_capacity(3), 7).await;
    assert_eq!(res.unwrap(), 3);
    assert_eq!(buf, b"789");
    let (res, _) = file.write_all_at(&b"ab"[..], 8).await;
    res.unwrap();
    assert_eq!(file.stream_position().await.unwrap(), 2);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"234567ab");
});

fs_test!(async fn sixty_four_concurrent_reads_on_one_file(dir) {
    let path = dir.join("f");
    let data = Arc::new(pattern(64 * 4096, 13));
    std::fs::write(&path, &*data).unwrap();
    let file = Arc::new(File::open(&path).await.unwrap());
    let tasks: Vec<_> = (0..64u64)
        .map(|i| {
            let file = Arc::clone(&file);
            let data = Arc::clone(&data);
            tandem::spawn(async move {
                // Out of order, to catch results handed to the wrong task.
                let chunk = (i * 37) % 64;
                let off = chunk * 4096;
                let (res, buf) = file.read_exact_at(Vec::with_capacity(4096), off).await;
                res.unwrap();
                let off = off as usize;
                assert_bytes_eq(&buf, &data[off..off + 4096], &format!("chunk {chunk}"));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
});

fs_test!(async fn dropping_a_read_future_is_harmless(dir) {
    let path = dir.join("f");
    let data = pattern(1024 * 1024, 14);
    std::fs::write(&path, &data).unwrap();
    let file = File::open(&path).await.unwrap();
    for _ in 0..20 {
        // Poll once (the operation starts), then drop the future: its buffer belongs to the
        // operation until the kernel is done with it.
        let mut fut = pin!(file.read_at(Vec::with_capacity(data.len()), 0));
        poll_fn(|cx| {
            let _ = fut.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    }
    let (res, buf) = file.read_at(Vec::with_capacity(16), 16).await;
    assert_eq!(res.unwrap(), 16);
    assert_bytes_eq(&buf, &data[16..32], "read after dropped reads");
    // into_std waits for dropped operations that still hold the fd.
    {
        let mut fut = pin!(file.read_at(Vec::with_capacity(data.len()), 0));
        poll_fn(|cx| {
            let _ = fut.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    }
    let std_file = file.into_std().await;
    let mut first = [0u8; 4];
    std::os::unix::fs::FileExt::read_exact_at(&std_file, &mut first, 0).unwrap();
    assert_eq!(first, data[..4]);
});
