//! `try_io` and `async_io` on streams whose reads and writes go over io_uring
//! (`Builder::net_io_uring(true)`): the caller's closure acts on the socket itself, so the ring
//! must not hold bytes that belong before what the closure reads or writes.
//!
//! - Writes: bytes a `write` took and the ring has not sent yet go out before a raw write.
//!   (Before the fix, a raw `send(2)` run by `try_io(WRITABLE)` while a write's send entry
//!   waited in the SQ reached the peer first.)
//! - Reads: a raw read after the stream was read through the ring gets the bytes that arrive
//!   next. (Before the fix, the multishot receive armed by the earlier `read` stayed armed and
//!   took them: the raw read never saw them, `async_io` waited for ever, and a loop on
//!   `readable` and `try_io` spun.) Bytes the receive took before its end landed are not
//!   skipped: the raw read fails with `ErrorKind::Other` saying so, and `read` returns them.

#[path = "support/net_stream.rs"]
mod net_stream;
mod support;

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use net_stream::{pair, run, runtime, FLAVORS};
use std::future::Future;
use support::Flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tandem::net::{TcpStream, UnixStream};

/// `send(2)` of `buf` on `fd`, as a caller of `try_io` would write it.
fn raw_send(fd: i32, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes; `fd` is the caller's open socket.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `recv(2)` into `buf` on `fd`, as a caller of `try_io` would read it.
fn raw_recv(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `fd` is the caller's open socket.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Reads exactly `len` bytes from the peer.
async fn read_len(peer: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut got = vec![0u8; len];
    peer.read_exact(&mut got).await.unwrap();
    got
}

/// Runs `test` as a task on each flavour's runtime with streams over io_uring (none where
/// the kernel has no rings: there is nothing to check).
fn on_ring_flavors<F: Future<Output = ()> + Send + 'static>(test: impl Fn(Flavor) -> F) {
    for flavor in FLAVORS {
        let rt = runtime(flavor, true);
        if !rt.metrics().io_uring().enabled {
            eprintln!("io_uring is unavailable here: the test has nothing to check");
            return;
        }
        run(&rt, test(flavor));
    }
}

/// A receive that holds `bytes`: armed, then `bytes` from the peer, taken (a peek answers from
/// the receive's chunks once they are there).
async fn hold_bytes(client: &mut TcpStream, server: &mut TcpStream, bytes: &[u8]) {
    arm_receive(client, server).await;
    server.write_all(bytes).await.unwrap();
    let mut first = [0u8; 1];
    assert_eq!(client.peek(&mut first).await.unwrap(), 1);
    assert_eq!(first[0], bytes[0]);
}

/// Arms `stream`'s receive: a read that finds the socket empty, then the peer's byte.
async fn arm_receive(stream: &mut TcpStream, peer: &mut TcpStream) {
    let (read, ()) = tandem::join!(async { stream.read_u8().await.unwrap() }, async {
        tandem::time::sleep(Duration::from_millis(5)).await;
        peer.write_all(&[0x5a]).await.unwrap();
    });
    assert_eq!(read, 0x5a);
}

#[test]
fn try_io_writes_after_the_bytes_writes_took() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        // An armed receive keeps the ring busy in the kernel, so the next write's send
        // entry waits in the SQ for the worker's flush instead of going in at once.
        arm_receive(&mut client, &mut server).await;
        client.write_all(b"first").await.unwrap();
        let fd = client.as_raw_fd();
        let n = loop {
            client.writable().await.unwrap();
            match client.try_io(Interest::WRITABLE, || raw_send(fd, b"second")) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("try_io: {e}"),
            }
        };
        assert_eq!(n, 6);
        assert_eq!(
            read_len(&mut server, 11).await,
            b"firstsecond",
            "[{}] the raw write overtook the bytes a write took",
            flavor.name
        );
    });
}

#[test]
fn async_io_writes_after_the_bytes_writes_took() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        client.write_all(b"first").await.unwrap();
        let fd = client.as_raw_fd();
        let n = client
            .async_io(Interest::WRITABLE, || raw_send(fd, b"second"))
            .await
            .unwrap();
        assert_eq!(n, 6);
        // Writes after a raw one keep their order too.
        client.write_all(b"third").await.unwrap();
        assert_eq!(
            read_len(&mut server, 16).await,
            b"firstsecondthird",
            "[{}]",
            flavor.name
        );
    });
}

