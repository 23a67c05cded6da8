//! Write readiness with TCP sends over io_uring (`Builder::net_io_uring(true)`) follows the
//! socket's through epoll (Tokio's contract, `tests/tcp_stream.rs` `try_read_write` in Tokio's
//! suite): once writable, a stream stays writable through every write that takes bytes, even
//! one that fills the send queue only partly taking its buffer, until a write is refused
//! (`WouldBlock`); then it is not writable until room frees up.
//!
//! (Before the fix, a `try_write` that filled the queue to its bound with part of its bytes
//! left `writable()` pending, with no write refused yet.)

mod support;

use std::future::Future;
use std::io;
use std::task::{Context, Poll, Waker};

use support::Flavor;
use tandem::net::{TcpListener, TcpStream};

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = std::pin::pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

async fn fill_then_drain() {
    const DATA: &[u8] = &[2u8; 4000];
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.writable().await.unwrap();
    let mut written = 0;
    let mut partial = false;
    loop {
        assert!(
            poll_once(client.writable()).is_ready(),
            "not writable after {written} bytes taken, with no write refused"
        );
        match client.try_write(DATA) {
            Ok(n) => {
                partial |= n < DATA.len();
                written += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("try_write: {e}"),
        }
    }
    assert!(
        partial,
        "the socket's buffers took everything up to WouldBlock in whole writes: the send queue \
         never filled, and the case is not exercised"
    );
    assert!(poll_once(client.writable()).is_pending());
    // The peer drains everything: room frees up, and the stream is writable again.
    let mut read = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while read < written {
        server.readable().await.unwrap();
        match server.try_read(&mut buf) {
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("try_read: {e}"),
        }
    }
    assert_eq!(read, written);
    client.writable().await.unwrap();
}

#[test]
fn writable_stays_set_until_a_write_is_refused() {
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        rt.block_on(async {
            // On a worker: its ring carries the sends.
            tandem::spawn(fill_then_drain()).await.unwrap();
        });
    }
}
