//! `tandem::fs::File` streaming I/O against std on every flavour and backend: round trips,
//! files larger than the 2 MiB buffer, interleaved seek/read/write checked against a model,
//! read-ahead discarded by seek and write, append mode, set_len, sync, clone/into_std, and
//! a write accepted before a drop still reaching the file.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::future::poll_fn;
use std::io::{Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use fs_support::{assert_bytes_eq, pattern};
use tandem::fs::{File, OpenOptions};
use tandem::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

const MIB: usize = 1024 * 1024;

fs_test!(async fn create_write_flush_read(dir) {
    let path = dir.join("f");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"hello, world").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello, world");

    let mut file = File::open(&path).await.unwrap();
    let mut got = String::new();
    file.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "hello, world");
    // At the end, a read returns 0 and keeps returning 0.
    let mut buf = [0u8; 8];
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
    assert_eq!(file.read(&mut buf).await.unwrap(), 0);
});

fs_test!(async fn large_file_through_the_buffer(dir) {
    let path = dir.join("big");
    let data = pattern(5 * MIB + 12345, 1);
    let mut file = File::create(&path).await.unwrap();
    // One write_all: split by poll_write into max_buf_size pieces.
    file.write_all(&data).await.unwrap();
    file.flush().await.unwrap();
    drop(file);
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, "written by write_all");

    let mut got = Vec::new();
    File::open(&path).await.unwrap().read_to_end(&mut got).await.unwrap();
    assert_bytes_eq(&got, &data, "read_to_end");

    // Odd-sized reads, then odd-sized writes in a second file.
    let mut file = File::open(&path).await.unwrap();
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 7919];
    loop {
        let n = file.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    assert_bytes_eq(&got, &data, "7919-byte reads");

    let copy = dir.join("copy");
    let mut out = File::create(&copy).await.unwrap();
    for piece in data.chunks(3 * MIB / 2 + 1) {
        out.write_all(piece).await.unwrap();
    }
    out.shutdown().await.unwrap();
    assert_bytes_eq(&std::fs::read(&copy).unwrap(), &data, "piecewise write_all");
});

fs_test!(async fn small_max_buf_size_splits_reads_and_writes(dir) {
    let path = dir.join("f");
    let data = pattern(100_000, 2);
    let mut file = File::create(&path).await.unwrap();
    file.set_max_buf_size(1000);
    assert_eq!(file.max_buf_size(), 1000);
    assert_eq!(file.write(&data).await.unwrap(), 1000, "one write takes at most max_buf_size");
    file.write_all(&data[1000..]).await.unwrap();
    file.flush().await.unwrap();
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, "contents");

    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(1000);
    let mut buf = vec![0u8; 5000];
    assert_eq!(file.read(&mut buf).await.unwrap(), 1000, "one read gives at most max_buf_size");
    assert_bytes_eq(&buf[..1000], &data[..1000], "first read");
});

/// One step of the model test.
#[derive(Clone, Copy, Debug)]
enum Step {
    Read(usize),
    Write(usize),
    Seek(SeekFrom),
    Flush,
}

