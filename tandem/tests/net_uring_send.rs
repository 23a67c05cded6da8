//! TCP sends over io_uring (`Builder::net_io_uring(true)`, `docs/URING-NET.md`, decision 6): a
//! write on a worker copies into the stream's send buffer and pushes a send entry on that
//! worker's ring, or appends behind the send in flight, whose completion submits the next.
//! Each test runs on the current-thread runtime and on multi-thread runtimes with 2 and 8
//! workers, with the switch on. Where the kernel has no io_uring (or no buffer rings, which the
//! switch also needs), writes go through the socket and the tests check only the bytes.

#[path = "support/net_stream.rs"]
mod net_stream;
mod support;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use net_stream::{pair, pattern, run, Rng};
use support::Flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::Runtime;

const FLAVORS: [Flavor; 3] = [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8];

fn runtime(flavor: Flavor) -> Runtime {
    flavor
        .builder()
        .net_io_uring(true)
        .build()
        .unwrap_or_else(|e| panic!("[{}] build: {e}", flavor.name))
}

/// True if this runtime sends over io_uring (its rings exist and the switch took).
fn uring_on(rt: &Runtime) -> bool {
    let stats = rt.metrics().io_uring();
    stats.enabled && stats.total().recv_arms + stats.total().sends > 0
}

fn sends(rt: &Runtime) -> u64 {
    rt.metrics().io_uring().total().sends
}

/// Writes `data` in chunks of random sizes (1 byte to `max`), as `write`s (not `write_all`)
/// when `seed` is odd: partial writes at the buffer's bound are retried from where they ended.
async fn write_random_chunks(
    stream: &mut (impl AsyncWriteExt + Unpin),
    data: &[u8],
    seed: u64,
    max: u64,
) {
    let mut rng = Rng(seed | 1);
    let mut at = 0;
    while at < data.len() {
        let n = (1 + rng.below(max) as usize).min(data.len() - at);
        if seed % 2 == 1 {
            at += stream.write(&data[at..at + n]).await.unwrap();
        } else {
            stream.write_all(&data[at..at + n]).await.unwrap();
            at += n;
        }
    }
}

/// Reads to the end in reads of random sizes.
async fn read_random_chunks(stream: &mut (impl AsyncReadExt + Unpin), seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let mut got = Vec::new();
    loop {
        let mut buf = vec![0; 1 + rng.below(20_000) as usize];
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            return got;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// Both directions at once: the client sends 1 MiB in random chunks and reads the echo; the
/// server echoes in random-size reads and writes (its writes are sends too).
#[test]
fn echo_of_one_mib_in_random_chunks_both_ways() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let data = pattern(1 << 20, 7);
        let expected = data.clone();
        let got = run(&rt, async move {
            let (client, server) = pair().await;
            let echo = tandem::spawn(async move {
                let (mut rd, mut wr) = server.into_split();
                let mut rng = Rng(3);
                loop {
                    let mut buf = vec![0; 1 + rng.below(100_000) as usize];
                    let n = rd.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    write_random_chunks(&mut wr, &buf[..n], rng.next(), 5000).await;
                }
                wr.shutdown().await.unwrap();
            });
            let (mut rd, mut wr) = client.into_split();
            let sent = data.clone();
            let writer = tandem::spawn(async move {
                write_random_chunks(&mut wr, &sent, 11, 200_000).await;
                wr.shutdown().await.unwrap();
            });
            let got = read_random_chunks(&mut rd, 13).await;
            writer.await.unwrap();
            echo.await.unwrap();
            got
        });
        assert!(got == expected, "[{}] echoed bytes differ", flavor.name);
        if uring_on(&rt) {
            assert!(sends(&rt) >= 2, "[{}] no send over the ring", flavor.name);
        }
        eprintln!("[{}] {:?}", flavor.name, rt.metrics().io_uring().total());
    }
}

