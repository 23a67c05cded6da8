//! With TCP receives and sends over io_uring (`Builder::net_io_uring(true)`), a connection costs
//! one fd: the socket's own. Ring operations name it through the stream's holder
//! (`rt/uring/socket_fd.rs`), no duplicate. 200 connected pairs, in this process (a client and
//! its accepted server stream each, 400 streams), each with a completed ring send and an
//! armed receive on both sides: the fd count is exactly its count before plus 400 (it was
//! plus 1,200 with a `dup` per receive and per send queue). After the drop it comes back to
//! exactly that count, and after the runtime's drop to the baseline. Then `into_std`, with a
//! receive armed (its cancel in flight: the caller gets a duplicate) and without one (the
//! socket itself): the std stream works, and no fd is left after it is dropped. On the
//! current-thread runtime and on 2 and 8 workers.
//!
//! The only test in this binary: libtest's parallel threads would disturb the count.

mod support;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use support::{assert_fd_count_returns_to, fd_count, settled_fd_count, Flavor};
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

const PAIRS: usize = 200;

/// As `assert_fd_count_returns_to`, from a task: waits without blocking its worker, whose
/// ring must go on (the cancels of dropped receives reach the kernel at its next tick).
async fn fd_count_returns_to(expected: usize, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while fd_count() != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "fd count {what} is {}, expected exactly {expected}",
            fd_count()
        );
        tandem::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A connected pair, each side having sent over its ring (flushed: the send completed), read
/// what the other sent, and armed its receive (a read that found the socket empty).
async fn exchanged(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    client.write_all(b"ping").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    server.write_all(b"pong").await.unwrap();
    server.flush().await.unwrap();
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    // A read that finds bytes waiting takes them through epoll; one that finds the socket
    // empty arms the receive: one more read on each side, given up after a millisecond.
    for stream in [&mut client, &mut server] {
        let read = tandem::time::timeout(Duration::from_millis(1), stream.read(&mut buf));
        assert!(read.await.is_err(), "nothing to read yet");
    }
    (client, server)
}

#[test]
fn one_fd_per_connection_with_receives_and_sends_on_the_ring() {
    let baseline = settled_fd_count();
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        let name = flavor.name;
        let before = rt.block_on(async move {
            tandem::spawn(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let before = settled_fd_count();
                let mut streams = Vec::new();
                for _ in 0..PAIRS {
                    let (client, server) = exchanged(&listener).await;
                    streams.push(client);
                    streams.push(server);
                }
                // Exactly one fd per stream: nothing else is opened meanwhile.
                let open = fd_count();
                assert_eq!(
                    open,
                    before + 2 * PAIRS,
                    "[{name}] {} fds for {} streams",
                    open - before,
                    2 * PAIRS
                );
                drop(streams);
                fd_count_returns_to(before, &format!("[{name}] after the drop")).await;

                // `into_std` with the receive armed: its cancel may still be in flight, the
                // caller may get a duplicate; with none armed, the socket itself.
                for armed in [true, false] {
                    let addr = listener.local_addr().unwrap();
                    let (client, accepted) =
                        tandem::join!(TcpStream::connect(addr), listener.accept());
                    let mut client = client.unwrap();
                    let (server, _) = accepted.unwrap();
                    if armed {
                        let mut buf = [0; 1];
                        let read =
                            tandem::time::timeout(Duration::from_millis(1), client.read(&mut buf));
                        assert!(read.await.is_err(), "nothing to read yet");
                    }
                    let raw = client.as_raw_fd();
                    let mut std_client = client.into_std().unwrap();
                    if !armed {
                        // Nothing names the fd: the caller gets the socket's own, no `dup`.
                        assert_eq!(std_client.as_raw_fd(), raw, "[{name}] into_std dup'd");
                    }
                    let mut std_server = server.into_std().unwrap();
                    std_client.set_nonblocking(false).unwrap();
                    std_server.set_nonblocking(false).unwrap();
                    let done = tandem::task::spawn_blocking(move || {
                        std_client.write_all(b"std").unwrap();
                        let mut buf = [0; 3];
                        std_server.read_exact(&mut buf).unwrap();
                        assert_eq!(&buf, b"std");
                        drop(std_client);
                        assert_eq!(std_server.read(&mut buf).unwrap(), 0, "end-of-file");
                    });
                    done.await.unwrap();
                    fd_count_returns_to(
                        before,
                        &format!("[{name}] after into_std (armed: {armed})"),
                    )
                    .await;
                }
                drop(listener);
                before
            })
            .await
            .unwrap()
        });
        let stats = rt.metrics().io_uring();
        if stats.enabled {
            let total = stats.total();
            assert!(
                total.recv_arms >= 2 * PAIRS as u64 && total.sends >= 2 * PAIRS as u64,
                "[{name}] receives and sends did not go over the rings: {total:?}"
            );
        }
        // The listener was open when `before` was taken.
        assert_fd_count_returns_to(before - 1, &format!("[{name}] after the connections"));
        drop(rt);
        assert_fd_count_returns_to(baseline, &format!("[{name}] after the runtime"));
    }
}