fs_test!(async fn interleaved_seek_read_write_match_std(dir) {
    let initial = pattern(300_000, 3);
    let ours_path = dir.join("ours");
    let std_path = dir.join("std");
    std::fs::write(&ours_path, &initial).unwrap();
    std::fs::write(&std_path, &initial).unwrap();

    let mut ours = OpenOptions::new().read(true).write(true).open(&ours_path).await.unwrap();
    ours.set_max_buf_size(64 * 1024);
    let mut theirs = std::fs::OpenOptions::new().read(true).write(true).open(&std_path).unwrap();

    let steps = [
        Step::Read(100),
        Step::Write(50),
        Step::Read(200_000),
        Step::Seek(SeekFrom::Current(-1000)),
        Step::Write(100_000),
        Step::Seek(SeekFrom::Start(10)),
        Step::Read(7),
        Step::Seek(SeekFrom::Current(0)),
        Step::Write(3),
        Step::Flush,
        Step::Seek(SeekFrom::End(-5)),
        Step::Read(100),
        Step::Write(10),
        Step::Seek(SeekFrom::End(1000)),
        Step::Write(10),
        Step::Seek(SeekFrom::Start(0)),
        Step::Read(1_000_000),
    ];
    let writes = pattern(1_000_000, 4);
    let mut w = 0;
    for (i, step) in steps.iter().enumerate() {
        let what = format!("step {i} {step:?}");
        match *step {
            Step::Read(n) => {
                let mut a = vec![0u8; n];
                let mut b = vec![0u8; n];
                let na = ours.read(&mut a).await.unwrap();
                let nb = theirs.read(&mut b).unwrap();
                // A single read may return less; top up until std's count.
                let mut na = na;
                while na < nb {
                    let more = ours.read(&mut a[na..nb]).await.unwrap();
                    assert!(more > 0, "{what}: early end");
                    na += more;
                }
                assert_eq!(na, nb, "{what}: count");
                assert_bytes_eq(&a[..na], &b[..nb], &what);
            }
            Step::Write(n) => {
                ours.write_all(&writes[w..w + n]).await.unwrap();
                theirs.write_all(&writes[w..w + n]).unwrap();
                w += n;
            }
            Step::Seek(pos) => {
                let a = ours.seek(pos).await.unwrap();
                let b = theirs.seek(pos).unwrap();
                assert_eq!(a, b, "{what}: position");
            }
            Step::Flush => ours.flush().await.unwrap(),
        }
    }
    ours.flush().await.unwrap();
    drop(ours);
    assert_bytes_eq(
        &std::fs::read(&ours_path).unwrap(),
        &std::fs::read(&std_path).unwrap(),
        "final contents",
    );
});

/// Starts a read with room for `len` bytes and abandons it after one poll, leaving data
/// read ahead in the file's buffer once the read ends (the next read of the file drives it).
/// Returns how many bytes that first poll handed out: if the read was already done (on
/// io_uring a read of cached pages usually is, at its first poll), it completed the read and
/// nothing is left buffered.
async fn abandon_read(file: &mut File, len: usize) -> usize {
    let mut big = vec![0u8; len];
    poll_fn(|cx| {
        let mut buf = ReadBuf::new(&mut big);
        let _ = Pin::new(&mut *file).poll_read(cx, &mut buf);
        Poll::Ready(buf.filled().len())
    })
    .await
}

fs_test!(async fn read_ahead_is_undone_by_seek_write_and_set_len(dir) {
    let path = dir.join("f");
    // Room for three abandoned reads that all completed at their first poll.
    let data = pattern(20_000, 5);
    std::fs::write(&path, &data).unwrap();
    let mut file = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();

    let mut at = abandon_read(&mut file, 4096).await;
    // The next read completes the abandoned one (4096 bytes buffered) and hands out 10.
    let mut small = [0u8; 10];
    file.read_exact(&mut small).await.unwrap();
    assert_eq!(small, data[at..at + 10]);
    at += 10;
    assert_eq!(file.stream_position().await.unwrap(), at as u64, "position after buffered read");

    // A write goes where the caller is, not where the kernel's position is.
    at += abandon_read(&mut file, 4096).await;
    let mut small = [0u8; 5];
    file.read_exact(&mut small).await.unwrap();
    assert_eq!(small, data[at..at + 5]);
    at += 5;
    file.write_all(b"XYZ").await.unwrap();
    file.flush().await.unwrap();
    let mut expected = data.clone();
    expected[at..at + 3].copy_from_slice(b"XYZ");
    at += 3;
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &expected, "write after read-ahead");
    assert_eq!(file.stream_position().await.unwrap(), at as u64);

    // set_len keeps the caller's position too.
    at += abandon_read(&mut file, 4096).await;
    let mut one = [0u8; 1];
    file.read_exact(&mut one).await.unwrap();
    assert_eq!(one[0], expected[at]);
    at += 1;
    file.set_len(15_000).await.unwrap();
    assert_eq!(file.stream_position().await.unwrap(), at as u64);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_bytes_eq(&rest, &expected[at..15_000], "read after set_len");
});