/// Many connections, small and large messages, echoed and checked byte for byte.
#[test]
fn many_connections_small_and_large_echoes() {
    const CONNECTIONS: u64 = 200;
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        run(&rt, async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tandem::spawn(async move {
                for _ in 0..CONNECTIONS {
                    let (stream, _) = listener.accept().await.unwrap();
                    tandem::spawn(async move {
                        let (mut rd, mut wr) = stream.into_split();
                        tandem::io::copy(&mut rd, &mut wr).await.unwrap();
                        wr.shutdown().await.unwrap();
                    });
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    tandem::spawn(async move {
                        // Every fourth connection sends 200 KB; the others a few bytes to 8 KB.
                        let len = if i % 4 == 0 {
                            200_000
                        } else {
                            1 + (i as usize * 37) % 8000
                        };
                        let data = pattern(len, i + 1);
                        let stream = TcpStream::connect(addr).await.unwrap();
                        let (mut rd, mut wr) = stream.into_split();
                        let sent = data.clone();
                        let w = tandem::spawn(async move {
                            write_random_chunks(&mut wr, &sent, i, 9000).await;
                            wr.shutdown().await.unwrap();
                        });
                        let got = read_random_chunks(&mut rd, i).await;
                        w.await.unwrap();
                        assert!(got == data, "connection {i}: bytes differ");
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        });
        if uring_on(&rt) {
            assert!(sends(&rt) >= 2 * CONNECTIONS, "[{}]", flavor.name);
        }
    }
}

/// A writer that moves between the 8 workers (busy tasks keep them stealing) between writes:
/// its sends start on whichever ring it runs on, never two at once, in order.
#[test]
fn a_writer_moving_across_workers_keeps_order() {
    let flavor = Flavor::MULTI_8;
    let rt = runtime(flavor);
    let data = pattern(2 << 20, 3);
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let seen = threads.clone();
    let expected = data.clone();
    let got = rt.block_on(async move {
        let (mut client, server) = pair().await;
        let stop = Arc::new(AtomicUsize::new(0));
        let busy: Vec<_> = (0..16)
            .map(|_| {
                let stop = stop.clone();
                tandem::spawn(async move {
                    while stop.load(Ordering::Relaxed) == 0 {
                        tandem::task::yield_now().await;
                    }
                })
            })
            .collect();
        let writer = tandem::spawn(async move {
            let mut server = server;
            let mut rng = Rng(17);
            let mut at = 0;
            while at < data.len() {
                seen.lock().unwrap().insert(std::thread::current().id());
                let n = (1 + rng.below(9000) as usize).min(data.len() - at);
                server.write_all(&data[at..at + n]).await.unwrap();
                at += n;
                tandem::task::yield_now().await;
            }
            server.shutdown().await.unwrap();
        });
        let reader = tandem::spawn(async move { read_random_chunks(&mut client, 5).await });
        let got = reader.await.unwrap();
        writer.await.unwrap();
        stop.store(1, Ordering::Relaxed);
        for b in busy {
            b.await.unwrap();
        }
        got
    });
    assert!(got == expected, "bytes differ");
    let rings_with_sends = rt
        .metrics()
        .io_uring()
        .rings
        .iter()
        .filter(|r| r.sends > 0)
        .count();
    eprintln!(
        "writer ran on {} worker threads; sends on {rings_with_sends} rings",
        threads.lock().unwrap().len()
    );
}

/// A stream dropped right after its writes returned (no flush, no shutdown): the peer still
/// receives every byte, then end-of-file.
#[test]
fn write_then_drop_delivers_everything_then_eof() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let data = pattern(1 << 20, 9);
        let expected = data.clone();
        let got = run(&rt, async move {
            let (mut client, mut server) = pair().await;
            let writer = tandem::spawn(async move {
                write_random_chunks(&mut server, &data, 2, 70_000).await;
                // A last small write, taken into the buffer behind a send in flight.
                drop(server);
            });
            // Let the writer finish and drop before reading: its last bytes wait in sends.
            writer.await.unwrap();
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        assert_eq!(got.len(), expected.len(), "[{}]", flavor.name);
        assert!(got == expected, "[{}] bytes differ", flavor.name);
    }
}

/// A write to a peer that reset the connection fails with `BrokenPipe` or `ConnectionReset`,
/// reported once, and never raises SIGPIPE (its default action, restored here, would kill the
/// test binary).
#[test]
fn writes_to_a_reset_peer_fail_without_sigpipe() {
    // SAFETY: restores the default action of SIGPIPE (no handler of ours runs).
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        run(&rt, async move {
            let (mut client, server) = pair().await;
            server.set_zero_linger().unwrap();
            drop(server);
            // Keep writing until the error arrives (the first sends may go out before the RST
            // is processed).
            let chunk = vec![7u8; 10_000];
            let mut err = None;
            for _ in 0..10_000 {
                match client.write(&chunk).await {
                    Ok(_) => tandem::time::sleep(Duration::from_millis(1)).await,
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            let err = err.expect("writes to a reset peer never failed");
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ),
                "{err}"
            );
            // Later writes fail too (a write may be taken into the send buffer first; its
            // send's error comes with a later one): still no signal.
            let mut again = Ok(0);
            for _ in 0..100 {
                again = client.write(&chunk).await;
                if again.is_err() {
                    break;
                }
                tandem::time::sleep(Duration::from_millis(1)).await;
            }
            assert!(again.is_err(), "{again:?}");
            let _ = client.flush().await;
            let _ = client.shutdown().await;
        });
    }
}

/// `flush` waits until every byte written was sent: with a peer that does not read, bytes
/// beyond the socket buffers stay unsent and `flush` pends; once the peer reads, it completes.
/// `shutdown` waits for the sends too, then the peer reads everything and end-of-file.
#[test]
fn flush_and_shutdown_wait_for_the_sends() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let buffered = run(&rt, async move {
            let (mut client, mut server) = pair().await;
            // Fill the socket buffers and the send buffer: a write that does not complete.
            let chunk = vec![1u8; 32 * 1024];
            let mut written = 0usize;
            while let Ok(n) =
                tandem::time::timeout(Duration::from_millis(100), client.write(&chunk)).await
            {
                written += n.unwrap();
            }
            let pending = tandem::time::timeout(Duration::from_millis(100), client.flush()).await;
            // Over io_uring bytes wait in the send buffer: the flush must wait. (Through epoll
            // nothing is buffered, and the flush is ready at once.)
            let uring_buffered = pending.is_err();
            let reader = tandem::spawn(async move {
                let mut got = 0usize;
                let mut buf = vec![0; 65536];
                loop {
                    let n = server.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return got;
                    }
                    assert!(buf[..n].iter().all(|&b| b == 1 || b == 2));
                    got += n;
                }
            });
            client.flush().await.unwrap();
            client.write_all(&[2u8; 1000]).await.unwrap();
            client.shutdown().await.unwrap();
            let got = reader.await.unwrap();
            assert_eq!(got, written + 1000);
            uring_buffered
        });
        if uring_on(&rt) {
            assert!(
                buffered,
                "[{}] flush did not wait for the sends",
                flavor.name
            );
        }
    }
}

