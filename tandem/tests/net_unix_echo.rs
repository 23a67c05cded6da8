//! Unix-domain sockets on every flavour: a stream echo server, `pair`, the split halves,
//! half-close, datagrams (bound, unbound, paired, connected) and std conversions.

mod support;

use std::future::poll_fn;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt, Interest, ReadBuf};
use tandem::net::{UnixDatagram, UnixListener, UnixStream};

/// A fresh socket path in the temporary directory (removed first if left over).
fn socket_path(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "tandem-test-{}-{tag}-{}.sock",
        std::process::id(),
        NEXT.fetch_add(1, Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn stream_echo_server() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = socket_path("echo");
            let listener = UnixListener::bind(&path).unwrap();
            assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(&*path));
            tandem::spawn(async move {
                loop {
                    let (stream, peer) = listener.accept().await.unwrap();
                    assert!(peer.is_unnamed());
                    tandem::spawn(async move {
                        let (mut r, mut w) = stream.into_split();
                        tandem::io::copy(&mut r, &mut w).await.unwrap();
                    });
                }
            });
            let mut clients = Vec::new();
            for c in 0..10usize {
                let path = path.clone();
                clients.push(tandem::spawn(async move {
                    let mut stream = UnixStream::connect(&path).await.unwrap();
                    assert_eq!(stream.peer_addr().unwrap().as_pathname(), Some(&*path));
                    for m in 0..20usize {
                        let msg: Vec<u8> = (0..(1 + m * 331)).map(|i| (i + c) as u8).collect();
                        stream.write_all(&msg).await.unwrap();
                        let mut back = vec![0; msg.len()];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                    }
                    // Half-close: the server's copy ends, it drops its half, we read EOF.
                    stream.shutdown().await.unwrap();
                    let mut rest = Vec::new();
                    stream.read_to_end(&mut rest).await.unwrap();
                    assert!(rest.is_empty());
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            std::fs::remove_file(&path).unwrap();
        });
    });
}

#[test]
fn pair_split_halves_and_readiness() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            let (mut ar, mut aw) = a.split();
            let data = vec![5u8; 300_000];
            let write = async {
                aw.write_all(&data).await.unwrap();
                aw.shutdown().await.unwrap();
            };
            let (br, mut bw) = b.into_split();
            let echo = async move {
                let mut br = br;
                let mut got = Vec::new();
                br.read_to_end(&mut got).await.unwrap();
                bw.write_all(&got).await.unwrap();
                drop(bw); // the owned write half's drop shuts down: `a` reads EOF
                (got.len(), br)
            };
            let read = async {
                let mut back = Vec::new();
                ar.read_to_end(&mut back).await.unwrap();
                back
            };
            let ((), (echoed, _br), back) = tandem::join!(write, echo, read);
            assert_eq!(echoed, data.len());
            assert_eq!(back, data);

            // try_read / try_write / ready on a fresh pair.
            let (a, b) = UnixStream::pair().unwrap();
            let err = b.try_read(&mut [0; 4]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            a.writable().await.unwrap();
            assert_eq!(a.try_write(b"hey").unwrap(), 3);
            let ready = b.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable());
            let mut buf = [0; 4];
            assert_eq!(b.try_read(&mut buf).unwrap(), 3);
            poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
            a.try_write_vectored(&[io::IoSlice::new(b"x")]).unwrap();
            poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
            b.readable().await.unwrap();
            let n = b
                .try_read_vectored(&mut [io::IoSliceMut::new(&mut buf)])
                .unwrap();
            assert_eq!(&buf[..n], b"x");

            // Reunite.
            let (r, w) = a.into_split();
            let a = r.reunite(w).unwrap();
            let std_a = a.into_std().unwrap();
            let mut a = UnixStream::from_std(std_a).unwrap();
            a.write_all(b"back").await.unwrap();
            let mut buf = [0; 4];
            let mut b = b;
            b.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"back");
        });
    });
}