#[test]
fn async_io_reads_what_arrives_after_reads_over_the_ring() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        let fd = client.as_raw_fd();
        // The bytes come through the raw read; or, if the receive took them before its
        // end landed (its ring another worker's, whose next tick came after the write),
        // through `read` after the raw read said so.
        let raw = async {
            let mut buf = [0u8; 16];
            match client
                .async_io(Interest::READABLE, || raw_recv(fd, &mut buf))
                .await
            {
                Ok(n) => buf[..n].to_vec(),
                Err(e) if e.kind() == io::ErrorKind::Other && flavor.is_multi_thread() => {
                    let mut got = vec![0u8; 4];
                    client.read_exact(&mut got).await.unwrap();
                    got
                }
                Err(e) => panic!("[{}] async_io: {e}", flavor.name),
            }
        };
        let write = async {
            tandem::time::sleep(Duration::from_millis(20)).await;
            server.write_all(b"next").await.unwrap();
        };
        let got = tandem::time::timeout(Duration::from_secs(10), async {
            tandem::join!(raw, write).0
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "[{}] async_io(READABLE) never saw the bytes: the receive took them",
                flavor.name
            )
        });
        assert_eq!(got, b"next", "[{}]", flavor.name);
        // Reads after a raw one go on through the socket, in order.
        server.write_all(b"after").await.unwrap();
        assert_eq!(read_len(&mut client, 5).await, b"after");
    });
}

#[test]
fn try_io_reads_what_arrives_after_reads_over_the_ring() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        let fd = client.as_raw_fd();
        let mut buf = [0u8; 16];
        // Nothing has arrived: the closure may run and find the socket empty, or be
        // skipped while the receive ends; either way `WouldBlock`.
        let first = client.try_io(Interest::READABLE, || raw_recv(fd, &mut buf));
        assert_eq!(
            first.unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "[{}]",
            flavor.name
        );
        server.write_all(b"next").await.unwrap();
        // The bytes come whole and once: through the raw read, or, if the receive took
        // them before its end landed (its ring another worker's), through `read` after
        // the raw read said so.
        let mut got = Vec::new();
        let mut raw_reads = 0;
        tandem::time::timeout(Duration::from_secs(10), async {
            while got.len() < 4 {
                client.readable().await.unwrap();
                match client.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)) {
                    Ok(n) => {
                        raw_reads += 1;
                        got.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Other => {
                        let n = client.read(&mut buf).await.unwrap();
                        got.extend_from_slice(&buf[..n]);
                    }
                    Err(e) => panic!("try_io: {e}"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("[{}] the bytes never came", flavor.name));
        assert_eq!(got, b"next", "[{}]", flavor.name);
        if !flavor.is_multi_thread() {
            // One worker: the receive's cancel entered the kernel at the first `try_io`,
            // before the bytes were written.
            assert_eq!(raw_reads, 1, "[{}] the receive took them", flavor.name);
        }
    });
}

#[test]
fn a_raw_read_behind_bytes_the_receive_took_fails_and_skips_nothing() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        hold_bytes(&mut client, &mut server, b"held").await;
        let fd = client.as_raw_fd();
        let mut buf = [0u8; 16];
        let err = client
            .async_io(Interest::READABLE, || raw_recv(fd, &mut buf))
            .await
            .expect_err(&format!(
                "[{}] the raw read skipped held bytes",
                flavor.name
            ));
        assert_eq!(err.kind(), io::ErrorKind::Other, "[{}] {err}", flavor.name);
        assert!(
            err.to_string().contains("received"),
            "[{}] {err}",
            flavor.name
        );
        // The bytes are still the next a read returns, then the socket's: through the raw
        // read, or, if the receive (its end not landed yet: another worker's ring) took
        // them too, through a read after it said so.
        assert_eq!(read_len(&mut client, 4).await, b"held");
        server.write_all(b"then").await.unwrap();
        let then = match client
            .async_io(Interest::READABLE, || raw_recv(fd, &mut buf))
            .await
        {
            Ok(n) => buf[..n].to_vec(),
            Err(e) if e.kind() == io::ErrorKind::Other && flavor.is_multi_thread() => {
                read_len(&mut client, 4).await
            }
            Err(e) => panic!("[{}] async_io: {e}", flavor.name),
        };
        assert_eq!(then, b"then", "[{}]", flavor.name);
    });
}

