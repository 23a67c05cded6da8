//! `net::unix::pipe` on every flavour: anonymous pipes, FIFOs opened by path (receiver first,
//! sender first with `read_write`, EOF and a resilient reader), the checks of the conversions
//! from files and descriptors, the `try_*` family with readiness, and the way back to a
//! descriptor (blocking or not).

mod support;

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use support::{each_flavor, make_fifo};
use tandem::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tandem::net::unix::pipe;

/// A fresh FIFO in a fresh directory under the temporary directory.
fn fifo(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tandem-pipe-{}-{tag}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("fifo");
    make_fifo(&path);
    path
}

fn is_nonblocking(fd: &impl AsFd) -> bool {
    // SAFETY: F_GETFL on a descriptor borrowed for the call.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags & libc::O_NONBLOCK != 0
}

#[test]
fn anonymous_pipe_carries_bytes_then_eof() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut tx, mut rx) = pipe::pipe().unwrap();
            let reader = tandem::spawn(async move {
                let mut all = Vec::new();
                rx.read_to_end(&mut all).await.unwrap();
                all
            });
            let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
            tx.write_all(&data).await.unwrap();
            tx.shutdown().await.unwrap(); // a no-op: dropping closes
            drop(tx);
            assert_eq!(reader.await.unwrap(), data);
        });
    });
}

#[test]
fn fifo_receiver_first_then_sender() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = fifo("simple");
            // A receiver opens without a writer; a sender then finds it.
            let mut rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
            let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
            tx.write_all(b"hello").await.unwrap();
            let mut buf = [0; 5];
            rx.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
            // The writer leaves: end-of-file, reported as read-closed readiness too.
            drop(tx);
            let ready = rx.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable());
            assert_eq!(rx.read(&mut buf).await.unwrap(), 0);
            // A new writer: data again.
            let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
            tx.write_all(b"again").await.unwrap();
            rx.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"again");
        });
    });
}

#[test]
fn fifo_sender_without_reader() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = fifo("sender-first");
            let err = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENXIO));
            // read_write: the sender is its own reader, so the open succeeds.
            let mut tx = pipe::OpenOptions::new()
                .read_write(true)
                .open_sender(&path)
                .unwrap();
            tx.write_all(b"early").await.unwrap();
            let mut rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
            let mut buf = [0; 5];
            rx.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"early");
        });
    });
}

#[test]
fn resilient_reader_never_reads_eof() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = fifo("resilient");
            let mut rx = pipe::OpenOptions::new()
                .read_write(true)
                .open_receiver(&path)
                .unwrap();
            for round in 0..3u8 {
                let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
                tx.write_all(&[round; 4]).await.unwrap();
                drop(tx);
                let ready = rx.ready(Interest::READABLE).await.unwrap();
                assert!(!ready.is_read_closed());
                let mut buf = [0; 4];
                rx.read_exact(&mut buf).await.unwrap();
                assert_eq!(buf, [round; 4]);
            }
        });
    });
}

#[test]
fn conversions_check_kind_and_access_mode() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let dir = fifo("checks");
            let regular = dir.with_file_name("regular");
            std::fs::write(&regular, b"x").unwrap();
            let not_a_pipe = |e: io::Error| assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            not_a_pipe(
                pipe::OpenOptions::new()
                    .open_receiver(&regular)
                    .unwrap_err(),
            );
            not_a_pipe(
                pipe::Sender::from_file(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(&regular)
                        .unwrap(),
                )
                .unwrap_err(),
            );
            not_a_pipe(
                pipe::Receiver::from_file(std::fs::File::open(&regular).unwrap()).unwrap_err(),
            );

            // The right kind, the wrong direction.
            let _rx = pipe::OpenOptions::new().open_receiver(&dir).unwrap();
            let write_only = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&dir)
                .unwrap();
            not_a_pipe(pipe::Receiver::from_file(write_only).unwrap_err());
            let read_only = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&dir)
                .unwrap();
            not_a_pipe(pipe::Sender::from_file(read_only).unwrap_err());

            // A blocking descriptor is made non-blocking.
            let (r, w) = std::io::pipe().unwrap();
            let (r, w) = (OwnedFd::from(r), OwnedFd::from(w));
            assert!(!is_nonblocking(&r) && !is_nonblocking(&w));
            let mut rx = pipe::Receiver::from_owned_fd(r).unwrap();
            let mut tx = pipe::Sender::from_owned_fd(w).unwrap();
            assert!(is_nonblocking(&rx) && is_nonblocking(&tx));
            tx.write_all(b"fd").await.unwrap();
            let mut buf = [0; 2];
            rx.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"fd");
        });
    });
}

#[test]
fn try_family_follows_readiness() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (tx, rx) = pipe::pipe().unwrap();
            // Nothing written: not readable, and `try_io` does not run the closure.
            let mut called = false;
            let res = rx.try_io(|| {
                called = true;
                Ok(())
            });
            assert_eq!(res.unwrap_err().kind(), io::ErrorKind::WouldBlock);
            assert!(!called);

            // Fill the pipe with try_write / try_write_vectored until WouldBlock.
            let chunk = [7u8; 4096];
            let mut written = 0;
            loop {
                tx.writable().await.unwrap();
                let res = if written % 2 == 0 {
                    tx.try_write(&chunk)
                } else {
                    tx.try_write_vectored(&[IoSlice::new(&chunk[..100]), IoSlice::new(&chunk)])
                };
                match res {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(written > 0);

            // Drain with try_read, try_read_vectored and try_read_buf (into spare capacity).
            let mut read = 0;
            let mut step = 0;
            let mut spare = Vec::with_capacity(10_000);
            while read < written {
                rx.readable().await.unwrap();
                let mut a = [0; 1000];
                let mut b = [0; 3000];
                let res = match step % 3 {
                    0 => rx.try_read(&mut a),
                    1 => rx
                        .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)]),
                    _ => {
                        spare.clear();
                        rx.try_read_buf(&mut spare)
                    }
                };
                step += 1;
                match res {
                    Ok(n) => read += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(read, written);
            assert!(spare.iter().all(|&b| b == 7));
            // A `WouldBlock` from the closure clears the readiness it acted on.
            let _ = tx.try_io(|| Err::<(), _>(io::ErrorKind::WouldBlock.into()));
            let mut called = false;
            let _ = tx.try_io(|| {
                called = true;
                Ok(())
            });
            assert!(!called);
        });
    });
}

#[test]
fn into_fds_deregister_and_set_the_mode() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (tx, rx) = pipe::pipe().unwrap();
            let tx = tx.into_blocking_fd().unwrap();
            let rx = rx.into_nonblocking_fd().unwrap();
            assert!(!is_nonblocking(&tx));
            assert!(is_nonblocking(&rx));
            // Still a working pipe, and registrable again.
            let mut tx = std::fs::File::from(tx);
            std::io::Write::write_all(&mut tx, b"back").unwrap();
            let mut rx = pipe::Receiver::from_owned_fd(rx).unwrap();
            let mut buf = [0; 4];
            rx.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"back");
        });
    });
}

#[test]
fn ends_and_their_futures_are_send_and_sync() {
    fn send_sync_unpin<T: Send + Sync + Unpin>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (tx, rx) = pipe::pipe().unwrap();
            send_sync_unpin(&tx);
            send_sync_unpin(&rx);
            send_sync_unpin(&pipe::OpenOptions::new());
            send_sync(&tx.writable());
            send_sync(&tx.ready(Interest::WRITABLE));
            send_sync(&rx.readable());
            send_sync(&rx.ready(Interest::READABLE));
        });
    });
}
