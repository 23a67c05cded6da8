//! The load generator: `wrk`, rebuilt on plain threads and mio, independent of both runtimes
//! under test.
//!
//! Like `wrk -tT -cC -dD`, it spreads `C` keep-alive connections over `T` threads, each thread
//! an epoll loop of its own. Every connection runs a closed loop: it sends
//! `GET / HTTP/1.1` and sends the next one as soon as the response is complete (no
//! pipelining), and the time from writing a request to completing its response goes into an
//! HDR histogram (microseconds, 3 significant digits). After `D` every thread stops where it
//! is; responses complete by then are counted, requests still in flight are not.
//!
//! Errors are counted as `wrk` counts them, plus one count `wrk` does not have:
//! - `connect`: the connection could not be established (refused, or not established within
//!   the timeout); the connection retries after [`CONNECT_RETRY`], where `wrk` retries at once
//!   and burns the CPU it shares with the server;
//! - `read` / `write`: the socket failed, or the server closed it with a request in flight,
//!   or sent something that is not a response we can frame; the connection reconnects at once;
//! - `timeout`: no complete response within the timeout (2 s by default, as in `wrk`). Unlike
//!   `wrk`, which keeps waiting, the connection is closed and reconnected, which bounds how
//!   long a stuck server can hold it;
//! - `non-2xx`: a complete response with a status outside 200-299;
//! - `never answered`: connections that did not get a single response during the run, over
//!   all their reconnections. `wrk` has no such count, which hides a server that never
//!   accepts most of its connections (they only show up as timeouts, if at all).
//!
//! Each thread stops at the deadline whatever its connections are doing, so a run takes `D`
//! plus the time to close the sockets, however badly the server behaves.

mod conn;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::{Events, Poll};

use conn::{Conn, Shared};

/// How long a connection waits after a failed connect before it tries again.
pub const CONNECT_RETRY: Duration = Duration::from_millis(10);

/// How often each thread checks its connections for timeouts and publishes its progress.
const SCAN_INTERVAL: Duration = Duration::from_millis(10);

/// How often [`run`] calls its progress callback.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Largest latency the histogram holds, in microseconds; longer ones are recorded as this.
const MAX_LATENCY_US: u64 = 60_000_000;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct Load {
    /// The server.
    pub addr: SocketAddr,
    /// Threads (`wrk -t`); more than `connections` is the same as `connections`.
    pub threads: usize,
    /// Connections in all (`wrk -c`).
    pub connections: usize,
    /// How long to load (`wrk -d`).
    pub duration: Duration,
    /// How long a request may wait for its response, and a connect for its handshake.
    pub timeout: Duration,
}

/// Error counts of a run; see the module documentation for what each counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Errors {
    /// Failed or timed-out connects.
    pub connect: u64,
    /// Failed reads, early closes, and responses that cannot be framed.
    pub read: u64,
    /// Failed writes.
    pub write: u64,
    /// Requests without a response within the timeout.
    pub timeout: u64,
    /// Responses with a status outside 200-299.
    pub status: u64,
    /// Connections that got no response at all.
    pub never_answered: u64,
}

impl Errors {
    /// All errors together.
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.status + self.never_answered
    }

    fn add(&mut self, other: &Errors) {
        self.connect += other.connect;
        self.read += other.read;
        self.write += other.write;
        self.timeout += other.timeout;
        self.status += other.status;
        self.never_answered += other.never_answered;
    }
}

/// The result of a run.
pub struct Outcome {
    /// How long the threads loaded the server: from the word to go to the last one stopping.
    pub elapsed: Duration,
    /// Complete responses, whatever their status.
    pub responses: u64,
    /// Latency of every complete response, in microseconds.
    pub latency: Histogram<u64>,
    /// Errors.
    pub errors: Errors,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The histogram's own `Debug` prints every bucket.
        f.debug_struct("Outcome")
            .field("elapsed", &self.elapsed)
            .field("responses", &self.responses)
            .field("p50_us", &self.latency.value_at_quantile(0.5))
            .field("p99_us", &self.latency.value_at_quantile(0.99))
            .field("max_us", &self.latency.max())
            .field("errors", &self.errors)
            .finish()
    }
}

