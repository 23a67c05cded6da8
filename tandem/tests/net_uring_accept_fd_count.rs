//! With TCP over io_uring (`Builder::net_io_uring(true)`), a listener's multishot accept leaks
//! no descriptor and respects its cap (`docs/URING-NET.md`, decision 8):
//!
//! 1. The cap: with the accept armed and nobody accepting, 800 clients connect; the ring
//!    takes (and holds as fds) about `QUEUE_CAP` (128) of them and cancels its request, the
//!    rest wait in the kernel's backlog (not 800 fds); then accepts take all 800, each once,
//!    re-arming (`accept_arms` grows).
//! 2. A listener dropped (from another task) with connections queued in its request, while
//!    more clients keep connecting until they are refused: every accepted-but-untaken fd is
//!    closed, also those whose completion came after the drop, and the listening fd too.
//! 3. A runtime dropped with a listener alive in a task, its accept armed and connections
//!    queued: the drop returns promptly.
//!
//! After each, the fd count returns exactly to its baseline. On the current-thread runtime and
//! on 2 and 8 workers. The only test in this binary: libtest's parallel threads would disturb
//! the count.

#[path = "support/hang_guard.rs"]
mod hang_guard;
mod support;

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use hang_guard::within;
use support::{assert_fd_count_returns_to, fd_count, settled_fd_count, wait_until, Flavor};
use tandem::io::AsyncReadExt;
use tandem::net::TcpListener;
use tandem::runtime::Runtime;

/// `ops/accept_multi.rs`, `QUEUE_CAP`.
const QUEUE_CAP: usize = 128;
const CAP_CLIENTS: usize = 800;

fn accept_arms(rt: &Runtime) -> u64 {
    rt.handle().metrics().io_uring().total().accept_arms
}

/// Arms `listener`'s accept on a worker: a task takes one connection (returned, with its
/// client).
fn arm(
    rt: &Runtime,
    listener: &std::sync::Arc<TcpListener>,
) -> (std::net::TcpStream, tandem::net::TcpStream) {
    let addr = listener.local_addr().unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    let l = listener.clone();
    let accepted = rt.block_on(async move {
        tandem::spawn(async move { l.accept().await.unwrap().0 })
            .await
            .unwrap()
    });
    (client, accepted)
}

#[test]
fn accepted_fds_are_capped_closed_at_drop_and_shutdown_is_prompt() {
    let baseline = settled_fd_count();
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2, Flavor::MULTI_8] {
        let Some(rt) = support::net_uring_runtime(flavor) else {
            return;
        };
        let before = settled_fd_count();
        cap_then_re_arm(&rt, flavor);
        assert_fd_count_returns_to(before, &format!("[{}] after the cap phase", flavor.name));
        dropped_with_connections_queued(&rt, flavor);
        assert_fd_count_returns_to(
            before,
            &format!("[{}] after the listener's drop", flavor.name),
        );
        drop(rt);
        assert_fd_count_returns_to(baseline, &format!("[{}] after the runtime", flavor.name));

        let Some(rt) = support::net_uring_runtime(flavor) else {
            return;
        };
        runtime_dropped_with_listener_alive(rt, flavor);
        assert_fd_count_returns_to(
            baseline,
            &format!("[{}] after a runtime dropped with a listener", flavor.name),
        );
    }
}

