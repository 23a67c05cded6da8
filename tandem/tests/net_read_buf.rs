//! The `bytes::BufMut` reads on every flavour: `try_read_buf` on streams and their halves,
//! `recv_buf`/`recv_buf_from` and their `try_` forms on UDP and Unix datagram sockets. Each
//! appends to the buffer's spare capacity (never zeroed first) and reports the sender where
//! asked (an unnamed Unix sender included).

mod support;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use bytes::BytesMut;
use support::each_flavor;
use tandem::io::AsyncWriteExt;
use tandem::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};

fn socket_path(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "tandem-readbuf-{}-{tag}-{}.sock",
        std::process::id(),
        NEXT.fetch_add(1, Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Reads `want` bytes with `try_read_buf`-like calls, waiting for readability between them.
async fn drain<'a, F, R>(want: usize, readable: R, mut try_read: F) -> Vec<u8>
where
    R: Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<()>> + 'a>>,
    F: FnMut(&mut Vec<u8>) -> io::Result<usize>,
{
    let mut got = Vec::with_capacity(16);
    while got.len() < want {
        readable().await.unwrap();
        match try_read(&mut got) {
            Ok(0) => panic!("early EOF"),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    got
}

#[test]
fn tcp_try_read_buf_appends() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
            let writer = {
                let data = data.clone();
                tandem::spawn(async move {
                    client.write_all(&data).await.unwrap();
                    client
                })
            };
            let got = drain(
                data.len(),
                || Box::pin(server.readable()),
                |buf| server.try_read_buf(buf),
            )
            .await;
            assert_eq!(got, data);
            let mut client = writer.await.unwrap();

            // The halves read the same way, into a `BytesMut`.
            client.write_all(b"halves").await.unwrap();
            let mut server = server;
            let (r, _w) = server.split();
            let mut buf = BytesMut::with_capacity(64);
            loop {
                r.readable().await.unwrap();
                match r.try_read_buf(&mut buf) {
                    Ok(_) if buf.len() == 6 => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(&buf[..], b"halves");
        });
    });
}

#[test]
fn unix_stream_try_read_buf_appends() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            a.write_all(b"unix stream").await.unwrap();
            let got = drain(11, || Box::pin(b.readable()), |buf| b.try_read_buf(buf)).await;
            assert_eq!(got, b"unix stream");
            let (r, _w) = b.into_split();
            a.write_all(b"owned").await.unwrap();
            let got = drain(5, || Box::pin(r.readable()), |buf| r.try_read_buf(buf)).await;
            assert_eq!(got, b"owned");
        });
    });
}

#[test]
fn udp_recv_buf_family() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let a_addr = a.local_addr().unwrap();
            b.connect(a_addr).await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();

            a.send(b"one").await.unwrap();
            let mut buf = Vec::with_capacity(32);
            assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 3);
            assert_eq!(buf, b"one");

            a.send(b"two").await.unwrap();
            let (n, from) = b.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (3, a_addr));
            assert_eq!(buf, b"onetwo", "appended after what was there");

            // try_ forms: WouldBlock when empty, then the datagram once readable.
            let mut fresh = BytesMut::with_capacity(64);
            assert_eq!(
                b.try_recv_buf(&mut fresh).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            a.send(b"three").await.unwrap();
            loop {
                b.readable().await.unwrap();
                match b.try_recv_buf_from(&mut fresh) {
                    Ok((n, from)) => {
                        assert_eq!((n, from), (5, a_addr));
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            a.send(b"four").await.unwrap();
            loop {
                b.readable().await.unwrap();
                match b.try_recv_buf(&mut fresh) {
                    Ok(n) => {
                        assert_eq!(n, 4);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(&fresh[..], b"threefour");
        });
    });
}

#[test]
fn udp_recv_reports_an_unreachable_peer() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let gone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let gone_addr = gone.local_addr().unwrap();
            drop(gone);
            sender.connect(gone_addr).await.unwrap();
            sender.send(b"anyone?").await.unwrap();
            // The ICMP error raises only EPOLLERR: the receive must wake for it.
            let mut buf = Vec::with_capacity(16);
            let err = tandem::time::timeout(
                std::time::Duration::from_secs(10),
                sender.recv_buf(&mut buf),
            )
            .await
            .expect("recv hung on an error it never saw")
            .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        });
    });
}

#[test]
fn unix_datagram_recv_buf_family() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = socket_path("dgram");
            let server = UnixDatagram::bind(&path).unwrap();
            let named = UnixDatagram::bind(socket_path("named")).unwrap();
            let unnamed = UnixDatagram::unbound().unwrap();

            named.send_to(b"from named", &path).await.unwrap();
            let mut buf = Vec::with_capacity(64);
            let (n, from) = server.recv_buf_from(&mut buf).await.unwrap();
            assert_eq!(n, 10);
            assert_eq!(
                from.as_pathname(),
                named.local_addr().unwrap().as_pathname()
            );

            unnamed.send_to(b"anon", &path).await.unwrap();
            loop {
                server.readable().await.unwrap();
                match server.try_recv_buf_from(&mut buf) {
                    Ok((n, from)) => {
                        assert_eq!(n, 4);
                        assert!(from.is_unnamed());
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(buf, b"from namedanon");

            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = BytesMut::with_capacity(8);
            assert_eq!(
                b.try_recv_buf(&mut buf).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            a.send(b"pair").await.unwrap();
            assert_eq!(b.recv_buf(&mut buf).await.unwrap(), 4);
            a.send(b"!").await.unwrap();
            loop {
                b.readable().await.unwrap();
                match b.try_recv_buf(&mut buf) {
                    Ok(n) => {
                        assert_eq!(n, 1);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(&buf[..], b"pair!");
            let _ = std::fs::remove_file(&path);
        });
    });
}