#[test]
fn datagrams_bound_unbound_paired_connected() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let server_path = socket_path("dgram-server");
            let server = UnixDatagram::bind(&server_path).unwrap();
            let client_path = socket_path("dgram-client");
            let client = UnixDatagram::bind(&client_path).unwrap();

            // Echo through named sockets.
            tandem::spawn(async move {
                let mut buf = [0; 256];
                loop {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    let to = from.as_pathname().expect("client is bound").to_owned();
                    server.send_to(&buf[..n], &to).await.unwrap();
                }
            });
            for i in 0..20u8 {
                client.send_to(&[i; 10], &server_path).await.unwrap();
                let mut buf = [0; 256];
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &[i; 10]);
                assert_eq!(from.as_pathname(), Some(&*server_path));
            }

            // Unbound then connected.
            let unbound = UnixDatagram::unbound().unwrap();
            let target_path = socket_path("dgram-target");
            let target = UnixDatagram::bind(&target_path).unwrap();
            unbound.connect(&target_path).unwrap();
            assert_eq!(
                unbound.peer_addr().unwrap().as_pathname(),
                Some(&*target_path)
            );
            unbound.send(b"connected").await.unwrap();
            let mut buf = [0; 32];
            let n = target.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"connected");

            // Pair: poll_* and try_* variants.
            let (a, b) = UnixDatagram::pair().unwrap();
            assert!(a.local_addr().unwrap().is_unnamed());
            let err = b.try_recv(&mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            assert_eq!(a.try_send(b"1").unwrap(), 1);
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"22")).await.unwrap(), 2);
            a.writable().await.unwrap();
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            b.readable().await.unwrap();
            assert_eq!(b.try_recv(&mut buf).unwrap(), 1);
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            poll_fn(|cx| b.poll_recv(cx, &mut rb)).await.unwrap();
            assert_eq!(rb.filled(), b"22");
            a.send(b"333").await.unwrap();
            let mut storage = [0; 8];
            let mut rb = ReadBuf::new(&mut storage);
            let from = poll_fn(|cx| b.poll_recv_from(cx, &mut rb)).await.unwrap();
            assert_eq!(rb.filled(), b"333");
            assert!(from.is_unnamed());
            a.send(b"4444").await.unwrap();
            b.ready(Interest::READABLE).await.unwrap();
            let (n, _) = b.try_recv_from(&mut buf).unwrap();
            assert_eq!(n, 4);

            // Sending to a path, poll and try forms.
            let n = poll_fn(|cx| unbound.poll_send_to(cx, b"pp", &target_path))
                .await
                .unwrap();
            assert_eq!(n, 2);
            assert_eq!(target.recv(&mut buf).await.unwrap(), 2);
            unbound.try_send_to(b"t", &target_path).unwrap();
            assert_eq!(target.recv(&mut buf).await.unwrap(), 1);

            // std conversions and shutdown.
            let std_a = a.into_std().unwrap();
            let a = UnixDatagram::from_std(std_a).unwrap();
            a.shutdown(std::net::Shutdown::Write).unwrap();
            let err = a.send(b"x").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
            assert!(a.take_error().unwrap().is_none());

            for p in [&server_path, &client_path, &target_path] {
                std::fs::remove_file(p).unwrap();
            }
        });
    });
}

#[test]
fn listener_std_conversions_and_poll_accept() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = socket_path("std");
            let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
            let listener = UnixListener::try_from(std_listener).unwrap();
            let client = std::os::unix::net::UnixStream::connect(&path).unwrap();
            let (mut server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
            let mut client = UnixStream::try_from(client).unwrap();
            client.write_all(b"hi").await.unwrap();
            let mut buf = [0; 2];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");
            let std_listener = listener.into_std().unwrap();
            assert_eq!(
                std_listener.local_addr().unwrap().as_pathname(),
                Some(&*path)
            );
            assert!(UnixListener::from_std(std_listener)
                .unwrap()
                .take_error()
                .unwrap()
                .is_none());
            std::fs::remove_file(&path).unwrap();
        });
    });
}

#[test]
fn peer_credentials_are_this_process() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let path = socket_path("cred");
            let listener = UnixListener::bind(&path).unwrap();
            let client = UnixStream::connect(&path).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // SAFETY: getuid, getgid and getpid take no arguments and cannot fail.
            let (uid, gid, pid) = unsafe { (libc::getuid(), libc::getgid(), libc::getpid()) };
            for stream in [&client, &server] {
                let cred = stream.peer_cred().unwrap();
                assert_eq!((cred.uid(), cred.gid(), cred.pid()), (uid, gid, Some(pid)));
            }
            let (a, _b) = UnixStream::pair().unwrap();
            assert_eq!(a.peer_cred().unwrap().pid(), Some(pid));
            std::fs::remove_file(&path).unwrap();
        });
    });
}