fs_test!(async fn seek_after_partly_consumed_read_ahead_matches_std(dir) {
    // Each round: a read of 4096 abandoned after one poll (read ahead if it was still in
    // flight), a small read served from what it brought, then a seek of every kind. The
    // position and the bytes after it must be std's, whether or not data was buffered.
    let path = dir.join("f");
    let data = pattern(64 * 1024, 9);
    std::fs::write(&path, &data).unwrap();
    let mut ours = File::open(&path).await.unwrap();
    let mut theirs = std::fs::File::open(&path).unwrap();
    let seeks = [
        SeekFrom::Current(0),
        SeekFrom::Current(-3),
        SeekFrom::Current(100),
        SeekFrom::Current(5000),
        SeekFrom::Start(12_345),
        SeekFrom::End(-4000),
        SeekFrom::Start(1),
        SeekFrom::Current(-1),
    ];
    for (round, &pos) in seeks.iter().cycle().take(3 * seeks.len()).enumerate() {
        let what = format!("round {round}, {pos:?}");
        let skipped = abandon_read(&mut ours, 4096).await;
        theirs.seek(SeekFrom::Current(skipped as i64)).unwrap();
        let mut got = [0u8; 7];
        let n = ours.read(&mut got).await.unwrap();
        let mut want = vec![0u8; n];
        theirs.read_exact(&mut want).unwrap();
        assert_eq!(&got[..n], &want[..], "{what}: bytes before the seek");

        let at = theirs.seek(pos).unwrap();
        assert_eq!(ours.seek(pos).await.unwrap(), at, "{what}: position");
        let mut after = [0u8; 16];
        ours.read_exact(&mut after).await.unwrap();
        let mut want = [0u8; 16];
        theirs.read_exact(&mut want).unwrap();
        assert_eq!(after, want, "{what}: bytes after the seek");
        assert_eq!(ours.stream_position().await.unwrap(), at + 16, "{what}: position after");
    }
    // A failed seek (before the start) reports std's error; the next seek works.
    let err = ours.seek(SeekFrom::Current(-1_000_000)).await.unwrap_err();
    let std_err = theirs.seek(SeekFrom::Current(-1_000_000)).unwrap_err();
    assert_eq!(err.raw_os_error(), std_err.raw_os_error());
    assert_eq!(ours.seek(SeekFrom::Start(7)).await.unwrap(), 7);
});

/// Where `/proc/self/fd/{fd}` points, if that fd is open.
fn fd_target(fd: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()
}

fs_test!(async fn drop_with_read_in_flight_releases_fd_and_buffer(dir) {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;

    // A FIFO with no data: a read of it stays in flight until something is written.
    let fifo = dir.join("fifo");
    support::make_fifo(&fifo);
    // Read and write: opening does not wait for a writer, and the FIFO always has a reader
    // while the file is open.
    let mut file = OpenOptions::new().read(true).write(true).open(&fifo).await.unwrap();
    let fd = file.as_raw_fd();
    let fifo = fifo.canonicalize().unwrap();
    assert_eq!(fd_target(fd).as_deref(), Some(fifo.as_path()));

    let mut buf = [0u8; 4096];
    let pending = poll_fn(|cx| {
        let mut dst = ReadBuf::new(&mut buf);
        Poll::Ready(Pin::new(&mut file).poll_read(cx, &mut dst).is_pending())
    })
    .await;
    assert!(pending, "a read of an empty FIFO is in flight");
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    drop(file);

    // The dropped read owns the fd and the buffer together: the fd closes when the operation
    // lets go of both. A read cancelled on io_uring does so at its cancellation; one blocked
    // in read(2) on the pool when a byte arrives (an io_uring read not yet cancelled, too).
    let _ = writer.write(b"x");
    // Another test of this binary may get the same fd number: it will not point to our FIFO.
    let closed = support::wait_until_async(Duration::from_secs(10), || {
        fd_target(fd).as_deref() != Some(fifo.as_path())
    })
    .await;
    assert!(closed, "the fd of a file dropped with a read in flight stayed open");
    drop(writer);
});

fs_test!(async fn append_mode_always_writes_at_the_end(dir) {
    let path = dir.join("log");
    std::fs::write(&path, b"start\n").unwrap();
    let mut file = OpenOptions::new().append(true).open(&path).await.unwrap();
    file.write_all(b"one\n").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    file.write_all(b"two\n").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"start\none\ntwo\n");

    let mut other = OpenOptions::new().create(true).append(true).open(dir.join("new")).await.unwrap();
    other.write_all(b"a").await.unwrap();
    other.flush().await.unwrap();
    assert_eq!(std::fs::read(dir.join("new")).unwrap(), b"a");
});

