//! `AsyncFd` on every flavour: readiness guards (`clear_ready`, `clear_ready_matching`,
//! `retain_ready`, `try_io`), the `_mut` forms, the `poll_*` forms, `async_io`/`try_io`,
//! `into_inner`, and a registration failure handing the object back.

mod support;

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use support::each_flavor;
use tandem::io::unix::AsyncFd;
use tandem::io::{Interest, Ready};

fn nonblocking_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Reads through the guard until `WouldBlock` (which clears the readiness).
async fn read_all_available(fd: &AsyncFd<UnixStream>) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut guard = fd.readable().await.unwrap();
        let mut buf = [0; 64];
        match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
            Ok(res) => out.extend_from_slice(&buf[..res.unwrap()]),
            // Drained: the readiness is cleared now.
            Err(_would_block) => return out,
        }
    }
}

/// Waits for readiness and drains until `len` bytes came. Readiness may be spurious, as
/// Tokio documents: an edge-triggered event that `epoll_wait` reports again (an event fired
/// while the kernel was collecting it is re-queued) sets readiness with a newer tick than
/// the one the drain cleared, so one wait can end with nothing to read. CI saw it (2 in 300
/// runs of the old single-drain assertion on 8 workers).
async fn read_len(fd: &AsyncFd<UnixStream>, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < len {
        out.extend(read_all_available(fd).await);
    }
    out
}

#[test]
fn guards_read_and_clear() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, mut b) = nonblocking_pair();
            let fd = AsyncFd::new(a).unwrap();
            b.write_all(b"hello").unwrap();
            assert_eq!(read_len(&fd, 5).await, b"hello");

            // After the WouldBlock cleared it, the next wait needs a new edge.
            let reader = async { read_len(&fd, 5).await };
            let writer = async {
                tandem::task::yield_now().await;
                b.write_all(b"again").unwrap();
            };
            let (got, ()) = tandem::join!(reader, writer);
            assert_eq!(got, b"again");

            // Writable, and a guard that keeps its readiness.
            let mut guard = fd.writable().await.unwrap();
            assert!(guard.ready().is_writable());
            guard.retain_ready();
            let guard = fd.writable().await.unwrap();
            assert!(guard.get_inner().peer_addr().is_ok());
            assert!(std::ptr::eq(guard.get_ref(), &fd));
        });
    });
}

#[test]
fn clear_ready_matching_keeps_the_rest() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, mut b) = nonblocking_pair();
            let fd = AsyncFd::new(a).unwrap();
            b.write_all(b"x").unwrap();
            let mut guard = fd
                .ready(Interest::READABLE | Interest::WRITABLE)
                .await
                .unwrap();
            // Wait until both were reported (the read edge may come a turn later).
            while !guard.ready().is_readable() {
                tandem::task::yield_now().await;
                guard = fd
                    .ready(Interest::READABLE | Interest::WRITABLE)
                    .await
                    .unwrap();
            }
            assert!(guard.ready().is_writable());
            guard.clear_ready_matching(Ready::WRITABLE);
            assert!(guard.ready().is_readable());
            assert!(!guard.ready().is_writable());
            guard.clear_ready();
            assert_eq!(guard.ready(), Ready::EMPTY);
            // The data is still there; the fd's readiness was cleared without a read, so only
            // try_io with WouldBlock semantics tells: a raw read still finds it.
            let mut buf = [0; 1];
            assert_eq!(fd.get_ref().read(&mut buf).unwrap(), 1);
        });
    });
}

