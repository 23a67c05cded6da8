//! UDP on every flavour: an echo server, connected and unconnected sockets, peeking, the
//! `poll_*` and `try_*` variants, options and std conversions.

mod support;

use std::future::poll_fn;
use std::io;
use std::sync::Arc;

use support::each_flavor;
use tandem::io::{Interest, ReadBuf};
use tandem::net::UdpSocket;

#[test]
fn echo_server_with_many_clients() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = server.local_addr().unwrap();
            tandem::spawn(async move {
                let mut buf = [0; 2048];
                loop {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            });
            let mut clients = Vec::new();
            for c in 0..8u8 {
                clients.push(tandem::spawn(async move {
                    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                    sock.connect(addr).await.unwrap();
                    assert_eq!(sock.peer_addr().unwrap(), addr);
                    for m in 0..50u8 {
                        let msg = [c, m, c ^ m, 0xAB];
                        // Loopback UDP does not drop unless a buffer overflows, which 8
                        // clients with one datagram in flight each cannot cause.
                        sock.send(&msg).await.unwrap();
                        let mut back = [0; 16];
                        let n = sock.recv(&mut back).await.unwrap();
                        assert_eq!(&back[..n], &msg);
                    }
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
        });
    });
}

#[test]
fn peek_poll_and_try_variants() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

            let err = b.try_recv_from(&mut [0; 8]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

            a.writable().await.unwrap();
            assert_eq!(a.try_send_to(b"one", b_addr).unwrap(), 3);
            let n = poll_fn(|cx| a.poll_send_to(cx, b"two", b_addr))
                .await
                .unwrap();
            assert_eq!(n, 3);

            // Peeking leaves the datagram queued.
            let mut buf = [0; 8];
            let (n, from) = b.peek_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
            assert_eq!(b.peek_sender().await.unwrap(), a_addr);
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            let from = poll_fn(|cx| b.poll_peek_from(cx, &mut rb)).await.unwrap();
            assert_eq!((rb.filled(), from), (&b"one"[..], a_addr));
            assert_eq!(poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap(), a_addr);
            b.readable().await.unwrap();
            assert_eq!(b.try_peek_from(&mut buf).unwrap(), (3, a_addr));
            assert_eq!(b.try_peek_sender().unwrap(), a_addr);

            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            let from = poll_fn(|cx| b.poll_recv_from(cx, &mut rb)).await.unwrap();
            assert_eq!((rb.filled(), from), (&b"two"[..], a_addr));

            // Connected: send/recv, peek, try_*, poll_*.
            a.connect(b_addr).await.unwrap();
            b.connect(a_addr).await.unwrap();
            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            assert_eq!(a.try_send(b"three").unwrap(), 5);
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"four")).await.unwrap(), 4);
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            let n = b.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"three");
            assert_eq!(b.try_peek(&mut buf).unwrap(), 5);
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            poll_fn(|cx| b.poll_peek(cx, &mut rb)).await.unwrap();
            assert_eq!(rb.filled(), b"three");
            assert_eq!(b.try_recv(&mut buf).unwrap(), 5);
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            poll_fn(|cx| b.poll_recv(cx, &mut rb)).await.unwrap();
            assert_eq!(rb.filled(), b"four");

            // try_io / async_io / ready.
            let ready = a.ready(Interest::WRITABLE).await.unwrap();
            assert!(ready.is_writable());
            a.try_io(Interest::WRITABLE, || a.try_send(b"five"))
                .unwrap();
            let n = b
                .async_io(Interest::READABLE, || b.try_recv(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"five");
        });
    });
}

#[test]
fn shared_between_a_sender_and_a_receiver_task() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let me = sock.local_addr().unwrap();
            let receiver = {
                let sock = sock.clone();
                tandem::spawn(async move {
                    let mut buf = [0; 8];
                    let mut sum = 0u32;
                    for _ in 0..100 {
                        let (n, from) = sock.recv_from(&mut buf).await.unwrap();
                        assert_eq!((n, from), (1, me));
                        sum += u32::from(buf[0]);
                    }
                    sum
                })
            };
            for i in 0..100u8 {
                sock.send_to(&[i], me).await.unwrap();
                if i % 10 == 0 {
                    tandem::task::yield_now().await;
                }
            }
            assert_eq!(receiver.await.unwrap(), (0..100).sum::<u32>());
        });
    });
}

#[test]
fn options_and_std_conversions() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = std_sock.local_addr().unwrap();
            let sock = UdpSocket::from_std(std_sock).unwrap();
            sock.set_broadcast(true).unwrap();
            assert!(sock.broadcast().unwrap());
            sock.set_ttl(17).unwrap();
            assert_eq!(sock.ttl().unwrap(), 17);
            sock.set_multicast_loop_v4(false).unwrap();
            assert!(!sock.multicast_loop_v4().unwrap());
            sock.set_multicast_ttl_v4(3).unwrap();
            assert_eq!(sock.multicast_ttl_v4().unwrap(), 3);
            assert!(sock.take_error().unwrap().is_none());
            let std_sock = sock.into_std().unwrap();
            assert_eq!(std_sock.local_addr().unwrap(), addr);
            let sock = UdpSocket::try_from(std_sock).unwrap();
            sock.send_to(b"self", addr).await.unwrap();
            let mut buf = [0; 4];
            assert_eq!(sock.recv_from(&mut buf).await.unwrap(), (4, addr));
            // Names resolve for send_to.
            let port = addr.port();
            sock.send_to(b"name", ("127.0.0.1", port)).await.unwrap();
            assert_eq!(sock.recv(&mut buf).await.unwrap(), 4);
        });
    });
}
