//! With TCP over io_uring (`Builder::net_io_uring(true)`), listeners accept through a multishot
//! accept on the ring of the worker that polls `accept` (`docs/URING-NET.md`, decision 8):
//!
//! - many connections, each accepted exactly once (each client sends its id), on the
//!   current-thread runtime and on 1, 2 and 8 workers; the rings' counters show the accepts
//!   went through them (`accepts` equals the connections taken);
//! - `accept` futures dropped at random points (after one poll, racing a timer, on their
//!   task, on another task, on a plain thread) lose no connection;
//! - `block_on` on a multi-thread runtime (not a worker) accepts through epoll, arming
//!   nothing; `into_std` with an accept armed gives a listener that still accepts;
//! - out of descriptors (`EMFILE`, in a child process with a low `RLIMIT_NOFILE`), the error
//!   reaches `accept`, and once descriptors free up the next accept re-arms and takes every
//!   connection queued.
//!
//! The fd-count checks (a listener dropped with connections queued, the cap) are in
//! `net_uring_accept_fd_count.rs`, alone in their binary.

mod support;
// Only its `Rng` is used here.
#[allow(dead_code)]
#[path = "support/net_stream.rs"]
mod net_stream;

use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use net_stream::Rng;
use support::{assert_child_ok, child_role, flavors, run_child, Flavor};
use tandem::io::AsyncReadExt;
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::Runtime;

/// How long any one phase may take before the test calls it a hang.
const PHASE_LIMIT: Duration = Duration::from_secs(60);

/// The sum of every ring's multishot accept counters: (arms, connections delivered).
fn accept_counters(rt: &Runtime) -> (u64, u64) {
    let total = rt.handle().metrics().io_uring().total();
    (total.accept_arms, total.accepts)
}

/// Reads the 4-byte id a client sent first.
async fn read_id(stream: &mut TcpStream) -> u32 {
    let mut id = [0; 4];
    stream.read_exact(&mut id).await.unwrap();
    u32::from_le_bytes(id)
}

/// Connects `n` blocking clients from a plain thread, each sending its id (4 bytes, from
/// `first`); returns them when all connected (kept open until the caller drops them).
fn connect_clients(
    addr: std::net::SocketAddr,
    first: u32,
    n: u32,
) -> std::thread::JoinHandle<Vec<std::net::TcpStream>> {
    std::thread::spawn(move || {
        (first..first + n)
            .map(|id| {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(&id.to_le_bytes()).unwrap();
                c
            })
            .collect()
    })
}

/// 1,000 connections (500 from a plain thread's blocking clients, 500 from tasks), each
/// accepted once, with its id read: on every flavour. Every connection was delivered by a
/// multishot accept (the rings' `accepts` counter), so the ring path, not epoll, served them.
#[test]
fn many_connections_each_accepted_once_on_every_flavour() {
    const FROM_THREAD: u32 = 500;
    const FROM_TASKS: u32 = 500;
    for flavor in flavors() {
        let Some(rt) = support::net_uring_runtime(flavor) else {
            return;
        };
        let ids = rt.block_on(async {
            tandem::spawn(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let thread = connect_clients(addr, 0, FROM_THREAD);
                let mut clients = Vec::new();
                for id in FROM_THREAD..FROM_THREAD + FROM_TASKS {
                    clients.push(tandem::spawn(async move {
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        tandem::io::AsyncWriteExt::write_all(&mut c, &id.to_le_bytes())
                            .await
                            .unwrap();
                        c
                    }));
                }
                let mut readers = Vec::new();
                for _ in 0..FROM_THREAD + FROM_TASKS {
                    let (mut stream, peer) = tandem::time::timeout(PHASE_LIMIT, listener.accept())
                        .await
                        .expect("an accept hung")
                        .unwrap();
                    assert!(peer.ip().is_loopback(), "{peer}");
                    assert_eq!(stream.peer_addr().unwrap(), peer);
                    readers.push(tandem::spawn(async move { read_id(&mut stream).await }));
                }
                let mut ids = Vec::new();
                for reader in readers {
                    ids.push(reader.await.unwrap());
                }
                let mut kept = Vec::new();
                for c in clients {
                    kept.push(c.await.unwrap());
                }
                drop(thread.join().unwrap());
                ids
            })
            .await
            .unwrap()
        });
        let unique: HashSet<u32> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "[{}] an id twice", flavor.name);
        assert_eq!(
            unique,
            (0..FROM_THREAD + FROM_TASKS).collect(),
            "[{}] ids",
            flavor.name
        );
        let (arms, accepts) = accept_counters(&rt);
        assert!(arms >= 1, "[{}] no multishot accept armed", flavor.name);
        assert_eq!(
            accepts,
            u64::from(FROM_THREAD + FROM_TASKS),
            "[{}] connections not delivered by the ring",
            flavor.name
        );
    }
}

