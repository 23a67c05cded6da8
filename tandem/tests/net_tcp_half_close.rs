//! Half-close on every flavour: after `shutdown()` (or dropping the owned write half) the peer
//! reads end-of-file, while data still flows the other way.

mod support;

use std::io::Read;
use std::os::fd::AsFd;

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn shutdown_gives_peer_eof_while_other_direction_flows() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut client, mut server) = pair().await;
            client.write_all(b"request").await.unwrap();
            client.shutdown().await.unwrap();

            let server = tandem::spawn(async move {
                let mut got = Vec::new();
                // read_to_end returns only at EOF: the half-close arrived.
                server.read_to_end(&mut got).await.unwrap();
                assert_eq!(got, b"request");
                // Reading again still says EOF.
                assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0);
                // The other direction is still open.
                server.write_all(b"response").await.unwrap();
            });

            let mut reply = Vec::new();
            client.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"response");
            server.await.unwrap();
        });
    });
}

#[test]
fn borrowed_write_half_shutdown_gives_peer_eof() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut client, mut server) = pair().await;
            let (mut r, mut w) = client.split();
            w.write_all(b"ab").await.unwrap();
            w.shutdown().await.unwrap();
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"ab");
            server.write_all(b"cd").await.unwrap();
            drop(server);
            let mut reply = Vec::new();
            r.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"cd");
        });
    });
}

#[test]
fn dropping_owned_write_half_gives_peer_eof() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (client, mut server) = pair().await;
            let (mut read_half, mut write_half) = client.into_split();
            write_half.write_all(b"last words").await.unwrap();
            drop(write_half);

            // The read half is alive, yet the server sees EOF.
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"last words");

            server.write_all(b"still here").await.unwrap();
            let mut buf = [0; 10];
            read_half.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"still here");
        });
    });
}

#[test]
fn forgotten_owned_write_half_does_not_shut_down() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (client, mut server) = pair().await;
            let (mut read_half, write_half) = client.into_split();
            write_half.forget();
            // Loopback delivers a FIN synchronously: had `forget` shut the write side down, it
            // would be queued at the server before this round trip completes.
            server.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            read_half.read_exact(&mut buf).await.unwrap();
            let raw = std::net::TcpStream::from(server.as_fd().try_clone_to_owned().unwrap());
            let err = (&raw).read(&mut buf).unwrap_err();
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::WouldBlock,
                "EOF after forget()"
            );
            drop(raw);
            // Dropping the last half closes the socket: now EOF.
            drop(read_half);
            assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        });
    });
}
