//! Read readiness of a stream whose receive is armed on a ring (`Builder::net_io_uring(true)`)
//! follows the socket's through epoll (Tokio's contract: readiness stays set until an
//! operation finds nothing): after a `try_read` that took the last bytes queued, the stream
//! is still readable, and the next `try_read` says `WouldBlock`, which clears it; a
//! `poll_read` that fills its buffer leaves it readable, one that fills less clears it.
//!
//! (Before the fix, readiness answered from the queue alone: not readable after a read that
//! emptied it, with no read refused yet.)

mod support;

use std::future::Future;
use std::io;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use support::Flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

fn readable_now(stream: &TcpStream) -> bool {
    let mut future = std::pin::pin!(stream.readable());
    matches!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop())),
        Poll::Ready(Ok(()))
    )
}

async fn readiness_sequence() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
    let (mut client, mut server) = (client.unwrap(), accepted.unwrap().0);
    // A read that finds the socket empty arms the receive.
    let mut buf = [0u8; 4];
    let read = tandem::time::timeout(Duration::from_millis(1), server.read(&mut buf));
    assert!(read.await.is_err(), "nothing to read yet");

    // try_read: readable until a read is refused.
    client.write_all(b"pingpong").await.unwrap();
    client.flush().await.unwrap();
    server.readable().await.unwrap();
    let mut got = Vec::new();
    while got.len() < 8 {
        match server.try_read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => server.readable().await.unwrap(),
            Err(e) => panic!("try_read: {e}"),
        }
    }
    assert_eq!(got, b"pingpong");
    assert!(
        readable_now(&server),
        "not readable after a read that took bytes, with no read refused yet"
    );
    let err = server.try_read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(!readable_now(&server), "readable after WouldBlock");

    // poll_read: a read that fills its buffer leaves the stream readable...
    client.write_all(b"abcd").await.unwrap();
    client.flush().await.unwrap();
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abcd");
    assert!(
        readable_now(&server),
        "not readable after a read that filled its buffer"
    );
    // ... one that fills less has taken all there was: not readable.
    client.write_all(b"xy").await.unwrap();
    client.flush().await.unwrap();
    let n = server.read(&mut buf).await.unwrap();
    let mut tail = buf[..n].to_vec();
    while tail.len() < 2 {
        let n = server.read(&mut buf).await.unwrap();
        tail.extend_from_slice(&buf[..n]);
    }
    assert_eq!(tail, b"xy");
    assert!(!readable_now(&server), "readable after a short read");
    drop(client);
    tandem::time::timeout(Duration::from_secs(5), server.readable())
        .await
        .expect("readable once the peer closed")
        .unwrap();
}

#[test]
fn read_readiness_stays_set_until_a_read_is_refused() {
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        rt.block_on(async {
            // On a worker: its ring carries the receive.
            tandem::spawn(readiness_sequence()).await.unwrap();
        });
        let stats = rt.metrics().io_uring();
        if stats.enabled {
            assert!(stats.total().recv_arms > 0, "no receive was armed");
        }
    }
}
