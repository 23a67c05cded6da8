//! What io_uring could save a network server on this machine, before Tandem's networking is
//! built on it (issue 14): one server thread answers a fixed response to each request on `C`
//! loopback connections kept busy by closed-loop clients, over
//!
//! - `epoll`: level-triggered `epoll_wait`, then one `read` and one `write` per request (the
//!   fewest syscalls an epoll server can make: Tandem and Tokio make the same two per request);
//! - `uring`: a multishot receive per connection into a provided-buffer ring, each response a
//!   send entry, all submitted in one `io_uring_enter` per loop that also waits;
//! - `uring+coop`: the same with `IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG`;
//! - `uring+defer`: the same with `IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN`.
//!
//! Backends alternate within each round. The figure that matters is the server thread's CPU per
//! response (`CLOCK_THREAD_CPUTIME_ID`): the clients share the two CPUs and bound the rate.
//! Results and what they mean for the design: `docs/URING-NET.md`.
//!
//! ```text
//! cargo run --release -p tandem-bench --example uring_net_probe -- [CONNECTIONS] [SECONDS] [ROUNDS]
//! ```

use io_uring::types::BufRingEntry;
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering::Relaxed, Ordering::Release};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
/// Client threads (the load generator's share of the two CPUs).
const CLIENT_THREADS: usize = 3;
/// The provided-buffer group, its buffer count (a power of two) and each buffer's size.
const GROUP: u16 = 7;
const BUFFERS: u16 = 4096;
const BUFFER_LEN: usize = 2048;
/// `user_data` bit of send entries (receives carry the connection index).
const SEND_TAG: u64 = 1 << 40;

#[derive(Clone, Copy, Debug)]
enum Backend {
    Epoll,
    Uring(Setup),
}

#[derive(Clone, Copy, Debug)]
enum Setup {
    Plain,
    CoopTaskrun,
    DeferTaskrun,
}

impl Backend {
    const ALL: [Backend; 4] = [
        Backend::Epoll,
        Backend::Uring(Setup::Plain),
        Backend::Uring(Setup::CoopTaskrun),
        Backend::Uring(Setup::DeferTaskrun),
    ];

    fn name(self) -> &'static str {
        match self {
            Backend::Epoll => "epoll",
            Backend::Uring(Setup::Plain) => "uring",
            Backend::Uring(Setup::CoopTaskrun) => "uring+coop",
            Backend::Uring(Setup::DeferTaskrun) => "uring+defer",
        }
    }
}

/// What one run's server thread did.
struct Served {
    responses: u64,
    syscalls: u64,
    cpu: Duration,
    wall: Duration,
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `conns` connected pairs: the server ends (non-blocking raw fds) and the client ends.
fn connect(conns: usize) -> (Vec<RawFd>, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let mut servers = Vec::with_capacity(conns);
    let mut clients = Vec::with_capacity(conns);
    for _ in 0..conns {
        let client = TcpStream::connect(addr).expect("connect");
        client.set_nodelay(true).expect("nodelay");
        let (server, _) = listener.accept().expect("accept");
        server.set_nodelay(true).expect("nodelay");
        server.set_nonblocking(true).expect("nonblocking");
        servers.push(server.into_raw_fd());
        clients.push(client);
    }
    (servers, clients)
}

/// Closed-loop clients: each connection sends a request, waits for the response, repeats.
fn start_clients(streams: Vec<TcpStream>, stop: &Arc<AtomicBool>) -> Vec<JoinHandle<()>> {
    let mut shares: Vec<Vec<TcpStream>> = (0..CLIENT_THREADS).map(|_| Vec::new()).collect();
    for (i, stream) in streams.into_iter().enumerate() {
        shares[i % CLIENT_THREADS].push(stream);
    }
    shares
        .into_iter()
        .map(|mut share| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let epoll = Epoll::new();
                for (i, stream) in share.iter_mut().enumerate() {
                    stream.set_nonblocking(true).expect("nonblocking");
                    epoll.add(stream.as_raw_fd(), i as u64);
                    stream.write_all(REQUEST).expect("first request");
                }
                let mut events = Vec::with_capacity(256);
                let mut buf = [0u8; 4096];
                while !stop.load(Relaxed) {
                    epoll.wait(&mut events, 256, 50);
                    for &token in &events {
                        let stream = &mut share[token as usize];
                        if matches!(stream.read(&mut buf), Ok(n) if n > 0) {
                            // A full socket buffer cannot happen: one request in flight.
                            let _ = stream.write(REQUEST);
                        }
                    }
                }
            })
        })
        .collect()
}

