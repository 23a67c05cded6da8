//! Sockets leak no descriptors: after 10,000 TCP connections opened and closed, the process's
//! fd count (entries of /proc/self/fd) is exactly what it was before them, on every flavour;
//! and after each runtime is dropped it is exactly the count from before the runtime existed.
//!
//! This must be the only test in this binary: libtest runs the tests of one binary on parallel
//! threads, whose descriptors would disturb the count.

mod support;

use std::os::unix::net::UnixStream as StdUnixStream;

use support::{fd_count, flavors, run_flavor};
use tandem::io::unix::AsyncFd;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

const CONNECTIONS: usize = 10_000;
/// Connections in flight at once.
const BATCH: usize = 100;

/// The fd count when nothing transient is open: the minimum over a short window. A thread's
/// first allocation can make glibc open `/sys/devices/system/cpu/online` for an instant (malloc
/// arena sizing), so a single sample may read one too many.
fn settled_fd_count() -> usize {
    let mut min = fd_count();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        min = min.min(fd_count());
    }
    min
}

/// The count must come back to exactly `expected` (transients close within the deadline; a
/// leaked fd never does).
fn assert_fd_count_returns_to(expected: usize, what: &str) {
    let back = support::wait_until(std::time::Duration::from_secs(5), || fd_count() == expected);
    assert!(
        back,
        "fd count {what} is {}, expected exactly {expected}",
        fd_count()
    );
}

#[test]
fn fd_count_returns_to_baseline() {
    let baseline = settled_fd_count();
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.build();
            rt.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let before = settled_fd_count();

                let (closed_tx, mut closed_rx) = tandem::sync::mpsc::unbounded_channel();
                let server = tandem::spawn(async move {
                    loop {
                        let (mut stream, _) = listener.accept().await.unwrap();
                        let closed_tx = closed_tx.clone();
                        tandem::spawn(async move {
                            let mut byte = [0; 1];
                            stream.read_exact(&mut byte).await.unwrap();
                            stream.write_all(&byte).await.unwrap();
                            drop(stream);
                            closed_tx.send(()).unwrap();
                        });
                    }
                });

                for batch in 0..CONNECTIONS / BATCH {
                    let mut clients = Vec::with_capacity(BATCH);
                    for i in 0..BATCH {
                        clients.push(tandem::spawn(async move {
                            let mut stream = TcpStream::connect(addr).await.unwrap();
                            let byte = [(batch + i) as u8];
                            stream.write_all(&byte).await.unwrap();
                            let mut back = [0; 1];
                            stream.read_exact(&mut back).await.unwrap();
                            assert_eq!(back, byte);
                        }));
                    }
                    for c in clients {
                        c.await.unwrap();
                    }
                }
                // Every server-side stream is dropped too.
                for _ in 0..CONNECTIONS {
                    closed_rx.recv().await.unwrap();
                }
                // A few other kinds, opened and closed.
                for _ in 0..10 {
                    let (a, b) = UnixStream::pair().unwrap();
                    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                    let (s1, _s2) = StdUnixStream::pair().unwrap();
                    let fd = AsyncFd::new(s1).unwrap();
                    drop((a, b, udp, fd));
                }
                assert_fd_count_returns_to(
                    before,
                    &format!("after {CONNECTIONS} connections opened and closed"),
                );
                server.abort();
                let _ = server.await;
            });
            drop(rt);
            assert_fd_count_returns_to(baseline, "after the runtime was dropped");
        });
    }
}