/// After `shutdown` the peer reads end-of-file only after every byte (the shutdown waited for
/// the sends in flight); the write half of `into_split` does the same when dropped.
#[test]
fn shutdown_and_dropped_write_half_come_after_the_bytes() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        run(&rt, async move {
            for drop_half in [false, true] {
                let (client, mut server) = pair().await;
                let data = pattern(300_000, 1);
                let (_rd, mut wr) = client.into_split();
                let reader = tandem::spawn(async move {
                    let mut got = Vec::new();
                    server.read_to_end(&mut got).await.unwrap();
                    got
                });
                wr.write_all(&data).await.unwrap();
                if drop_half {
                    drop(wr);
                } else {
                    wr.shutdown().await.unwrap();
                }
                let got = reader.await.unwrap();
                assert!(got == data, "drop_half {drop_half}: bytes differ");
            }
        });
    }
}

/// Writes from `block_on`'s thread (not a worker on a multi-thread runtime) and from a plain
/// thread's `block_on`, interleaved with writes from tasks whose sends may still be in flight:
/// the bytes arrive in order.
#[test]
fn writes_from_block_on_and_plain_threads_keep_order() {
    for flavor in FLAVORS {
        let rt = Arc::new(runtime(flavor));
        let (client, mut server) = rt.block_on(pair());
        let client = Arc::new(tandem::sync::Mutex::new(client));
        let mut expected = Vec::new();
        for round in 0..20u8 {
            let chunk = vec![round; 5000 + round as usize * 1000];
            expected.extend_from_slice(&chunk);
            let c = client.clone();
            match round % 3 {
                0 => rt.block_on(async move {
                    // On a task: over the ring.
                    tandem::spawn(async move { c.lock().await.write_all(&chunk).await.unwrap() })
                        .await
                        .unwrap();
                }),
                1 => rt.block_on(async move { c.lock().await.write_all(&chunk).await.unwrap() }),
                _ => {
                    let rt2 = rt.clone();
                    std::thread::spawn(move || {
                        rt2.block_on(async move { c.lock().await.write_all(&chunk).await.unwrap() })
                    })
                    .join()
                    .unwrap()
                }
            }
        }
        rt.block_on(async {
            let mut c = client.lock().await;
            c.flush().await.unwrap();
            c.shutdown().await.unwrap();
        });
        let got = rt.block_on(async move {
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            got
        });
        assert!(got == expected, "[{}] bytes differ", flavor.name);
    }
}

