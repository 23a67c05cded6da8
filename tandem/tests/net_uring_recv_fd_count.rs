//! With TCP receives over io_uring (`Builder::net_io_uring(true)`), 1,000 connections whose
//! streams are dropped mid-read (armed receives, chunks queued and half-read) leak no
//! descriptor: each receive names its socket's fd through the stream's holder, which the
//! stream's drop hands the fd to, and which closes it at the receive's final completion after
//! the drop's cancel. The fd count comes back to exactly its baseline, on the
//! current-thread runtime and on 2 and 8 workers, and after each runtime is dropped.
//!
//! The only test in this binary: libtest's parallel threads would disturb the count.

mod support;

use std::time::Duration;

use support::{assert_fd_count_returns_to, settled_fd_count, Flavor};
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 1000;
/// Connections in flight at once.
const BATCH: usize = 100;

#[test]
fn streams_dropped_mid_read_leak_no_fd() {
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
                    let mut readers = Vec::new();
                    let mut peers = Vec::new();
                    for i in 0..BATCH {
                        let (client, accepted) =
                            tandem::join!(TcpStream::connect(addr), listener.accept());
                        let mut client = client.unwrap();
                        let (mut server, _) = accepted.unwrap();
                        // The server side reads a little (arming its receive), then waits
                        // in a read that never completes; the client sends more than it
                        // reads, so chunks stay queued or half-read when it is dropped.
                        readers.push(tandem::spawn(async move {
                            let mut buf = [0; 10];
                            server.read_exact(&mut buf).await.unwrap();
                            // Small reads: chunks stay half-read in the stream.
                            let mut rest = [0; 700];
                            loop {
                                if server.read(&mut rest).await.unwrap_or(0) == 0 {
                                    std::future::pending::<()>().await;
                                }
                            }
                        }));
                        client.write_all(&vec![i as u8; 5000]).await.unwrap();
                        let mut buf = [0; 1];
                        // The client's own receive, armed and dropped mid-read below.
                        let _ =
                            tandem::time::timeout(Duration::from_micros(50), client.read(&mut buf))
                                .await;
                        peers.push(client);
                    }
                    tandem::time::sleep(Duration::from_millis(2)).await;
                    for reader in readers {
                        reader.abort();
                        let _ = reader.await;
                    }
                    drop(peers);
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
        if stats.enabled {
            assert!(
                stats.total().recv_arms >= CONNECTIONS as u64,
                "[{}] receives were not armed: {:?}",
                flavor.name,
                stats.total()
            );
        }
        drop(rt);
        assert_fd_count_returns_to(baseline, &format!("[{}] after the runtime", flavor.name));
    }
}