#[test]
fn unix_streams_keep_the_order_of_raw_and_ring_writes() {
    on_ring_flavors(|flavor| async move {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        // Arm `a`'s receive, so its next send waits in the SQ.
        let (read, ()) = tandem::join!(async { a.read_u8().await.unwrap() }, async {
            tandem::time::sleep(Duration::from_millis(5)).await;
            b.write_all(&[1]).await.unwrap();
        });
        assert_eq!(read, 1);
        a.write_all(b"first").await.unwrap();
        let fd = a.as_raw_fd();
        a.async_io(Interest::WRITABLE, || raw_send(fd, b"second"))
            .await
            .unwrap();
        let mut got = [0u8; 11];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"firstsecond", "[{}]", flavor.name);
    });
}

#[test]
fn into_std_writes_after_the_bytes_writes_took() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        client.write_all(b"first").await.unwrap();
        let mut std = client.into_std().unwrap();
        let mut sent = 0;
        while sent < 6 {
            match std::io::Write::write(&mut std, &b"second"[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    tandem::time::sleep(Duration::from_millis(1)).await
                }
                Err(e) => panic!("write: {e}"),
            }
        }
        assert_eq!(
            read_len(&mut server, 11).await,
            b"firstsecond",
            "[{}] a write on the std stream overtook the bytes a write took",
            flavor.name
        );
    });
}

#[test]
fn into_std_with_bytes_the_peer_has_no_room_for_fails_and_still_sends_them() {
    on_ring_flavors(|flavor| async move {
        // Small socket buffers: the 64 KiB the send queue holds cannot all fit.
        let listen = tandem::net::TcpSocket::new_v4().unwrap();
        listen.set_recv_buffer_size(4096).unwrap();
        listen.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listen.listen(16).unwrap();
        let socket = tandem::net::TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(4096).unwrap();
        let (client, accepted) = tandem::join!(
            socket.connect(listener.local_addr().unwrap()),
            listener.accept()
        );
        let (client, mut server) = (client.unwrap(), accepted.unwrap().0);
        // Fill the send queue: the peer reads nothing yet.
        let chunk = net_stream::pattern(64 * 1024, 3);
        let mut written = Vec::new();
        loop {
            client.writable().await.unwrap();
            match client.try_write(&chunk) {
                Ok(n) => written.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("try_write: {e}"),
            }
        }
        let err = client.into_std().expect_err(&format!(
            "[{}] into_std returned a socket whose writes could overtake the bytes queued",
            flavor.name
        ));
        assert_eq!(err.kind(), io::ErrorKind::Other, "[{}] {err}", flavor.name);
        // The dropped stream still sends every byte it took, in order, then closes.
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert!(
            got == written,
            "[{}] {} bytes read of {}",
            flavor.name,
            got.len(),
            written.len()
        );
    });
}

#[test]
fn a_readable_and_try_io_loop_behind_bytes_the_receive_took_does_not_spin() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        hold_bytes(&mut client, &mut server, b"held").await;
        let fd = client.as_raw_fd();
        let mut buf = [0u8; 16];
        // `readable` answers from the bytes held: `try_io` must say why it cannot read,
        // not `WouldBlock` for ever (the loop never yields, so the worker could not reap
        // the receive's end).
        let mut would_block = 0;
        loop {
            client.readable().await.unwrap();
            match client.try_io(Interest::READABLE, || raw_recv(fd, &mut buf)) {
                Err(e) if e.kind() == io::ErrorKind::Other => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    would_block += 1;
                    assert!(
                        would_block < 10,
                        "[{}] readable and try_io spun",
                        flavor.name
                    );
                }
                Ok(n) => panic!("[{}] the raw read skipped held bytes: {n}", flavor.name),
                Err(e) => panic!("[{}] try_io: {e}", flavor.name),
            }
        }
        assert_eq!(read_len(&mut client, 4).await, b"held", "[{}]", flavor.name);
    });
}