/// An `accept` future that ends where the test says: polled `polls` times at most, then, if
/// still pending, dropped by `how`.
#[derive(Clone, Copy, Debug)]
enum DropAt {
    /// Polled to completion.
    Completes,
    /// Polled once (by hand, with a no-op waker), then dropped on its task.
    OnceHere,
    /// Polled once, then sent to another task that drops it.
    OnceOtherTask,
    /// Polled once, then dropped on a plain thread.
    OncePlainThread,
    /// Raced against a short timer in `select!`.
    Timer,
}

/// A `'static` accept future, boxed.
type AcceptFuture =
    Pin<Box<dyn Future<Output = std::io::Result<(TcpStream, std::net::SocketAddr)>> + Send>>;

/// `accept()` on an `Arc`'d listener, as a `'static` future another thread can drop.
fn accept_owned(listener: &Arc<TcpListener>) -> AcceptFuture {
    let listener = listener.clone();
    Box::pin(async move { listener.accept().await })
}

/// 600 connections from a plain thread, accepted by futures dropped at random points (on
/// their task, on another task, on a plain thread, after one poll or racing a timer) between
/// ones polled to completion: every id arrives exactly once, on every flavour. A connection
/// a dropped future had been delivered (into the request's queue) must wait for the next.
#[test]
fn dropped_accept_futures_lose_no_connection() {
    const CLIENTS: u32 = 600;
    for flavor in flavors() {
        let Some(rt) = support::net_uring_runtime(flavor) else {
            return;
        };
        let seed = 0x5eed ^ flavor.worker_count() as u64;
        let (ids, dropped) = rt.block_on(async move {
            tandem::spawn(async move {
                let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
                let addr = listener.local_addr().unwrap();
                let (drop_tx, mut drop_rx) =
                    tandem::sync::mpsc::unbounded_channel::<AcceptFuture>();
                let dropper = tandem::spawn(async move {
                    while let Some(fut) = drop_rx.recv().await {
                        drop(fut);
                    }
                });
                let clients = connect_clients(addr, 0, CLIENTS);
                let mut rng = Rng(seed);
                let mut readers = Vec::new();
                let mut dropped = 0u32;
                let deadline = tandem::time::Instant::now() + PHASE_LIMIT;
                while readers.len() < CLIENTS as usize {
                    assert!(
                        tandem::time::Instant::now() < deadline,
                        "accepted only {} of {CLIENTS}",
                        readers.len()
                    );
                    let how = match rng.below(5) {
                        0 => DropAt::Completes,
                        1 => DropAt::OnceHere,
                        2 => DropAt::OnceOtherTask,
                        3 => DropAt::OncePlainThread,
                        _ => DropAt::Timer,
                    };
                    let accepted = match how {
                        DropAt::Completes => Some(accept_owned(&listener).await),
                        DropAt::Timer => {
                            let wait = Duration::from_micros(rng.below(300));
                            tandem::select! {
                                res = listener.accept() => Some(res),
                                _ = tandem::time::sleep(wait) => None,
                            }
                        }
                        DropAt::OnceHere | DropAt::OnceOtherTask | DropAt::OncePlainThread => {
                            let mut fut = accept_owned(&listener);
                            let mut cx = Context::from_waker(std::task::Waker::noop());
                            match fut.as_mut().poll(&mut cx) {
                                Poll::Ready(res) => Some(res),
                                Poll::Pending => {
                                    match how {
                                        DropAt::OnceHere => drop(fut),
                                        DropAt::OnceOtherTask => drop_tx.send(fut).unwrap(),
                                        _ => std::thread::spawn(move || drop(fut)).join().unwrap(),
                                    }
                                    None
                                }
                            }
                        }
                    };
                    match accepted {
                        Some(res) => {
                            let (mut stream, _) = res.unwrap();
                            readers.push(tandem::spawn(async move { read_id(&mut stream).await }));
                        }
                        None => {
                            dropped += 1;
                            // Let the connections come (and the other task drop its futures).
                            tandem::task::yield_now().await;
                        }
                    }
                }
                let mut ids = Vec::new();
                for reader in readers {
                    ids.push(reader.await.unwrap());
                }
                drop(drop_tx);
                dropper.await.unwrap();
                drop(clients.join().unwrap());
                (ids, dropped)
            })
            .await
            .unwrap()
        });
        let unique: HashSet<u32> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "[{}] an id twice", flavor.name);
        assert_eq!(unique, (0..CLIENTS).collect(), "[{}] ids", flavor.name);
        assert!(dropped > 0, "[{}] no accept was dropped", flavor.name);
        let (_, accepts) = accept_counters(&rt);
        assert_eq!(
            accepts,
            u64::from(CLIENTS),
            "[{}] connections not delivered by the ring",
            flavor.name
        );
    }
}

