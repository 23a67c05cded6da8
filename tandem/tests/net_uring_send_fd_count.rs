//! With TCP sends over io_uring (`Builder::net_io_uring(true)`), 1,000 streams dropped with
//! sends in flight (their peers not reading yet) leak no descriptor: the sends keep the
//! socket's fd (handed to the stream's holder at its drop) open until the last send's
//! completion, then it closes; every byte still reaches the
//! peer, then end-of-file. The fd count comes back to exactly its baseline, on the
//! current-thread runtime and on 2 and 8 workers, and after each runtime is dropped.
//!
//! The only test in this binary: libtest's parallel threads would disturb the count.

mod support;

use support::{assert_fd_count_returns_to, settled_fd_count, Flavor};
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 1000;
/// Connections in flight at once.
const BATCH: usize = 100;
/// Bytes each stream writes before it is dropped: more than the peer's socket buffers take
/// before it reads, so sends are still in flight at the drop.
const BYTES: usize = 40_000;

#[test]
fn streams_dropped_with_sends_in_flight_leak_no_fd() {
    let baseline = settled_fd_count();
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8] {
        let rt = flavor.builder().net_io_uring(true).build().unwrap();
        let before = rt.block_on(async {
            tandem::spawn(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let before = settled_fd_count();
                let mut done = 0;
                while done < CONNECTIONS {
                    let mut peers = Vec::new();
                    let mut writers = Vec::new();
                    for i in 0..BATCH {
                        let (client, accepted) =
                            tandem::join!(TcpStream::connect(addr), listener.accept());
                        let mut client = client.unwrap();
                        let (server, _) = accepted.unwrap();
                        peers.push(server);
                        writers.push(tandem::spawn(async move {
                            client.write_all(&vec![i as u8; BYTES]).await.unwrap();
                            // Dropped with its last bytes in sends.
                        }));
                    }
                    for w in writers {
                        w.await.unwrap();
                    }
                    // The peers read everything, then end-of-file.
                    let readers: Vec<_> = peers
                        .into_iter()
                        .enumerate()
                        .map(|(i, mut server)| {
                            tandem::spawn(async move {
                                let mut got = Vec::new();
                                server.read_to_end(&mut got).await.unwrap();
                                assert_eq!(got.len(), BYTES);
                                assert!(got.iter().all(|&b| b == i as u8));
                            })
                        })
                        .collect();
                    for r in readers {
                        r.await.unwrap();
                    }
                    done += BATCH;
                }
                drop(listener);
                before
            })
            .await
            .unwrap()
        });
        // The listener was open when `before` was taken.
        assert_fd_count_returns_to(
            before - 1,
            &format!("[{}] after the connections", flavor.name),
        );
        let stats = rt.metrics().io_uring();
        if stats.enabled && stats.total().recv_arms + stats.total().sends > 0 {
            assert!(
                stats.total().sends >= CONNECTIONS as u64,
                "[{}] sends did not go over the rings: {:?}",
                flavor.name,
                stats.total()
            );
        }
        drop(rt);
        assert_fd_count_returns_to(baseline, &format!("[{}] after the runtime", flavor.name));
    }
}
