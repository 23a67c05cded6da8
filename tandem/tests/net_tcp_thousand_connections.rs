//! 1,000 concurrent TCP connections each echo 1 MiB, on every flavour, with exact byte counts.
//!
//! Each client writes its megabyte (a pattern that differs per connection) while it reads the
//! echo back, then half-closes; the server echoes until EOF and closes. Every byte read is
//! compared with what was sent, and the totals on both sides must be exactly
//! 1,000 x 1 MiB.
//!
//! The full megabyte runs in debug builds too (about 13 s for the four flavours on a 2-CPU VM,
//! nearly all of it in the kernel copying 4 GiB each way).

mod support;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 1_000;
const BYTES_PER_CONNECTION: usize = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

#[test]
fn thousand_connections_echo_exact_bytes() {
    // One pattern, offset per connection: slices of it are compared with memcmp.
    let pattern: Arc<Vec<u8>> = Arc::new(
        (0..BYTES_PER_CONNECTION + 256)
            .map(|i| (i % 251) as u8)
            .collect(),
    );
    each_flavor(|_, rt| {
        let pattern = pattern.clone();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server_bytes = Arc::new(AtomicU64::new(0));

            let server = {
                let server_bytes = server_bytes.clone();
                tandem::spawn(async move {
                    let mut conns = Vec::with_capacity(CONNECTIONS);
                    for _ in 0..CONNECTIONS {
                        let (mut stream, _) = listener.accept().await.unwrap();
                        let server_bytes = server_bytes.clone();
                        conns.push(tandem::spawn(async move {
                            let mut buf = vec![0; CHUNK];
                            loop {
                                let n = stream.read(&mut buf).await.unwrap();
                                if n == 0 {
                                    break;
                                }
                                server_bytes.fetch_add(n as u64, Relaxed);
                                stream.write_all(&buf[..n]).await.unwrap();
                            }
                        }));
                    }
                    for c in conns {
                        c.await.unwrap();
                    }
                })
            };

            let mut clients = Vec::with_capacity(CONNECTIONS);
            for c in 0..CONNECTIONS {
                let pattern = pattern.clone();
                clients.push(tandem::spawn(async move {
                    let offset = c % 251;
                    let sent = &pattern[offset..offset + BYTES_PER_CONNECTION];
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let (mut r, mut w) = stream.split();
                    let write = async {
                        for chunk in sent.chunks(CHUNK) {
                            w.write_all(chunk).await.unwrap();
                        }
                        w.shutdown().await.unwrap();
                    };
                    let read = async {
                        let mut buf = vec![0; CHUNK];
                        let mut received = 0;
                        loop {
                            let n = r.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            assert!(
                                received + n <= sent.len(),
                                "connection {c}: more bytes back than sent"
                            );
                            assert!(
                                buf[..n] == sent[received..received + n],
                                "connection {c}: wrong bytes at offset {received}"
                            );
                            received += n;
                        }
                        received
                    };
                    let ((), received) = tandem::join!(write, read);
                    assert_eq!(received, BYTES_PER_CONNECTION, "connection {c}");
                    received as u64
                }));
            }
            let mut client_bytes = 0;
            for c in clients {
                client_bytes += c.await.unwrap();
            }
            server.await.unwrap();
            let expected = (CONNECTIONS * BYTES_PER_CONNECTION) as u64;
            assert_eq!(client_bytes, expected);
            assert_eq!(server_bytes.load(Relaxed), expected);
        });
    });
}