/// `into_std` sends what writes took by reaping its worker's ring, which may complete other
/// tasks' operations: their wake-ups must schedule them as any reap's do. (Before, the reap ran
/// inside the worker's core and the wake-up of the peer's read, a task of its own, panicked
/// with the core borrowed; that task was never polled again.)
#[test]
fn into_std_wakes_the_tasks_its_reap_completes() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        let reader = tandem::spawn(async move {
            let mut got = [0u8; 5];
            server.read_exact(&mut got).await.unwrap();
            got
        });
        // The reader runs, finds nothing and arms its receive on this worker's ring.
        for _ in 0..4 {
            tandem::task::yield_now().await;
        }
        client.write_all(b"hello").await.unwrap();
        let std = client.into_std().unwrap();
        let got = tandem::time::timeout(Duration::from_secs(10), reader)
            .await
            .unwrap_or_else(|_| panic!("[{}] the reader was never woken", flavor.name))
            .unwrap();
        assert_eq!(&got, b"hello", "[{}]", flavor.name);
        drop(std);
    });
}

/// `ready(READABLE | WRITABLE)` waits for a raw read's hand-off `try_io` started rather than
/// answering from the socket's writability: a loop of `ready` and `try_io` would spin, never
/// letting the worker reap the receive's end.
#[test]
fn a_ready_and_try_io_loop_on_both_directions_does_not_spin() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        let fd = client.as_raw_fd();
        let both = Interest::READABLE | Interest::WRITABLE;
        let mut would_block = 0;
        loop {
            client.ready(both).await.unwrap();
            match client.try_io(both, || raw_send(fd, b"x")) {
                Ok(n) => break assert_eq!(n, 1),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    would_block += 1;
                    assert!(would_block < 10, "[{}] ready and try_io spun", flavor.name);
                }
                Err(e) => panic!("[{}] try_io: {e}", flavor.name),
            }
        }
        assert_eq!(read_len(&mut server, 1).await, b"x");
    });
}

/// Two tasks wait in `readable()` on one stream (an `Arc<TcpStream>`) whose receive is armed:
/// both are woken when bytes arrive, as Tokio's readiness futures are.
#[test]
fn two_tasks_in_readable_are_both_woken() {
    on_ring_flavors(|flavor| async move {
        let (mut client, mut server) = pair().await;
        arm_receive(&mut client, &mut server).await;
        // Nothing is left: a refused read clears the readiness.
        let refused = client.try_read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::WouldBlock);
        let client = std::sync::Arc::new(client);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let client = client.clone();
                tandem::spawn(async move { client.readable().await.unwrap() })
            })
            .collect();
        // Both wait before the bytes come.
        for _ in 0..4 {
            tandem::task::yield_now().await;
        }
        server.write_all(b"wake").await.unwrap();
        for waiter in waiters {
            tandem::time::timeout(Duration::from_secs(10), waiter)
                .await
                .unwrap_or_else(|_| panic!("[{}] a readable() waiter was never woken", flavor.name))
                .unwrap();
        }
    });
}

/// Two tasks wait in `writable()` on one stream whose send queue is full: both are woken when
/// the peer makes room.
#[test]
fn two_tasks_in_writable_are_both_woken() {
    on_ring_flavors(|flavor| async move {
        let (client, mut server) = pair().await;
        // Fill the socket's buffers and the send queue behind them.
        let chunk = vec![7u8; 64 * 1024];
        let mut written = 0;
        loop {
            match client.try_write(&chunk) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let ready =
                        tandem::time::timeout(Duration::from_millis(50), client.writable()).await;
                    if ready.is_err() {
                        break;
                    }
                }
                Err(e) => panic!("try_write: {e}"),
            }
        }
        let client = std::sync::Arc::new(client);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let client = client.clone();
                tandem::spawn(async move { client.writable().await.unwrap() })
            })
            .collect();
        for _ in 0..4 {
            tandem::task::yield_now().await;
        }
        let mut sink = vec![0u8; written];
        server.read_exact(&mut sink).await.unwrap();
        for waiter in waiters {
            tandem::time::timeout(Duration::from_secs(10), waiter)
                .await
                .unwrap_or_else(|_| panic!("[{}] a writable() waiter was never woken", flavor.name))
                .unwrap();
        }
    });
}