fn cap_then_re_arm(rt: &Runtime, flavor: Flavor) {
    let name = flavor.name;
    let listener = std::sync::Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let addr = listener.local_addr().unwrap();
    let (c0, s0) = arm(rt, &listener);
    let arms = accept_arms(rt);
    let start = fd_count();
    // Clients connect from a plain thread while the runtime runs (a current-thread runtime
    // reaps its ring only inside `block_on`).
    let connector = std::thread::spawn(move || {
        (0..CAP_CLIENTS as u32)
            .map(|id| {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(&id.to_le_bytes()).unwrap();
                c
            })
            .collect::<Vec<_>>()
    });
    let clients = rt.block_on(async move {
        while !connector.is_finished() {
            tandem::time::sleep(Duration::from_millis(2)).await;
        }
        // Let the ring's completions and the cap's cancel land.
        let mut last = fd_count();
        loop {
            tandem::time::sleep(Duration::from_millis(50)).await;
            let now = fd_count();
            if now == last {
                break;
            }
            last = now;
        }
        connector.join().unwrap()
    });
    // The ring's fds for accepted connections: at least the cap, and well short of every
    // client (the kernel keeps the rest in its backlog).
    let clients_fds = CAP_CLIENTS;
    let held = fd_count() - start - clients_fds;
    assert!(
        held >= QUEUE_CAP,
        "[{name}] the request took {held} connections, fewer than its cap"
    );
    assert!(
        held < CAP_CLIENTS,
        "[{name}] the request took all {held} connections: no cap"
    );
    eprintln!("[{name}] held at the cap: {held}");
    // Now take them all: the accept that drains the queue re-arms.
    let l = listener.clone();
    let ids = rt.block_on(async move {
        tandem::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..CAP_CLIENTS {
                let (mut s, _) = tandem::time::timeout(Duration::from_secs(30), l.accept())
                    .await
                    .expect("an accept after the cap hung: not re-armed?")
                    .unwrap();
                let mut id = [0; 4];
                s.read_exact(&mut id).await.unwrap();
                ids.push(u32::from_le_bytes(id));
            }
            ids
        })
        .await
        .unwrap()
    });
    let unique: HashSet<u32> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "[{name}] an id twice");
    assert_eq!(unique, (0..CAP_CLIENTS as u32).collect(), "[{name}] ids");
    assert!(accept_arms(rt) > arms, "[{name}] never re-armed");
    drop((clients, c0, s0));
    let listener = std::sync::Arc::try_unwrap(listener).unwrap();
    rt.block_on(async move { drop(listener) });
}

fn dropped_with_connections_queued(rt: &Runtime, flavor: Flavor) {
    let name = flavor.name;
    let listener = std::sync::Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let addr = listener.local_addr().unwrap();
    let (c0, s0) = arm(rt, &listener);
    drop((c0, s0));
    let start = fd_count();
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(std::net::TcpStream::connect(addr).unwrap());
    }
    // Queued in the request (not yet taken): 50 fds more than the clients'.
    assert!(
        wait_until(Duration::from_secs(10), || fd_count() >= start + 100),
        "[{name}] the request did not take the connections"
    );
    // More clients keep connecting from a thread while another task drops the listener:
    // some completions come after the drop.
    let connector = std::thread::spawn(move || {
        let mut more = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match std::net::TcpStream::connect(addr) {
                Ok(c) => more.push(c),
                Err(_) => return more,
            }
        }
        panic!("clients still connect 10 s after the listener's drop");
    });
    while fd_count() < start + 110 {
        std::thread::yield_now();
    }
    let listener = std::sync::Arc::try_unwrap(listener).unwrap();
    rt.block_on(async move {
        tandem::spawn(async move { drop(listener) }).await.unwrap();
    });
    let more = connector.join().unwrap();
    eprintln!("[{name}] {} clients connected around the drop", more.len());
    drop(more);
    drop(clients);
}

fn runtime_dropped_with_listener_alive(rt: Runtime, flavor: Flavor) {
    let name = flavor.name;
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = std::sync::Arc::new(listener);
    let (c0, s0) = arm(&rt, &listener);
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(std::net::TcpStream::connect(addr).unwrap());
    }
    // A task waits in `accept` forever (nobody else takes connections); the ones queued stay.
    let l = listener.clone();
    rt.spawn(async move {
        let (_held, _) = l.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    drop(listener);
    drop(s0);
    within(
        Duration::from_secs(10),
        &format!("[{name}] dropping a runtime with a listener armed"),
        move || drop(rt),
    );
    drop((clients, c0));
}
