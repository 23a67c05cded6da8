//! `shutdown()` (`AsyncWrite::poll_shutdown`) of a stream whose connection is already gone
//! succeeds, as in Tokio (its `tests/tcp_shutdown.rs::shutdown_after_tcp_reset`): after the peer
//! reset a TCP connection, `shutdown(2)` fails with `ENOTCONN`, which only says the write side
//! is already down. The same for the split halves and the owned write half, and for a Unix
//! stream whose peer is gone. On every runtime flavour.

mod support;

use std::time::Duration;

use tandem::io::AsyncWriteExt;
use tandem::net::{TcpListener, TcpStream, UnixStream};

/// A client stream whose server side was closed with a zero linger (a reset), once the client
/// has seen the reset arrive.
async fn reset_connection() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    server.set_zero_linger().unwrap();
    drop(server);
    // The reset makes the client readable (with an error to report); only then is shutdown
    // sure to find the connection gone.
    client.readable().await.unwrap();
    assert_eq!(
        client.take_error().unwrap().map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionReset),
        "the client saw the reset"
    );
    client
}

#[test]
fn shutdown_after_tcp_reset() {
    support::each_flavor(|_flavor, rt| {
        rt.block_on(async {
            let mut stream = reset_connection().await;
            stream.shutdown().await.expect("TcpStream::shutdown");
            // Again: still fine.
            stream.shutdown().await.expect("TcpStream::shutdown, twice");

            let mut stream = reset_connection().await;
            let (_read, mut write) = stream.split();
            write.shutdown().await.expect("WriteHalf::shutdown");

            let (_read, mut write) = reset_connection().await.into_split();
            write.shutdown().await.expect("OwnedWriteHalf::shutdown");
        });
    });
}

#[test]
fn shutdown_after_unix_peer_is_gone() {
    support::each_flavor(|_flavor, rt| {
        rt.block_on(async {
            for half in ["stream", "split", "owned"] {
                let (mut ours, theirs) = UnixStream::pair().unwrap();
                drop(theirs);
                ours.readable().await.unwrap();
                let res = match half {
                    "stream" => ours.shutdown().await,
                    "split" => ours.split().1.shutdown().await,
                    _ => ours.into_split().1.shutdown().await,
                };
                res.unwrap_or_else(|e| panic!("{half}: shutdown after the peer left: {e:?}"));
            }
        });
    });
}

#[test]
fn shutdown_of_a_live_connection_still_reaches_the_peer() {
    use tandem::io::AsyncReadExt;
    support::each_flavor(|_flavor, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(b"bye").await.unwrap();
            client.shutdown().await.unwrap();
            let mut got = Vec::new();
            tandem::time::timeout(Duration::from_secs(10), server.read_to_end(&mut got))
                .await
                .expect("the server read end-of-file")
                .unwrap();
            assert_eq!(got, b"bye");
        });
    });
}