impl Outcome {
    /// Responses per second.
    pub fn rate(&self) -> f64 {
        self.responses as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// What one thread measured.
struct ThreadOutcome {
    /// When it stopped loading.
    stopped: Instant,
    responses: u64,
    latency: Histogram<u64>,
    errors: Errors,
}

/// Loads `load.addr` as described in the module documentation. Every
/// [`PROGRESS_INTERVAL`] until the end, calls `progress` with the time elapsed and the
/// responses so far.
pub fn run(load: &Load, mut progress: impl FnMut(Duration, u64)) -> io::Result<Outcome> {
    let threads = load.threads.clamp(1, load.connections.max(1));
    let request: Arc<[u8]> = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", load.addr)
        .into_bytes()
        .into();
    let counters: Arc<[AtomicU64]> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    // Every thread builds its poller, then waits for the word to go, which is the deadline
    // they all stop at. A thread whose sender is dropped unsent gives up.
    let mut go = Vec::with_capacity(threads);
    let mut handles = Vec::with_capacity(threads);
    for index in 0..threads {
        let connections =
            load.connections / threads + usize::from(index < load.connections % threads);
        let shared = Shared {
            addr: load.addr,
            request: Arc::clone(&request),
            timeout: load.timeout,
        };
        let counters = Arc::clone(&counters);
        let (send_go, wait_go) = mpsc::channel::<Instant>();
        let spawned = std::thread::Builder::new()
            .name(format!("loadgen-{index}"))
            .spawn(move || {
                let poll = Poll::new()?;
                let deadline = wait_go
                    .recv()
                    .map_err(|_| io::Error::other("load generator cancelled"))?;
                Thread::new(poll, shared, connections).run(deadline, &counters[index])
            });
        // On failure, returning drops `go`: the threads already spawned give up.
        handles.push(spawned?);
        go.push(send_go);
    }
    let began = Instant::now();
    for send_go in go {
        // A thread that has gone already (its poller failed) reports that when joined.
        let _ = send_go.send(began + load.duration);
    }
    loop {
        let elapsed = began.elapsed();
        if elapsed >= load.duration {
            break;
        }
        std::thread::sleep(PROGRESS_INTERVAL.min(load.duration - elapsed));
        let so_far = counters.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        progress(began.elapsed().min(load.duration), so_far);
    }

    let mut outcome = Outcome {
        elapsed: Duration::ZERO,
        responses: 0,
        latency: new_histogram(),
        errors: Errors::default(),
    };
    for handle in handles {
        let thread = handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        outcome.elapsed = outcome.elapsed.max(thread.stopped - began);
        outcome.responses += thread.responses;
        outcome
            .latency
            .add(&thread.latency)
            .expect("histograms with the same bounds add");
        outcome.errors.add(&thread.errors);
    }
    Ok(outcome)
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds")
}

/// The counters one thread keeps for all its connections.
struct Stats {
    responses: u64,
    latency: Histogram<u64>,
    errors: Errors,
}

impl Stats {
    fn record(&mut self, latency: Duration, status: u16) {
        self.responses += 1;
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(us.max(1));
        if !(200..300).contains(&status) {
            self.errors.status += 1;
        }
    }
}

/// One load generator thread: an epoll loop over its connections.
struct Thread {
    poll: Poll,
    conns: Vec<Conn>,
    shared: Shared,
    stats: Stats,
}

impl Thread {
    fn new(poll: Poll, shared: Shared, connections: usize) -> Thread {
        Thread {
            poll,
            conns: (0..connections).map(|_| Conn::new()).collect(),
            shared,
            stats: Stats {
                responses: 0,
                latency: new_histogram(),
                errors: Errors::default(),
            },
        }
    }

    fn run(mut self, deadline: Instant, progress: &AtomicU64) -> io::Result<ThreadOutcome> {
        let began = Instant::now();
        let mut events = Events::with_capacity(1024);
        for (token, conn) in self.conns.iter_mut().enumerate() {
            conn.connect(
                token,
                self.poll.registry(),
                &self.shared,
                &mut self.stats,
                began,
            );
        }
        let mut next_scan = began + SCAN_INTERVAL;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if now >= next_scan {
                for (token, conn) in self.conns.iter_mut().enumerate() {
                    let registry = self.poll.registry();
                    conn.check_time(token, registry, &self.shared, &mut self.stats, now);
                }
                // Relaxed: a progress display, nothing is ordered after it.
                progress.store(self.stats.responses, Ordering::Relaxed);
                next_scan = now + SCAN_INTERVAL;
            }
            let wait = next_scan.min(deadline) - now;
            match self.poll.poll(&mut events, Some(wait)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let registry = self.poll.registry();
            for event in events.iter() {
                let token = event.token().0;
                self.conns[token].on_event(event, token, registry, &self.shared, &mut self.stats);
            }
        }
        let stopped = Instant::now();
        let never_answered = self.conns.iter().filter(|c| !c.ever_answered()).count();
        self.stats.errors.never_answered = never_answered as u64;
        // The connections close as `self` drops, after the deadline: whatever is in flight
        // then is not counted.
        Ok(ThreadOutcome {
            stopped,
            responses: self.stats.responses,
            latency: self.stats.latency,
            errors: self.stats.errors,
        })
    }
}

#[cfg(test)]
mod tests;
