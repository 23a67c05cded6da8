//! Memory per idle keep-alive connection (issue 14, "Must hold"): a server accepts `C`
//! connections, each served by a task that reads into a 64-byte buffer and waits (with TCP
//! receives over io_uring, its multishot receive armed; the provided buffers are per worker,
//! not per connection). The server's resident set (`VmRSS`) is read before the clients connect
//! and once every connection's read has been polled; the difference over `C` is the cost of an
//! idle connection in user space (the kernel's socket memory is not in it).
//!
//! Each server runs in a fresh process (this program re-run with `serve BACKEND C WORKERS`):
//! Tandem with TCP receives over io_uring, Tandem on epoll, and Tokio for reference. The
//! clients are plain blocking sockets in this process (the fd limit, 20,000 here, counts both
//! ends, so they cannot share a process with the server).
//!
//! ```text
//! cargo run --release -p tandem-bench --example net_idle_rss -- [CONNECTIONS] [WORKERS] [ROUNDS]
//! ```
//!
//! The default, 9,900 connections, was chosen when a server-side connection held two fds with
//! the switch on (the socket and the receive's duplicate): 10,000 did not fit under 20,000.
//! Since `SocketFd` (one fd per connection either way) 10,000 fit.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Backend {
    TandemUring,
    TandemEpoll,
    Tokio,
}

impl Backend {
    const ALL: [Backend; 3] = [Backend::TandemUring, Backend::TandemEpoll, Backend::Tokio];

    fn name(self) -> &'static str {
        match self {
            Backend::TandemUring => "tandem-uring",
            Backend::TandemEpoll => "tandem-epoll",
            Backend::Tokio => "tokio",
        }
    }

    fn from_name(name: &str) -> Backend {
        Backend::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .unwrap_or_else(|| panic!("unknown backend {name}"))
    }
}

/// Raises the soft fd limit to the hard one.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit with a pointer to a local.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

/// `VmRSS` of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Counts reads polled once, and prints `ready <armed receives>` when all `count` have been.
fn report_when_ready(polled: Arc<AtomicUsize>, count: usize, arms: impl Fn() -> u64) {
    while polled.load(Relaxed) < count {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the last reads finish arming (a receive is armed inside the first poll; the
    // metrics are read after).
    std::thread::sleep(Duration::from_millis(200));
    println!("ready {}", arms());
    std::io::stdout().flush().unwrap();
}

/// The read every connection's task makes: polled once (counted), then pending for good.
async fn idle_read<R: std::future::Future<Output = std::io::Result<usize>>>(
    read: R,
    polled: &AtomicUsize,
) {
    let mut read = std::pin::pin!(read);
    let mut counted = false;
    let res = std::future::poll_fn(|cx| {
        let res = read.as_mut().poll(cx);
        if !counted {
            counted = true;
            polled.fetch_add(1, Relaxed);
        }
        res
    })
    .await;
    // The client closes at the end of the run.
    let _ = res;
}

/// The server: prints `listening ADDR`, accepts `count` connections, prints `ready`, and
/// exits when its stdin closes.
fn serve(backend: Backend, count: usize, workers: usize) {
    raise_fd_limit();
    let polled = Arc::new(AtomicUsize::new(0));
    // Exit when the parent closes stdin.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_line(&mut String::new());
        std::process::exit(0);
    });
    match backend {
        Backend::TandemUring | Backend::TandemEpoll => {
            let rt = tandem::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .net_io_uring(matches!(backend, Backend::TandemUring))
                // Every connection on the rings (by default, 2,048 per worker ring are): the
                // cost measured is io_uring's.
                .net_io_uring_streams(usize::MAX / 64)
                .build()
                .unwrap();
            let listener = rt
                .block_on(tandem::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            println!("listening {}", listener.local_addr().unwrap());
            std::io::stdout().flush().unwrap();
            let p = polled.clone();
            rt.spawn(async move {
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let p = p.clone();
                    tandem::spawn(async move {
                        let mut buf = [0u8; 64];
                        idle_read(tandem::io::AsyncReadExt::read(&mut stream, &mut buf), &p).await;
                    });
                }
            });
            let handle = rt.handle().clone();
            report_when_ready(polled, count, || {
                handle.metrics().io_uring().total().recv_arms
            });
            loop {
                std::thread::park();
            }
        }
        Backend::Tokio => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .unwrap();
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            println!("listening {}", listener.local_addr().unwrap());
            std::io::stdout().flush().unwrap();
            let p = polled.clone();
            rt.spawn(async move {
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let p = p.clone();
                    tokio::spawn(async move {
                        let mut buf = [0u8; 64];
                        idle_read(tokio::io::AsyncReadExt::read(&mut stream, &mut buf), &p).await;
                    });
                }
            });
            report_when_ready(polled, count, || 0);
            loop {
                std::thread::park();
            }
        }
    }
}

struct Figures {
    before_kib: u64,
    after_kib: u64,
    arms: u64,
}

/// One server process: connects `count` clients to it and measures.
fn measure(backend: Backend, count: usize, workers: usize) -> Figures {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "serve",
            backend.name(),
            &count.to_string(),
            &workers.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_line = || lines.next().expect("the server ended early").unwrap();
    let first = next_line();
    let addr = first.strip_prefix("listening ").expect("listening ADDR");
    // The runtime and its listener are up; let its threads settle.
    std::thread::sleep(Duration::from_millis(300));
    let before_kib = rss_kib(pid);
    let start = Instant::now();
    let clients: Vec<_> = (0..count)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let ready = next_line();
    let arms: u64 = ready
        .strip_prefix("ready ")
        .expect("ready ARMS")
        .parse()
        .unwrap();
    let connected = start.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let after_kib = rss_kib(pid);
    eprintln!(
        "  {}: {count} connections accepted and reading in {connected:.1?}",
        backend.name()
    );
    drop(child.stdin.take());
    child.wait().unwrap();
    drop(clients);
    Figures {
        before_kib,
        after_kib,
        arms,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        serve(
            Backend::from_name(&args[1]),
            args[2].parse().unwrap(),
            args[3].parse().unwrap(),
        );
        return;
    }
    let count: usize = args
        .first()
        .map_or(9_900, |a| a.parse().expect("CONNECTIONS"));
    let workers: usize = args.get(1).map_or(2, |a| a.parse().expect("WORKERS"));
    let rounds: usize = args.get(2).map_or(2, |a| a.parse().expect("ROUNDS"));
    raise_fd_limit();
    println!(
        "{count} idle connections, {workers} workers, a task per connection reading into 64 bytes"
    );
    for round in 1..=rounds {
        for backend in Backend::ALL {
            let f = measure(backend, count, workers);
            println!(
                "round {round}/{rounds} {:13} RSS {:>7} KiB -> {:>7} KiB: {:5.2} KiB per connection{}",
                backend.name(),
                f.before_kib,
                f.after_kib,
                (f.after_kib as f64 - f.before_kib as f64) / count as f64,
                if matches!(backend, Backend::TandemUring) {
                    format!(" ({} receives armed)", f.arms)
                } else {
                    String::new()
                },
            );
        }
    }
}
