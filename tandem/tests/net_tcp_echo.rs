//! TCP on every flavour: echo, the split halves, peeking, the readiness methods, accepting from
//! several tasks, `poll_accept`, std conversions, `TcpSocket` options and name resolution.

mod support;

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tandem::net::{lookup_host, TcpListener, TcpSocket, TcpStream};

/// Spawns a server echoing every connection until EOF; returns its address.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tandem::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tandem::spawn(async move {
                let (mut r, mut w) = stream.split();
                tandem::io::copy(&mut r, &mut w).await.unwrap();
            });
        }
    });
    addr
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

#[test]
fn echo_round_trips() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let addr = echo_server().await;
            let mut clients = Vec::new();
            for c in 0..10 {
                clients.push(tandem::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for m in 0..50 {
                        let msg = pattern(1 + (m * 997) % 5000, c + m);
                        stream.write_all(&msg).await.unwrap();
                        let mut back = vec![0; msg.len()];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg, "client {c}, message {m}");
                    }
                    stream.shutdown().await.unwrap();
                    let mut rest = Vec::new();
                    stream.read_to_end(&mut rest).await.unwrap();
                    assert!(rest.is_empty());
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
        });
    });
}

#[test]
fn owned_halves_in_separate_tasks_and_reunite() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let addr = echo_server().await;
            let stream = TcpStream::connect(addr).await.unwrap();
            let local = stream.local_addr().unwrap();
            let (mut r, mut w) = stream.into_split();
            assert_eq!(r.local_addr().unwrap(), local);
            assert_eq!(w.peer_addr().unwrap(), addr);
            let data = pattern(256 * 1024, 3);
            let expected = data.clone();
            let writer = tandem::spawn(async move {
                w.write_all(&data).await.unwrap();
                w
            });
            let reader = tandem::spawn(async move {
                let mut got = vec![0; expected.len()];
                r.read_exact(&mut got).await.unwrap();
                assert_eq!(got, expected);
                r
            });
            let w = writer.await.unwrap();
            let r = reader.await.unwrap();
            let mut stream = r.reunite(w).expect("halves of one stream");
            stream.write_all(b"again").await.unwrap();
            let mut buf = [0; 5];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"again");

            // Halves of different streams do not reunite.
            let (r1, _w1) = TcpStream::connect(addr).await.unwrap().into_split();
            let (_r2, w2) = TcpStream::connect(addr).await.unwrap().into_split();
            let err = r1.reunite(w2).unwrap_err();
            assert!(err.to_string().contains("not from the same socket"));
        });
    });
}

#[test]
fn peek_does_not_consume() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            client.write_all(b"peekaboo").await.unwrap();
            let mut buf = [0; 4];
            let n = server.peek(&mut buf).await.unwrap();
            assert!(n > 0 && buf[..n] == b"peek"[..n]);
            let mut storage = [0; 8];
            let mut rb = tandem::io::ReadBuf::new(&mut storage);
            let n = poll_fn(|cx| server.poll_peek(cx, &mut rb)).await.unwrap();
            assert_eq!(rb.filled(), &b"peekaboo"[..n]);
            let mut all = [0; 8];
            server.read_exact(&mut all).await.unwrap();
            assert_eq!(&all, b"peekaboo");
        });
    });
}

#[test]
fn readiness_methods_and_try_io() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();

            // Nothing to read yet: try_read says WouldBlock without waiting.
            let mut buf = [0; 16];
            let err = server.try_read(&mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

            client.writable().await.unwrap();
            let n = client
                .try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
                .unwrap();
            assert_eq!(n, 4);
            assert_eq!(client.try_write(b"ef").unwrap(), 2);

            let mut got = Vec::new();
            while got.len() < 6 {
                let ready = server.ready(Interest::READABLE).await.unwrap();
                assert!(ready.is_readable());
                let (mut a, mut b) = ([0u8; 3], [0u8; 8]);
                match server
                    .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
                {
                    Ok(n) => {
                        let both: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
                        got.extend_from_slice(&both[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(got, b"abcdef");

            // try_io / async_io with a raw operation on the socket (through a duplicate fd).
            let raw = std::net::TcpStream::from(server.as_fd().try_clone_to_owned().unwrap());
            client.try_write(b"x").unwrap();
            let n = server
                .async_io(Interest::READABLE, || (&raw).read(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"x");
            poll_fn(|cx| client.poll_write_ready(cx)).await.unwrap();
            client.try_write(b"y").unwrap();
            poll_fn(|cx| server.poll_read_ready(cx)).await.unwrap();
            let n = server
                .try_io(Interest::READABLE, || (&raw).read(&mut buf))
                .unwrap();
            assert_eq!(&buf[..n], b"y");
            let err = server
                .try_io(Interest::READABLE, || (&raw).read(&mut buf))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        });
    });
}

#[test]
fn accept_from_many_tasks() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let (tx, mut rx) = tandem::sync::mpsc::unbounded_channel();
            for _ in 0..4 {
                let listener = listener.clone();
                let tx = tx.clone();
                tandem::spawn(async move {
                    loop {
                        let (stream, _) = listener.accept().await.unwrap();
                        tx.send(stream).unwrap();
                    }
                });
            }
            let mut clients = Vec::new();
            for _ in 0..20 {
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            for _ in 0..20 {
                rx.recv().await.unwrap();
            }
        });
    });
}