fs_test!(async fn set_len_metadata_and_sync(dir) {
    let path = dir.join("f");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(&[7u8; 100]).await.unwrap();
    // sync_all waits for the write in flight.
    file.sync_all().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 100);
    file.set_len(10).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 10);
    file.set_len(5000).await.unwrap();
    file.sync_data().await.unwrap();
    let meta = file.metadata().await.unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.len(), 5000);
    let mut expected = vec![7u8; 10];
    expected.resize(5000, 0);
    assert_eq!(std::fs::read(&path).unwrap(), expected);
    // The position is unchanged by set_len: the next write lands at 100.
    file.write_all(b"!").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap()[100], b'!');

    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600)).await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
});

fs_test!(async fn clone_std_conversions_and_fd(dir) {
    use std::os::fd::{AsFd, AsRawFd};
    let path = dir.join("f");
    std::fs::write(&path, b"0123456789").unwrap();
    let mut file = File::open(&path).await.unwrap();
    let mut clone = file.try_clone().await.unwrap();
    assert_ne!(file.as_raw_fd(), clone.as_raw_fd());
    assert_eq!(file.as_fd().as_raw_fd(), file.as_raw_fd());
    // Clones share the position.
    let mut two = [0u8; 2];
    file.read_exact(&mut two).await.unwrap();
    clone.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"23");
    assert!(format!("{file:?}").contains("File"));

    let mut std_file = clone.into_std().await;
    let mut rest = String::new();
    std_file.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "456789");

    let mut from_std: File = std::fs::File::open(&path).unwrap().into();
    let mut all = String::new();
    from_std.read_to_string(&mut all).await.unwrap();
    assert_eq!(all, "0123456789");
    let mut std_again = from_std.try_into_std().expect("idle file converts");
    assert_eq!(std_again.stream_position().unwrap(), 10);

    // A write in flight keeps try_into_std from taking the file... unless it already ended;
    // either answer is valid, and the file must still work afterwards.
    let mut w = File::create(dir.join("w")).await.unwrap();
    w.write_all(b"abc").await.unwrap();
    let w = match w.try_into_std() {
        Ok(std) => File::from_std(std),
        Err(file) => file,
    };
    let mut w = w;
    w.flush().await.unwrap();
    drop(w);
    assert_eq!(std::fs::read(dir.join("w")).unwrap(), b"abc");
});

fs_test!(async fn write_before_drop_reaches_the_file(dir) {
    let path = dir.join("f");
    let data = pattern(3 * MIB, 6);
    let mut file = File::create(&path).await.unwrap();
    file.write_all(&data).await.unwrap();
    drop(file); // No flush: the background write finishes on its own.
    let done = support::wait_until_async(Duration::from_secs(10), || {
        std::fs::metadata(&path).map(|m| m.len() as usize).ok() == Some(data.len())
    })
    .await;
    assert!(done, "the dropped file's last write never finished");
    assert_bytes_eq(&std::fs::read(&path).unwrap(), &data, "contents");
});

fs_test!(async fn write_vectored_takes_several_slices(dir) {
    use std::io::IoSlice;
    let path = dir.join("f");
    let mut file = File::create(&path).await.unwrap();
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
    let n = file.write_vectored(&bufs).await.unwrap();
    assert_eq!(n, 5);
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
});

fs_test!(async fn std_file_interop_positions(dir) {
    // A std file's position is where tandem's file starts.
    let path = dir.join("f");
    std::fs::write(&path, b"abcdef").unwrap();
    let mut std_file = std::fs::File::open(&path).unwrap();
    std_file.seek(SeekFrom::Start(2)).unwrap();
    let mut file = File::from_std(std_file);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"cdef");
    assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 5);
    let mut last = [0u8; 1];
    file.read_exact(&mut last).await.unwrap();
    assert_eq!(&last, b"f");
    let _ = std::io::stdout().flush();
});

#[test]
fn public_types_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    fn types<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    types::<File>();
    types::<OpenOptions>();
    types::<tandem::fs::DirBuilder>();
    types::<tandem::fs::ReadDir>();
    types::<tandem::fs::DirEntry>();
    // Never polled: only their types are checked.
    send(&tandem::fs::read("x"));
    send(&tandem::fs::write("x", b"y"));
    send(&tandem::fs::read_dir("x"));
    send(&File::open("x"));
    send_sync(&OpenOptions::new());
}