/// A level-triggered epoll instance, closed on drop.
struct Epoll(RawFd);

impl Epoll {
    fn new() -> Epoll {
        // SAFETY: no pointer arguments.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1");
        Epoll(fd)
    }

    fn add(&self, fd: RawFd, token: u64) {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: token,
        };
        // SAFETY: `event` is valid for the call; the kernel copies it.
        let rc = unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_ADD, fd, &mut event) };
        assert_eq!(rc, 0, "epoll_ctl");
    }

    /// Replaces `tokens` with the tokens of up to `max` ready fds.
    fn wait(&self, tokens: &mut Vec<u64>, max: usize, timeout_ms: i32) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; max];
        // SAFETY: `events` has room for `max` entries.
        let n = unsafe { libc::epoll_wait(self.0, events.as_mut_ptr(), max as i32, timeout_ms) };
        tokens.clear();
        tokens.extend(events[..n.max(0) as usize].iter().map(|e| e.u64));
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}

fn serve_epoll(fds: &[RawFd], stop: &AtomicBool) -> (u64, u64) {
    let epoll = Epoll::new();
    for (i, &fd) in fds.iter().enumerate() {
        epoll.add(fd, i as u64);
    }
    let mut tokens = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    let (mut responses, mut syscalls) = (0, 0);
    while !stop.load(Relaxed) {
        epoll.wait(&mut tokens, 1024, 10);
        syscalls += 1;
        for &token in &tokens {
            let fd = fds[token as usize];
            // SAFETY: `buf` is valid for writes of its length.
            let read = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            syscalls += 1;
            if read > 0 {
                // SAFETY: `RESPONSE` is valid for reads of its length.
                unsafe { libc::write(fd, RESPONSE.as_ptr().cast(), RESPONSE.len()) };
                syscalls += 1;
                responses += 1;
            }
        }
    }
    (responses, syscalls)
}

/// A provided-buffer ring: the entries the kernel takes buffers from (mmap'd, page-aligned),
/// and the buffers. Only the server thread touches it.
struct BufRing {
    entries: *mut BufRingEntry,
    buffers: Vec<u8>,
    tail: u16,
}

impl BufRing {
    fn register(ring: &IoUring) -> BufRing {
        let bytes = BUFFERS as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping; no pointer argument is dereferenced.
        let mem = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(mem, libc::MAP_FAILED, "mmap of the buffer ring");
        let mut bufs = BufRing {
            entries: mem.cast(),
            buffers: vec![0; BUFFERS as usize * BUFFER_LEN],
            tail: 0,
        };
        // SAFETY: the mapping is page-aligned, holds `BUFFERS` entries and outlives the ring
        // (dropped after it: see `serve_uring`).
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(mem as u64, BUFFERS, GROUP, 0)
                .expect("IORING_REGISTER_PBUF_RING");
        }
        for bid in 0..BUFFERS {
            bufs.give(bid);
        }
        bufs.publish();
        bufs
    }

    /// Hands buffer `bid` back to the kernel (visible at the next `publish`).
    fn give(&mut self, bid: u16) {
        let slot = (self.tail & (BUFFERS - 1)) as usize;
        // SAFETY: `slot < BUFFERS`, inside the mapping; the kernel reads entries only up to the
        // published tail, and this one is past it until `publish`.
        let entry = unsafe { &mut *self.entries.add(slot) };
        let offset = bid as usize * BUFFER_LEN;
        entry.set_addr(self.buffers[offset..].as_mut_ptr() as u64);
        entry.set_len(BUFFER_LEN as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    fn publish(&self) {
        // SAFETY: the tail field lives in the mapping's first entry, which the kernel reads
        // with acquire semantics; an atomic store of it is how liburing publishes too.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries) as *const AtomicU16) };
        tail.store(self.tail, Release);
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        let bytes = BUFFERS as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: the mapping made in `register`; the ring that used it is gone.
        unsafe { libc::munmap(self.entries.cast(), bytes) };
    }
}

fn push(ring: &mut IoUring, entry: &squeue::Entry, syscalls: &mut u64) {
    // SAFETY: receive entries point at no memory (buffers come from the group); send entries
    // point at `RESPONSE`, a static.
    while unsafe { ring.submission().push(entry) }.is_err() {
        ring.submit().expect("io_uring_enter");
        *syscalls += 1;
    }
}

fn serve_uring(fds: &[RawFd], stop: &AtomicBool, setup: Setup) -> (u64, u64) {
    let mut builder = IoUring::builder();
    builder.setup_cqsize(16_384);
    match setup {
        Setup::Plain => {}
        Setup::CoopTaskrun => {
            builder.setup_coop_taskrun().setup_taskrun_flag();
        }
        Setup::DeferTaskrun => {
            builder.setup_single_issuer().setup_defer_taskrun();
        }
    }
    let mut ring = builder.build(4096).expect("io_uring_setup");
    let mut bufs = BufRing::register(&ring);
    let (mut responses, mut syscalls) = (0, 0);
    let receive = |i: usize| {
        opcode::RecvMulti::new(types::Fd(fds[i]), GROUP)
            .build()
            .user_data(i as u64)
    };
    for i in 0..fds.len() {
        push(&mut ring, &receive(i), &mut syscalls);
    }
    let timeout = types::Timespec::new().nsec(10_000_000);
    let args = types::SubmitArgs::new().timespec(&timeout);
    let (mut answer, mut rearm) = (Vec::new(), Vec::new());
    while !stop.load(Relaxed) {
        match ring.submitter().submit_with_args(1, &args) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ETIME | libc::EINTR | libc::EBUSY)
                ) => {}
            Err(e) => panic!("io_uring_enter: {e}"),
        }
        syscalls += 1;
        for cqe in ring.completion() {
            if cqe.user_data() & SEND_TAG != 0 {
                continue;
            }
            let conn = cqe.user_data() as usize;
            if cqe.result() > 0 {
                let bid = cqueue::buffer_select(cqe.flags()).expect("a receive names its buffer");
                bufs.give(bid);
                answer.push(conn);
                responses += 1;
            }
            if !cqueue::more(cqe.flags()) {
                // Ended (no buffer left, or an error): arm it again.
                rearm.push(conn);
            }
        }
        bufs.publish();
        for conn in answer.drain(..) {
            let send = opcode::Send::new(
                types::Fd(fds[conn]),
                RESPONSE.as_ptr(),
                RESPONSE.len() as u32,
            )
            .build()
            .user_data(SEND_TAG | conn as u64);
            push(&mut ring, &send, &mut syscalls);
        }
        for conn in rearm.drain(..) {
            push(&mut ring, &receive(conn), &mut syscalls);
        }
    }
    // The ring (and the kernel's use of the buffer ring) goes first.
    drop(ring);
    drop(bufs);
    (responses, syscalls)
}