/// `block_on` on a multi-thread runtime does not run on a worker: its accepts go through
/// epoll, as without the switch, and arm nothing. A spawned task's accept then arms; a
/// listener converted with `into_std` while its accept is armed still accepts (blocking).
#[test]
fn accept_off_the_workers_uses_epoll_and_into_std_keeps_listening() {
    let Some(rt) = support::net_uring_runtime(Flavor::MULTI_2) else {
        return;
    };
    let listener = Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let addr = listener.local_addr().unwrap();
    let clients = connect_clients(addr, 7, 1);
    let (mut stream, _) = rt.block_on(listener.accept()).unwrap();
    assert_eq!(rt.block_on(read_id(&mut stream)), 7);
    // `poll_accept` too.
    let clients2 = connect_clients(addr, 8, 1);
    let (mut stream2, _) = rt.block_on(poll_fn(|cx| listener.poll_accept(cx))).unwrap();
    assert_eq!(rt.block_on(read_id(&mut stream2)), 8);
    assert_eq!(accept_counters(&rt), (0, 0), "block_on armed an accept");

    // A worker arms; the connection it takes comes from the ring.
    let l = listener.clone();
    let clients3 = connect_clients(addr, 9, 1);
    let id = rt.block_on(async move {
        tandem::spawn(async move { read_id(&mut l.accept().await.unwrap().0).await })
            .await
            .unwrap()
    });
    assert_eq!(id, 9);
    assert_eq!(accept_counters(&rt), (1, 1));
    // The request stays armed: `block_on` now takes from it too.
    let clients4 = connect_clients(addr, 10, 1);
    let (mut stream4, _) = rt.block_on(listener.accept()).unwrap();
    assert_eq!(rt.block_on(read_id(&mut stream4)), 10);
    assert_eq!(accept_counters(&rt), (1, 2));

    let listener = Arc::try_unwrap(listener).unwrap();
    let std_listener = rt.block_on(async move { listener.into_std() }).unwrap();
    // `into_std` issued the request's cancel, which reaches its ring at that worker's next
    // tick; a connection arriving before would be taken by the request and closed (documented
    // on `into_std`). Give the idle worker that moment (the one sleep in these tests: what it
    // checks is that the listener keeps listening after the cancel, not the window).
    std::thread::sleep(Duration::from_millis(100));
    std_listener.set_nonblocking(false).unwrap();
    let clients5 = connect_clients(addr, 11, 1);
    let (mut s, _) = std_listener.accept().unwrap();
    let mut id = [0; 4];
    std::io::Read::read_exact(&mut s, &mut id).unwrap();
    assert_eq!(u32::from_le_bytes(id), 11);
    for c in [clients, clients2, clients3, clients4, clients5] {
        drop(c.join().unwrap());
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// An accept polled off the workers, whose waker holds the listener, leaves no waker behind
/// at the runtime's shutdown: with no request armed (Tokio's `io_driver_drop.rs`,
/// `shutdown_drops_waker_holding_registration`, which leaked under the switch: the waker
/// stayed in the listener's `Waiters`), and with one armed by a worker (the ring's shutdown
/// ends the request, whose end wakes, and so empties, `Waiters`).
#[test]
fn a_waker_holding_its_listener_is_dropped_at_shutdown() {
    for armed in [false, true] {
        for flavor in flavors() {
            let Some(rt) = support::net_uring_runtime(flavor) else {
                return;
            };
            let listener = Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
            if armed {
                // A task on a worker arms the request and takes one connection from it.
                let clients = connect_clients(listener.local_addr().unwrap(), 1, 1);
                let l = listener.clone();
                let id = rt.block_on(async move {
                    tandem::spawn(async move { read_id(&mut l.accept().await.unwrap().0).await })
                        .await
                        .unwrap()
                });
                assert_eq!(id, 1);
                assert_eq!(accept_counters(&rt).0, 1, "[{}] no arm", flavor.name);
                drop(clients.join().unwrap());
            }
            // As a task holding the listener it waits on.
            let (waker, dropped) = support::holding_waker(listener.clone());
            // Polled from this thread, which is no worker.
            let poll = listener.poll_accept(&mut Context::from_waker(&waker));
            assert!(poll.is_pending(), "[{}] a connection came", flavor.name);
            drop((waker, listener));
            assert!(!dropped.load(std::sync::atomic::Ordering::SeqCst));
            drop(rt);
            assert!(
                dropped.load(std::sync::atomic::Ordering::SeqCst),
                "[{}, armed: {armed}] the runtime's shutdown left the waker holding the listener",
                flavor.name
            );
        }
    }
}

/// An accept waiting on epoll off the workers (in `block_on`) is woken when a worker arms the
/// listener's request, since connections then go to the ring and never reach epoll; it then
/// takes its connection from the ring.
#[test]
fn an_accept_waiting_on_epoll_is_woken_when_a_worker_arms() {
    let Some(rt) = support::net_uring_runtime(Flavor::MULTI_2) else {
        return;
    };
    let rt = Arc::new(rt);
    let rt_ = rt.clone();
    #[path = "support/hang_guard.rs"]
    mod hang_guard;
    hang_guard::within(PHASE_LIMIT, "the accepts", move || {
        let rt = rt_;
        let listener = Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
        let addr = listener.local_addr().unwrap();
        let (go, go_rx) = tandem::sync::oneshot::channel::<()>();
        let l = listener.clone();
        let on_worker = rt.spawn(async move {
            go_rx.await.unwrap();
            read_id(&mut l.accept().await.unwrap().0).await
        });
        let ids = rt.block_on(async {
            let mut accept = Box::pin(listener.accept());
            let counter = Arc::new(CountingWaker::default());
            let waker = std::task::Waker::from(counter.clone());
            assert!(accept
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending());
            assert_eq!(accept_counters(&rt), (0, 0), "block_on armed an accept");
            go.send(()).unwrap();
            while accept_counters(&rt).0 == 0 {
                tandem::time::sleep(Duration::from_millis(1)).await;
            }
            assert!(
                counter.0.load(std::sync::atomic::Ordering::SeqCst) > 0,
                "the accept waiting on epoll was not woken by the arm"
            );
            let clients = connect_clients(addr, 1, 2);
            let mine = read_id(&mut accept.await.unwrap().0).await;
            let theirs = on_worker.await.unwrap();
            drop(clients.join().unwrap());
            [mine.min(theirs), mine.max(theirs)]
        });
        assert_eq!(ids, [1, 2]);
        assert_eq!(accept_counters(&rt), (1, 2), "not both from the ring");
    });
}

const EMFILE_CHILD: &str = "TANDEM_TEST_URING_ACCEPT_EMFILE";
const EMFILE_TEST: &str = "out_of_fds_the_error_reaches_accept_and_the_next_re_arms";
const EMFILE_DONE: &str = "uring emfile scenario complete";
/// Connections queued while the process has no descriptor left.
const QUEUED: u32 = 6;

/// Runs in a child per flavour (current-thread, 2 workers): the process runs out of
/// descriptors, clients queue, a task accepts (arming the multishot accept); `accept` must
/// return `EMFILE` (the request's error completion), and once descriptors are freed, the next
/// accepts (re-armed: a second arm) take every client.
#[test]
fn out_of_fds_the_error_reaches_accept_and_the_next_re_arms() {
    if let Some(flavor) = child_role(EMFILE_CHILD) {
        emfile_child(&flavor);
        return;
    }
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let out = run_child(EMFILE_TEST, EMFILE_CHILD, flavor.name);
        assert_child_ok(flavor.name, &out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(EMFILE_DONE),
            "[{}] the child did not run the scenario:\n{stdout}",
            flavor.name
        );
    }
}

fn emfile_child(flavor: &str) {
    let flavor = support::flavor_named(flavor);
    let Some(rt) = support::net_uring_runtime(flavor) else {
        println!("{EMFILE_DONE} (no io_uring)");
        return;
    };
    let listener = Arc::new(rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let addr = listener.local_addr().unwrap();
    // Client sockets made now (connecting needs no new descriptor).
    let sockets: Vec<socket2::Socket> = (0..QUEUED)
        .map(|_| socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap())
        .collect();

    // No descriptor number left below the limit, before any accept is armed: the kernel reads
    // `RLIMIT_NOFILE` when a multishot accept is submitted, not at each connection.
    let placeholders = support::use_up_fds(u64::from(QUEUED) + 4);
    assert!(placeholders.len() >= QUEUED as usize + 4);
    let mut clients = Vec::new();
    for (id, s) in (0..QUEUED).zip(sockets) {
        s.connect(&addr.into()).unwrap();
        let mut s = std::net::TcpStream::from(s);
        s.write_all(&id.to_le_bytes()).unwrap();
        clients.push(s);
    }
    let l = listener.clone();
    let ids = rt.block_on(async move {
        tandem::spawn(async move {
            // The queued connections meet a process without descriptors: an error, not a
            // hang (a connection slipping through a hole some thread left is kept).
            let mut streams = Vec::new();
            let err = loop {
                match tandem::time::timeout(PHASE_LIMIT, l.accept())
                    .await
                    .expect("accept hung with no descriptor left")
                {
                    Ok((s, _)) => {
                        streams.push(s);
                        assert!(streams.len() < QUEUED as usize, "accepts kept succeeding");
                    }
                    Err(e) => break e,
                }
            };
            assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
            drop(placeholders);
            while streams.len() < QUEUED as usize {
                let (s, _) = tandem::time::timeout(PHASE_LIMIT, l.accept())
                    .await
                    .expect("a queued connection was never accepted")
                    .unwrap();
                streams.push(s);
            }
            let mut ids = Vec::new();
            for mut s in streams {
                ids.push(read_id(&mut s).await);
            }
            ids
        })
        .await
        .unwrap()
    });
    let unique: HashSet<u32> = ids.into_iter().collect();
    assert_eq!(unique, (0..QUEUED).collect());
    let (arms, accepts) = accept_counters(&rt);
    assert!(arms >= 2, "the accept after the error did not re-arm");
    assert!(accepts >= u64::from(QUEUED), "accepts not from the ring");
    drop(clients);
    println!("{EMFILE_DONE}");
}
