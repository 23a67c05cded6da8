//! Under `Builder::net_io_uring`, at most a cap of stream sockets per worker ring use the rings
//! (`rt/uring/stream_budget.rs`); streams made while that many are open use epoll for their
//! whole life, and a dropped stream gives its place back. Both kinds carry bytes in both
//! directions, unchanged, side by side; `UringStats::net_streams` and `net_streams_on_epoll`
//! count them; only the streams with a place arm receives on the rings.

mod support;

use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::{Builder, Runtime};

/// Places per worker ring; one worker.
const CAP: usize = 3;
/// Connections: two streams each (the client's and the accepted one), 8 in all.
const CONNECTIONS: usize = 4;

fn capped_runtime() -> Option<Runtime> {
    support::ring_runtime(
        Builder::new_multi_thread()
            .worker_threads(1)
            .net_io_uring(true)
            .net_io_uring_streams(CAP),
    )
}

async fn connections(listener: &TcpListener, n: usize) -> Vec<(TcpStream, TcpStream)> {
    let addr = listener.local_addr().unwrap();
    let mut pairs = Vec::new();
    for _ in 0..n {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        pairs.push((client, server));
    }
    pairs
}

/// Sends a pattern both ways over each pair and checks every byte.
async fn echo_both_ways(pairs: &mut [(TcpStream, TcpStream)]) {
    for (i, (client, server)) in pairs.iter_mut().enumerate() {
        let data: Vec<u8> = (0..100_000).map(|j| (i * 31 + j * 7) as u8).collect();
        let (mut from_client, mut from_server) = (vec![0; data.len()], vec![0; data.len()]);
        tandem::join!(
            async {
                client.write_all(&data).await.unwrap();
                client.read_exact(&mut from_server).await.unwrap();
            },
            async {
                server.read_exact(&mut from_client).await.unwrap();
                server.write_all(&data).await.unwrap();
            },
        );
        assert!(
            from_client == data,
            "connection {i}: client to server bytes differ"
        );
        assert!(
            from_server == data,
            "connection {i}: server to client bytes differ"
        );
    }
}

#[test]
fn streams_beyond_the_cap_use_epoll_and_places_come_back() {
    let Some(rt) = capped_runtime() else { return };
    let stats = || rt.handle().metrics().io_uring();
    let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
    let mut pairs = rt.block_on(connections(&listener, CONNECTIONS));
    let made = stats();
    assert_eq!(made.net_streams, CAP, "streams on the rings");
    assert_eq!(
        made.net_streams_on_epoll,
        (2 * CONNECTIONS - CAP) as u64,
        "streams on epoll"
    );
    let ring_ops = || {
        let stats = stats();
        let arms: u64 = stats.rings.iter().map(|ring| ring.recv_arms).sum();
        let sends: u64 = stats.rings.iter().map(|ring| ring.sends).sum();
        (arms, sends)
    };
    // Streams were made in the order client, accepted, client, ...: the places went to both
    // streams of the first connection and the client of the second. The last two connections
    // are on epoll at both ends: their traffic arms no receive and sends nothing on the rings.
    // (On the worker, where reads would arm receives on its ring.)
    let mut epoll_pairs = pairs.split_off(2);
    epoll_pairs = rt
        .block_on(rt.spawn(async move {
            echo_both_ways(&mut epoll_pairs).await;
            epoll_pairs
        }))
        .unwrap();
    assert_eq!(ring_ops(), (0, 0), "streams on epoll used the rings");
    pairs = rt
        .block_on(rt.spawn(async move {
            echo_both_ways(&mut pairs).await;
            pairs
        }))
        .unwrap();
    let (arms, sends) = ring_ops();
    assert!(
        arms > 0 && sends > 0,
        "the streams with a place did not use the rings"
    );
    pairs.extend(epoll_pairs);
    drop(pairs);
    assert_eq!(stats().net_streams, 0, "places are given back on drop");
    // The places are free again: a new connection's two streams take two.
    let mut again = rt.block_on(connections(&listener, 1));
    assert_eq!(stats().net_streams, 2);
    again = rt
        .block_on(rt.spawn(async move {
            echo_both_ways(&mut again).await;
            again
        }))
        .unwrap();
    drop(again);
    assert_eq!(stats().net_streams, 0);
}