fn run(backend: Backend, conns: usize, length: Duration) -> Served {
    let (fds, clients) = connect(conns);
    let stop_clients = Arc::new(AtomicBool::new(false));
    let stop_server = Arc::new(AtomicBool::new(false));
    let server = {
        let fds = fds.clone();
        let stop = stop_server.clone();
        std::thread::spawn(move || {
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            let (responses, syscalls) = match backend {
                Backend::Epoll => serve_epoll(&fds, &stop),
                Backend::Uring(setup) => serve_uring(&fds, &stop, setup),
            };
            Served {
                responses,
                syscalls,
                cpu: thread_cpu_time() - cpu,
                wall: wall.elapsed(),
            }
        })
    };
    let load = start_clients(clients, &stop_clients);
    std::thread::sleep(length);
    stop_server.store(true, Relaxed);
    let served = server.join().expect("server thread");
    stop_clients.store(true, Relaxed);
    for client in load {
        client.join().expect("client thread");
    }
    for fd in fds {
        // SAFETY: the server ends are ours, and no ring or epoll uses them any more.
        unsafe { libc::close(fd) };
    }
    served
}

fn main() {
    let mut args = std::env::args().skip(1);
    let conns: usize = args
        .next()
        .map_or(1000, |a| a.parse().expect("CONNECTIONS"));
    let seconds: f64 = args.next().map_or(2.0, |a| a.parse().expect("SECONDS"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("ROUNDS"));
    let total = AtomicU64::new(0);
    for round in 1..=rounds {
        for backend in Backend::ALL {
            let s = run(backend, conns, Duration::from_secs_f64(seconds));
            total.fetch_add(s.responses, Relaxed);
            let per = |x: f64| x / s.responses.max(1) as f64;
            println!(
                "round {round}/{rounds} {:12} {conns} connections: {:>7.0} responses/s, server CPU {:.2} µs/response, {:.3} syscalls/response, server busy {:.0}%",
                backend.name(),
                s.responses as f64 / s.wall.as_secs_f64(),
                per(s.cpu.as_secs_f64() * 1e6),
                per(s.syscalls as f64),
                100.0 * s.cpu.as_secs_f64() / s.wall.as_secs_f64(),
            );
        }
    }
    assert!(total.load(Relaxed) > 0, "no response was served");
}