/// `try_write` takes what fits in the send buffer and says `WouldBlock` when it is full;
/// `writable` waits for room.
#[test]
fn try_write_and_writable() {
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        run(&rt, async move {
            let (client, mut server) = pair().await;
            let mut written = 0usize;
            let chunk = vec![5u8; 16 * 1024];
            let mut blocked = 0;
            let reader = tandem::spawn(async move {
                let mut got = 0usize;
                let mut buf = vec![0; 65536];
                // Read slowly at first, so writes find the buffer full.
                tandem::time::sleep(Duration::from_millis(50)).await;
                loop {
                    let n = server.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return got;
                    }
                    got += n;
                }
            });
            while written < 4 << 20 {
                client.writable().await.unwrap();
                match client.try_write(&chunk) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocked += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            let mut client = client;
            client.shutdown().await.unwrap();
            assert_eq!(reader.await.unwrap(), written);
            let _ = blocked;
        });
    }
}

/// Writes that returned reach the peer though the runtime shuts down right after them, with
/// no flush: as through epoll, where a write that returned left its bytes with the kernel.
/// Small socket buffers and a slow reader keep a send waiting in the kernel and bytes in the
/// stream's send buffer when the last write returns. The stream outlives the runtime, and is
/// dropped after it (then the peer sees the end).
#[test]
fn writes_that_returned_survive_the_runtimes_shutdown() {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    const LEN: usize = 512 * 1024;
    for flavor in FLAVORS {
        let rt = runtime(flavor);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let small: libc::c_int = 4096;
        // SAFETY: setsockopt on a socket this test owns, with a pointer to a live c_int and
        // its size.
        let rc = unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&small as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
        let addr = listener.local_addr().unwrap();
        let reader = std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            peer.set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut got = Vec::new();
            let mut chunk = [0; 4096];
            loop {
                match peer.read(&mut chunk)? {
                    0 => return Ok::<_, io::Error>(got),
                    n => got.extend_from_slice(&chunk[..n]),
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let data = pattern(LEN, 3);
        let sent = data.clone();
        let stream = run(&rt, async move {
            let socket = tandem::net::TcpSocket::new_v4().unwrap();
            socket.set_send_buffer_size(4096).unwrap();
            let mut stream = socket.connect(addr).await.unwrap();
            write_random_chunks(&mut stream, &sent, 2, 4096).await;
            stream
        });
        let used_ring = uring_on(&rt);
        drop(rt);
        drop(stream);
        let got = reader.join().unwrap().expect("the peer's read");
        assert_eq!(
            got.len(),
            data.len(),
            "[{}, sends over the ring: {used_ring}] bytes lost at the runtime's shutdown",
            flavor.name
        );
        assert!(got == data, "[{}] bytes differ", flavor.name);
    }
}

/// A peer that never reads: the runtime's shutdown waits for room for the bytes writes took
/// only until its deadline (`shutdown_timeout`'s, here), then drops them: it does not hang.
/// (The fd counts of sends are checked in `net_uring_send_fd_count.rs`, alone in its binary.)
#[test]
fn a_peer_that_never_reads_holds_the_shutdown_only_until_its_deadline() {
    #[path = "support/hang_guard.rs"]
    mod hang_guard;
    for flavor in FLAVORS {
        hang_guard::within(Duration::from_secs(60), "the shutdown", move || {
            let rt = runtime(flavor);
            if !rt.metrics().io_uring().enabled {
                eprintln!("no rings here: nothing to check");
                return;
            }
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let (stream, peer) = run(&rt, async move {
                let socket = tandem::net::TcpSocket::new_v4().unwrap();
                socket.set_send_buffer_size(4096).unwrap();
                let stream = socket.connect(addr).await.unwrap();
                let (peer, _) = listener.accept().unwrap();
                (stream, peer)
            });
            let (stream, writing) = {
                let stream = Arc::new(tandem::sync::Mutex::new(stream));
                let writer = stream.clone();
                // Writes until the send buffer is full and the writer waits.
                let writing = rt.spawn(async move {
                    let data = pattern(8 << 20, 1);
                    let _ = writer.lock().await.write_all(&data).await;
                });
                (stream, writing)
            };
            // Until the writer waits: the stream's send buffer holds bytes, a send waits.
            // (Driven by `block_on`, which runs the current-thread runtime's tasks.)
            rt.block_on(async {
                let sent = async {
                    while sends(&rt) == 0 {
                        tandem::time::sleep(Duration::from_millis(1)).await;
                    }
                };
                tandem::time::timeout(Duration::from_secs(10), sent)
                    .await
                    .expect("no send went out");
                tandem::time::sleep(Duration::from_millis(50)).await;
            });
            rt.shutdown_timeout(Duration::from_millis(200));
            drop((writing, stream, peer));
        });
    }
}
