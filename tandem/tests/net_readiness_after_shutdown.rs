//! Once its runtime is gone, a socket's readiness waits return an error instead of hanging:
//! both a wait started afterwards and one already pending on another thread when the runtime
//! is dropped. On every flavour.

mod support;

use std::io;
use std::time::Duration;

use futures::executor::block_on;
use support::each_flavor;
use tandem::io::unix::AsyncFd;
use tandem::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tandem::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};

fn assert_gone<T: std::fmt::Debug>(what: &str, res: io::Result<T>) {
    let err = res.expect_err(what);
    assert!(
        err.to_string().contains("shutdown"),
        "{what}: unexpected error {err}"
    );
}

#[test]
fn waits_after_runtime_drop_return_errors() {
    each_flavor(|_, rt| {
        let (listener, mut client, server, udp, (ua, _ub), fd) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let pair = UnixDatagram::pair().unwrap();
            let (s, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
            let fd = AsyncFd::new(s).unwrap();
            (listener, client, server, udp, pair, fd)
        });
        drop(rt);

        assert_gone("readable", block_on(client.readable()));
        assert_gone("writable", block_on(client.writable()));
        assert_gone("ready", block_on(server.ready(Interest::READABLE)));
        assert_gone("read", block_on(client.read(&mut [0; 8])));
        assert_gone("write", block_on(client.write(b"x")));
        assert_gone("try_read", client.try_read(&mut [0; 8]));
        assert_gone("accept", block_on(listener.accept()));
        assert_gone(
            "poll_accept",
            block_on(std::future::poll_fn(|cx| listener.poll_accept(cx))),
        );
        assert_gone("udp recv", block_on(udp.recv_from(&mut [0; 8])));
        assert_gone("unix datagram recv", block_on(ua.recv(&mut [0; 8])));
        assert_gone("AsyncFd readable", block_on(fd.readable()).map(drop));
        // Dropping them afterwards is fine (they leave a reactor that is gone).
        drop((listener, client, server, udp, ua, fd));
    });
}

#[test]
fn data_already_received_is_read_after_runtime_drop() {
    each_flavor(|_, rt| {
        let (mut server, _client) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            client.write_all(b"hello").await.unwrap();
            server.readable().await.unwrap();
            (server, client)
        });
        drop(rt);
        // The bytes are in the socket: a try_read still gets them (Tokio's contract)...
        let mut buf = [0u8; 8];
        assert_eq!(server.try_read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        // ...and once it is empty, reads say the runtime is gone instead of waiting.
        assert_gone("try_read of an empty socket", server.try_read(&mut buf));
        assert_gone("read", block_on(server.read(&mut buf)));
    });
}

#[test]
fn pending_waits_wake_with_an_error_when_the_runtime_drops() {
    each_flavor(|_, rt| {
        let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
        let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            // Nothing will ever be written to `a` nor connect to `listener`: only the shutdown
            // can end these waits.
            started_tx.send(()).unwrap();
            let read = block_on(async {
                let mut a = a;
                a.read(&mut [0; 8]).await
            });
            let accept = block_on(listener.accept()).map(drop);
            (read, accept)
        });
        started_rx.recv().unwrap();
        // Give the waiter time to register (the result does not depend on it: a wait started
        // after the shutdown fails at once).
        std::thread::sleep(Duration::from_millis(20));
        drop(rt);
        let (read, accept) = waiter.join().unwrap();
        assert_gone("pending read", read);
        assert_gone("accept", accept);
        drop(b);
    });
}
