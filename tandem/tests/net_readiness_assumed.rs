//! Readiness a socket has before the driver's first event, and readiness waits that spend no
//! cooperative budget, on every flavour.
//!
//! A fresh `pair()` is writable at once; an accepted stream is assumed readable and writable
//! (a read that finds nothing clears it); and `writable()` polled many times in one task poll
//! (between `try_write`s) keeps answering ready, as in Tokio: only operations spend budget.
//! Also: `TcpStream`/`UnixStream` are `AsRef` of themselves, as their halves are.

mod support;

use std::future::{poll_fn, Future};
use std::io;
use std::task::Poll;

use support::each_flavor;
use tandem::net::{TcpListener, TcpStream, UnixDatagram, UnixStream};

#[test]
fn pairs_start_writable() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            // No driver turn since `pair()`.
            assert!(poll_fn(|cx| Poll::Ready(a.poll_send_ready(cx)))
                .await
                .is_ready());
            assert!(poll_fn(|cx| Poll::Ready(b.poll_send_ready(cx)))
                .await
                .is_ready());
            assert!(poll_fn(|cx| Poll::Ready(b.poll_recv_ready(cx)))
                .await
                .is_pending());
            let (c, _d) = UnixStream::pair().unwrap();
            assert!(poll_fn(|cx| Poll::Ready(c.poll_write_ready(cx)))
                .await
                .is_ready());
            assert!(poll_fn(|cx| Poll::Ready(c.poll_read_ready(cx)))
                .await
                .is_pending());
            // The assumed readiness is real: the sends succeed and arrive.
            a.try_send(b"x").unwrap();
            let mut buf = [0; 1];
            assert_eq!(b.recv(&mut buf).await.unwrap(), 1);
        });
    });
}

#[test]
fn accepted_streams_start_readable_until_a_read_finds_nothing() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            assert!(poll_fn(|cx| Poll::Ready(server.poll_read_ready(cx)))
                .await
                .is_ready());
            // A read that finds nothing clears the readiness, unless the driver reported an
            // event for the socket in between (its writable edge, on another worker): then the
            // clear is stale by design and the next read finds nothing again. So: a few rounds.
            let mut cleared = false;
            for _ in 0..10 {
                assert_eq!(
                    server.try_read(&mut [0; 1]).unwrap_err().kind(),
                    io::ErrorKind::WouldBlock
                );
                if poll_fn(|cx| Poll::Ready(server.poll_read_ready(cx)))
                    .await
                    .is_pending()
                {
                    cleared = true;
                    break;
                }
            }
            assert!(
                cleared,
                "reads that found nothing never cleared the readiness"
            );
        });
    });
}

#[test]
fn readiness_waits_spend_no_budget() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, _b) = UnixStream::pair().unwrap();
            a.writable().await.unwrap();
            // Far more polls than a task's budget (128), all inside one task poll.
            let all_ready = poll_fn(|cx| {
                let ready = (0..1000).all(|_| {
                    let fut = a.writable();
                    let mut fut = std::pin::pin!(fut);
                    fut.as_mut().poll(cx).is_ready()
                });
                Poll::Ready(ready)
            })
            .await;
            assert!(all_ready);
        });
    });
}

#[test]
fn streams_are_as_ref_of_themselves() {
    fn peer<S: AsRef<UnixStream>>(s: S) -> bool {
        s.as_ref().peer_addr().unwrap().is_unnamed()
    }
    fn tcp_peer<S: AsRef<TcpStream>>(s: S) -> std::net::SocketAddr {
        s.as_ref().peer_addr().unwrap()
    }
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (a, _b) = UnixStream::pair().unwrap();
            assert!(peer(&a));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            assert_eq!(tcp_peer(&client), addr);
            let (r, _w) = client.into_split();
            assert_eq!(tcp_peer(&r), addr);
        });
    });
}
