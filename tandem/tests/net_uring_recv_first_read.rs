//! With TCP receives over io_uring (`Builder::net_io_uring(true)`), a read that finds bytes
//! already in the socket returns them at its first poll, as through epoll: an accepted stream
//! is assumed readable (Tokio's `tcp_accept_ready.rs`), and arming a receive first would make
//! that poll `Pending` until the receive's completion is reaped. A stream is armed only by a
//! read that finds its socket empty. And a stream whose runtime is gone reports the shutdown
//! on a read from another runtime, instead of arming a receive there that never completes; and
//! read readiness follows the reads as through epoll while no receive is armed.

mod support;

use std::future::Future;
use std::io::Write;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use support::Flavor;
use tandem::io::AsyncReadExt;
use tandem::net::{TcpListener, TcpStream};

/// An accepted stream whose peer's `data` is already queued in its socket.
async fn accepted_with(data: &[u8]) -> (TcpStream, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.write_all(data).unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    // Wait (with a raw MSG_PEEK that leaves Tandem's state alone) until the bytes are there.
    let mut peek = [0u8; 64];
    let ok = support::wait_until(Duration::from_secs(10), || {
        // SAFETY: a peek into a local buffer of its length, on a live socket.
        let n = unsafe {
            libc::recv(
                std::os::fd::AsRawFd::as_raw_fd(&stream),
                peek.as_mut_ptr().cast(),
                peek.len(),
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        n >= data.len() as isize
    });
    assert!(ok, "the peer's bytes never arrived");
    (stream, client)
}

#[test]
fn first_read_of_queued_bytes_is_ready_at_its_first_poll() {
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        rt.block_on(async move {
            // A task: on a worker, where a read may arm a receive.
            tandem::spawn(async move {
                let (mut s, _c) = accepted_with(b"helloworld").await;
                let mut cx = Context::from_waker(std::task::Waker::noop());
                let mut buf = [0u8; 5];
                for want in [b"hello", b"world"] {
                    let res = pin!(s.read(&mut buf)).poll(&mut cx);
                    assert!(
                        matches!(res, Poll::Ready(Ok(5))),
                        "[{}] first poll of a read of queued bytes: {res:?}",
                        flavor.name
                    );
                    assert_eq!(&buf, want);
                }
            })
            .await
            .unwrap()
        });
    }
}

#[test]
fn read_after_its_runtime_is_dropped_reports_shutdown() {
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        let (mut s, _c) = rt.block_on(accepted_with(b"hello"));
        drop(rt);
        assert_eq!(s.try_read(&mut [0u8; 5]).unwrap(), 5);
        let _ = s.try_read(&mut [0u8; 5]);
        let rt2 = flavor.builder().net_io_uring(true).build().unwrap();
        rt2.block_on(async {
            tandem::spawn(async move {
                // The bound only catches a hang.
                let res = tandem::time::timeout(Duration::from_secs(5), s.read(&mut [0u8; 5]))
                    .await
                    .unwrap_or_else(|_| {
                        panic!(
                            "[{}] the read hung instead of reporting shutdown",
                            flavor.name
                        )
                    });
                let err = res.expect_err("a read on a stream whose runtime is gone");
                assert!(
                    tandem::runtime::is_rt_shutdown_err(&err),
                    "[{}] {err}",
                    flavor.name
                );
            })
            .await
            .unwrap()
        });
    }
}

/// Tokio's `tcp_stream.rs::poll_read_ready` with the switch on (it hung when every read
/// armed): an accepted stream is readable until a read finds nothing; a read that fills its
/// buffer leaves it readable; the peer's close makes it readable.
#[test]
fn read_readiness_follows_the_reads_as_through_epoll() {
    async fn readable(s: &TcpStream) -> bool {
        // Ready now, or `Pending` (registering a waker that nobody needs).
        std::future::poll_fn(|cx| Poll::Ready(s.poll_read_ready(cx).is_ready())).await
    }
    async fn becomes_readable(s: &TcpStream, what: &str) {
        // The bound only catches a hang.
        tandem::time::timeout(
            Duration::from_secs(5),
            std::future::poll_fn(|cx| s.poll_read_ready(cx)),
        )
        .await
        .unwrap_or_else(|_| panic!("never readable: {what}"))
        .unwrap();
    }
    fn read_until_pending(s: &TcpStream) {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match s.try_read(&mut buf) {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
                    break;
                }
            }
        }
    }
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        rt.block_on(async move {
            tandem::spawn(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
                let (mut client, mut server) = (client.unwrap(), accepted.unwrap().0);
                becomes_readable(&server, "an accepted stream").await;
                read_until_pending(&server);
                assert!(!readable(&server).await, "readable with nothing to read");
                tandem::io::AsyncWriteExt::write_all(&mut client, b"ping")
                    .await
                    .unwrap();
                becomes_readable(&server, "after the peer wrote").await;
                let mut buf = [0u8; 4];
                server.read_exact(&mut buf).await.unwrap();
                becomes_readable(&server, "after a read that filled its buffer").await;
                read_until_pending(&server);
                assert!(!readable(&server).await, "readable after WouldBlock");
                drop(client);
                becomes_readable(&server, "after the peer closed").await;
            })
            .await
            .unwrap()
        });
    }
}
