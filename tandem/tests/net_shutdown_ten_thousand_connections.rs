//! Dropping a runtime that serves 10,000 idle connections, each with a read in progress (with
//! TCP receives over io_uring: an armed multishot receive naming the socket's fd), returns
//! promptly and closes every descriptor: the fd count is back to its baseline.
//! Both switch settings, on 2 workers.
//!
//! The clients live in a child process (this binary re-run with `CLIENT_ROLE` set): `ulimit -n`
//! is 20,000 here and cannot be raised past its hard limit. The server side holds one fd per
//! connection with either switch setting (the ring's operations share the socket's own fd,
//! `rt/uring/socket_fd.rs`); if fewer than 10,000 fit under the hard limit, the test serves as
//! many as fit and says so on stderr.
//!
//! The only test in this binary: the fd count is process-wide.

mod support;

use std::future::Future;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{fd_count, settled_fd_count};
use tandem::io::AsyncReadExt;
use tandem::net::TcpListener;

const CONNECTIONS: usize = 10_000;
const CLIENT_ROLE: &str = "TANDEM_TEST_SHUTDOWN_CLIENT";
/// Descriptors kept free for the runtime's own (rings, eventfds, epoll) and the test's.
const SPARE_FDS: usize = 64;
/// Only a hang reaches it: the runtime's drop normally takes milliseconds.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

/// Raises the soft fd limit to the hard one; returns it.
fn raise_fd_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit with a valid pointer to a local.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    lim.rlim_cur as usize
}

/// The child: connects `count` clients to `addr` and holds them until its stdin closes.
fn client(spec: &str) {
    raise_fd_limit();
    let (addr, count) = spec.split_once(',').unwrap();
    let count: usize = count.parse().unwrap();
    let mut clients = Vec::with_capacity(count);
    for _ in 0..count {
        clients.push(std::net::TcpStream::connect(addr).unwrap());
    }
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(clients);
}

fn serve_and_drop(net_uring: bool, limit: usize) {
    let what = format!("net_io_uring({net_uring})");
    let baseline = settled_fd_count();
    let per_connection = 1;
    let count = CONNECTIONS.min((limit - baseline - SPARE_FDS) / per_connection);
    if count < CONNECTIONS {
        eprintln!(
            "{what}: {count} connections, not {CONNECTIONS}: {per_connection} fds each on the \
             server side under a limit of {limit} (baseline {baseline})"
        );
    }
    // Every connection on the rings with the switch on (by default only 2,048 per worker ring
    // would be, the rest on epoll): shutdown must cancel 10,000 armed receives.
    let rt = support::builder_with_workers(2)
        .enable_all()
        .net_io_uring(net_uring)
        .net_io_uring_streams(CONNECTIONS)
        .build()
        .unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // Reads polled at least once (a receive armed, with the switch on).
    let reading = Arc::new(AtomicUsize::new(0));
    let reading2 = reading.clone();
    rt.spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let reading = reading2.clone();
            tandem::spawn(async move {
                let mut buf = [0u8; 64];
                let mut read = std::pin::pin!(stream.read(&mut buf));
                let mut counted = false;
                let res = std::future::poll_fn(|cx| {
                    let res = read.as_mut().poll(cx);
                    if !counted {
                        counted = true;
                        reading.fetch_add(1, Relaxed);
                    }
                    res
                })
                .await;
                panic!("an idle connection's read returned: {res:?}");
            });
        }
    });
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "ten_thousand_idle_connections_shut_down_promptly",
            "--exact",
            "--nocapture",
        ])
        .env(CLIENT_ROLE, format!("{addr},{count}"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    // The child says nothing: the server counts its connections.
    let all = support::wait_until(Duration::from_secs(120), || reading.load(Relaxed) == count);
    assert!(
        all,
        "{what}: {} of {count} connections reading",
        reading.load(Relaxed)
    );
    let stats = rt.metrics().io_uring();
    if net_uring && stats.enabled {
        assert!(
            stats.total().recv_arms >= count as u64,
            "{what}: {} receives armed for {count} connections",
            stats.total().recv_arms
        );
    }
    assert!(fd_count() >= baseline + count * per_connection);
    let (done, dropped) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        drop(rt);
        let _ = done.send(start.elapsed());
    });
    let took = dropped.recv_timeout(SHUTDOWN_LIMIT).unwrap_or_else(|_| {
        panic!("{what}: dropping the runtime with {count} connections took over {SHUTDOWN_LIMIT:?}")
    });
    eprintln!(
        "{what}: {count} connections reading, the runtime dropped in {took:?} (receives armed: {})",
        stats.total().recv_arms
    );
    // The child's stdin (one fd here) closes: it exits.
    drop(child.stdin.take());
    assert!(
        child.wait().unwrap().success(),
        "{what}: the client process failed"
    );
    let back = support::wait_until(Duration::from_secs(10), || fd_count() == baseline);
    assert!(
        back,
        "{what}: fd count {} after the runtime, baseline {baseline}",
        fd_count()
    );
}

#[test]
fn ten_thousand_idle_connections_shut_down_promptly() {
    if let Some(spec) = support::child_role(CLIENT_ROLE) {
        client(&spec);
        return;
    }
    let limit = raise_fd_limit();
    for net_uring in [true, false] {
        serve_and_drop(net_uring, limit);
    }
}