#[test]
fn mut_guards_poll_forms_and_io_helpers() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, mut b) = nonblocking_pair();
            let mut fd =
                AsyncFd::with_interest(a, Interest::READABLE | Interest::WRITABLE).unwrap();

            let mut guard = fd.writable_mut().await.unwrap();
            let n = guard
                .try_io(|inner| inner.get_mut().write(b"to b"))
                .unwrap()
                .unwrap();
            assert_eq!(n, 4);
            guard.get_inner_mut().flush().unwrap();
            assert!(guard.get_mut().get_ref().local_addr().is_ok());
            let mut buf = [0; 4];
            b.read_exact(&mut buf).unwrap();

            b.write_all(b"to a").unwrap();
            let mut guard = fd.readable_mut().await.unwrap();
            let n = guard
                .try_io(|inner| inner.get_mut().read(&mut buf))
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], b"to a");
            assert!(guard.get_inner().peer_addr().is_ok());

            // poll forms.
            let guard = poll_fn(|cx| fd.poll_write_ready(cx)).await.unwrap();
            assert!(guard.ready().is_writable());
            // A `_mut` guard borrows `fd` mutably: it cannot leave the closure.
            poll_fn(|cx| {
                fd.poll_write_ready_mut(cx)
                    .map_ok(|g| assert!(g.ready().is_writable()))
            })
            .await
            .unwrap();
            b.write_all(b"p").unwrap();
            let mut guard = poll_fn(|cx| fd.poll_read_ready(cx)).await.unwrap();
            assert_eq!(
                guard
                    .try_io(|inner| inner.get_ref().read(&mut buf))
                    .unwrap()
                    .unwrap(),
                1
            );
            b.write_all(b"q").unwrap();
            let n = poll_fn(|cx| {
                fd.poll_read_ready_mut(cx).map_ok(|mut g| {
                    g.try_io(|inner| inner.get_mut().read(&mut buf))
                        .expect("readable")
                        .unwrap()
                })
            })
            .await
            .unwrap();
            assert_eq!(&buf[..n], b"q");

            // async_io / try_io helpers.
            b.write_all(b"Q").unwrap();
            let n = fd
                .async_io(Interest::READABLE, |inner| (&*inner).read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"Q");
            let err = fd
                .try_io(Interest::READABLE, |inner| (&*inner).read(&mut buf))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            b.write_all(b"r").unwrap();
            let n = fd
                .async_io_mut(Interest::READABLE, |inner| inner.read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"r");
            fd.writable().await.unwrap();
            fd.try_io_mut(Interest::WRITABLE, |inner| inner.write(b"s"))
                .unwrap();
            assert!(fd
                .ready_mut(Interest::WRITABLE)
                .await
                .unwrap()
                .ready()
                .is_writable());

            // into_inner gives the object back, still usable.
            let mut a = fd.into_inner();
            b.read_exact(&mut buf[..1]).unwrap();
            assert_eq!(&buf[..1], b"s");
            a.write_all(b"t").unwrap();
            b.read_exact(&mut buf[..1]).unwrap();
            assert_eq!(&buf[..1], b"t");
        });
    });
}

#[test]
fn registration_failure_returns_the_object() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            // epoll refuses regular files (EPERM).
            let file = tempfile_in_target();
            let err = AsyncFd::try_new(file).unwrap_err();
            let (file, cause) = err.into_parts();
            assert_eq!(cause.raw_os_error(), Some(libc::EPERM), "{cause}");
            assert!(file.metadata().is_ok());
            let err = AsyncFd::new(file).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        });
    });
}

#[test]
fn register_is_new_under_tokio_1_54s_name() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, mut b) = nonblocking_pair();
            // SAFETY: `a` is an open socket the AsyncFd owns for its whole life.
            let fd = unsafe { AsyncFd::register_with_interest(a, Interest::READABLE) }.unwrap();
            b.write_all(b"ping").unwrap();
            assert_eq!(read_all_available(&fd).await, b"ping");
            // SAFETY: a regular file, open for the AsyncFd's life (which ends at once).
            let err = unsafe { AsyncFd::register(tempfile_in_target()) }.unwrap_err();
            let (_file, cause) = err.into_parts();
            assert_eq!(cause.raw_os_error(), Some(libc::EPERM), "{cause}");
        });
    });
}

fn tempfile_in_target() -> std::fs::File {
    // A name per call: the tests of this binary run in parallel, and two of them make one.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, Relaxed);
    let path = std::env::temp_dir().join(format!("tandem-asyncfd-{}-{n}", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}