#[test]
fn poll_accept_and_std_conversions() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let listener = TcpListener::from_std(std_listener).unwrap();
            let addr = listener.local_addr().unwrap();
            let std_client = std::net::TcpStream::connect(addr).unwrap();
            let (server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
            let mut client = TcpStream::try_from(std_client).unwrap();
            client.write_all(b"std").await.unwrap();

            // Back to std: blocking reads work again once the socket is made blocking.
            let std_server = server.into_std().unwrap();
            std_server.set_nonblocking(false).unwrap();
            let mut buf = [0; 3];
            std::io::Read::read_exact(&mut &std_server, &mut buf).unwrap();
            assert_eq!(&buf, b"std");

            let std_listener = listener.into_std().unwrap();
            assert_eq!(std_listener.local_addr().unwrap(), addr);
            let listener = TcpListener::try_from(std_listener).unwrap();
            listener.set_ttl(42).unwrap();
            assert_eq!(listener.ttl().unwrap(), 42);
            assert!(listener.take_error().unwrap().is_none());
        });
    });
}

#[test]
fn tcp_socket_options_listen_and_connect() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            socket.set_reuseport(true).unwrap();
            socket.set_send_buffer_size(64 * 1024).unwrap();
            socket.set_recv_buffer_size(64 * 1024).unwrap();
            socket.set_keepalive(true).unwrap();
            assert!(socket.reuseaddr().unwrap());
            assert!(socket.reuseport().unwrap());
            assert!(socket.keepalive().unwrap());
            // Linux doubles the requested size for bookkeeping.
            assert!(socket.send_buffer_size().unwrap() >= 64 * 1024);
            assert!(socket.recv_buffer_size().unwrap() >= 64 * 1024);
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = socket.local_addr().unwrap();
            let listener = socket.listen(16).unwrap();
            assert_eq!(listener.local_addr().unwrap(), addr);

            // A second listener on the same port thanks to SO_REUSEPORT.
            let twin = TcpSocket::new_v4().unwrap();
            twin.set_reuseport(true).unwrap();
            twin.bind(addr).unwrap();
            let _twin = twin.listen(16).unwrap();

            let client = TcpSocket::new_v4().unwrap();
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            #[allow(deprecated)] // Tokio's name, deprecated there too
            client.set_linger(Some(Duration::from_secs(1))).unwrap();
            assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(1)));
            let stream = client.connect(addr).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addr);
            assert!(stream.nodelay().unwrap());
            stream.set_nodelay(false).unwrap();
            assert!(!stream.nodelay().unwrap());
            stream.set_ttl(33).unwrap();
            assert_eq!(stream.ttl().unwrap(), 33);
            stream.set_zero_linger().unwrap();
            assert_eq!(stream.linger().unwrap(), Some(Duration::ZERO));
            stream.set_quickack(true).unwrap();

            let v6 = TcpSocket::new_v6().unwrap();
            if v6.bind("[::1]:0".parse().unwrap()).is_ok() {
                assert!(v6.local_addr().unwrap().is_ipv6());
            }
        });
    });
}

#[test]
fn names_resolve_and_refusals_are_reported() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
            let port = listener.local_addr().unwrap().port();
            // "localhost" may resolve to ::1 first: connect tries every address.
            let stream = TcpStream::connect(("localhost", port)).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap().port(), port);
            let stream = TcpStream::connect(format!("localhost:{port}"))
                .await
                .unwrap();
            assert_eq!(stream.peer_addr().unwrap().port(), port);

            let addrs: Vec<SocketAddr> = lookup_host(("localhost", 80)).await.unwrap().collect();
            assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
            assert!(lookup_host("no-such-host.invalid:80").await.is_err());

            // A port nobody listens on.
            drop(listener);
            let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        });
    });
}
