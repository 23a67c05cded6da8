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
//!
//! Unlike `wrk`, it does not open every connection at once when there are more than the
//! server's listen backlog: see [`window`], which keeps the accept queue from overflowing.
//!
//! Besides the run's histogram, it records:
//! - a histogram and an error count per second of the run ([`timeline`]), to see the latency
//!   over time;
//! - when each connection got its first response: the spread between the first connection
//!   served and the last ([`FirstServed`]) says whether the server lets every connection in,
//!   and how soon.
//!
//! | file | what |
//! |---|---|
//! | `window.rs` | the connect window: connections opening at once, and those waiting |
//! | `timeline.rs` | the per-second histograms and their summary |
//! | `conn.rs` | one connection's state machine |
//! | `mod.rs` | the threads, their counters, and the outcome of a run |

mod conn;
mod timeline;
mod window;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::{Events, Poll};

use conn::{Conn, Shared};
pub use timeline::{Second, Timeline};
use window::Window;

/// How long a connection waits after a failed connect before it tries again.
pub const CONNECT_RETRY: Duration = Duration::from_millis(10);

/// How often each thread checks its connections for timeouts and publishes its progress.
const SCAN_INTERVAL: Duration = Duration::from_millis(10);

/// How often [`run`] calls its progress callback.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Largest latency the histograms hold, in microseconds; longer ones are recorded as this.
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
    /// Connections opening at once at most, over all threads (see [`window`]): the server's
    /// listen backlog, so that its accept queue cannot overflow.
    pub max_opening: usize,
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
    /// Latency and errors second by second.
    pub timeline: Timeline,
    /// When the connections got their first response; `None` if none got one.
    pub first_served: Option<FirstServed>,
}

/// When the connections got their first response, from the word to go: the first one
/// served and the last one. Connections never answered are not in it (see
/// [`Errors::never_answered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstServed {
    /// The first connection's first response.
    pub earliest: Duration,
    /// The last connection's first response.
    pub latest: Duration,
}

impl FirstServed {
    /// How long the last connection waited for its first response after the first one got
    /// its own.
    pub fn spread(&self) -> Duration {
        self.latest - self.earliest
    }

    /// Two groups of connections together: two threads', or a thread's and one more.
    fn merge(a: Option<FirstServed>, b: Option<FirstServed>) -> Option<FirstServed> {
        match (a, b) {
            (Some(a), Some(b)) => Some(FirstServed {
                earliest: a.earliest.min(b.earliest),
                latest: a.latest.max(b.latest),
            }),
            (a, None) => a,
            (None, b) => b,
        }
    }
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
            .field("first_served", &self.first_served)
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
    timeline: Timeline,
    errors: Errors,
    first_served: Option<FirstServed>,
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
    // Every thread gets an equal share of the window, so that together they stay within it.
    let window = (load.max_opening / threads).max(1);
    // Every thread builds its poller, then waits for the word to go, the instant they all
    // count their timelines from. A thread whose sender is dropped unsent gives up.
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
        let duration = load.duration;
        let spawned = std::thread::Builder::new()
            .name(format!("loadgen-{index}"))
            .spawn(move || {
                let poll = Poll::new()?;
                // Allocated before the word to go, not while measuring.
                let timeline = Timeline::new(duration);
                let began = wait_go
                    .recv()
                    .map_err(|_| io::Error::other("load generator cancelled"))?;
                let stats = Stats::new(began, timeline, window);
                Thread::new(poll, shared, connections, stats)
                    .run(began + duration, &counters[index])
            });
        // On failure, returning drops `go`: the threads already spawned give up.
        handles.push(spawned?);
        go.push(send_go);
    }
    let began = Instant::now();
    for send_go in go {
        // A thread that has gone already (its poller failed) reports that when joined.
        let _ = send_go.send(began);
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
        timeline: Timeline::new(load.duration),
        first_served: None,
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
        outcome.timeline.add(&thread.timeline);
        outcome.first_served = FirstServed::merge(outcome.first_served, thread.first_served);
    }
    Ok(outcome)
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds")
}

/// What one thread keeps for all its connections: the counters, and the connect window they
/// share (here because every connection's transition already gets `&mut Stats`).
struct Stats {
    /// The word to go: where the timeline starts.
    began: Instant,
    responses: u64,
    latency: Histogram<u64>,
    timeline: Timeline,
    errors: Errors,
    window: Window,
}

impl Stats {
    fn new(began: Instant, timeline: Timeline, window: usize) -> Stats {
        Stats {
            began,
            responses: 0,
            latency: new_histogram(),
            timeline,
            errors: Errors::default(),
            window: Window::new(window),
        }
    }

    /// Records a response completed at `now`.
    fn record(&mut self, now: Instant, latency: Duration, status: u16) {
        self.responses += 1;
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(us.max(1));
        let at = now.saturating_duration_since(self.began);
        self.timeline.record(at, us);
        if !(200..300).contains(&status) {
            self.errors.status += 1;
            self.timeline.error(at);
        }
    }

    /// Puts an error counted at `now` (in [`Stats::errors`]) on the timeline.
    fn error_at(&mut self, now: Instant) {
        self.timeline
            .error(now.saturating_duration_since(self.began));
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
    fn new(poll: Poll, shared: Shared, connections: usize, stats: Stats) -> Thread {
        Thread {
            poll,
            conns: (0..connections).map(|_| Conn::new()).collect(),
            shared,
            stats,
        }
    }

    fn run(mut self, deadline: Instant, progress: &AtomicU64) -> io::Result<ThreadOutcome> {
        let began = Instant::now();
        let mut events = Events::with_capacity(1024);
        // As many as the window takes connect now; the others wait for a place.
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
            // Places freed by first responses and closes go to the connections waiting.
            while let Some(token) = self.stats.window.next_admitted() {
                let now = Instant::now();
                self.conns[token].admitted(token, registry, &self.shared, &mut self.stats, now);
            }
        }
        let stopped = Instant::now();
        let never_answered = self.conns.iter().filter(|c| !c.ever_answered()).count();
        self.stats.errors.never_answered = never_answered as u64;
        let first_served = self.first_served();
        // The connections close as `self` drops, after the deadline: whatever is in flight
        // then is not counted.
        Ok(ThreadOutcome {
            stopped,
            responses: self.stats.responses,
            latency: self.stats.latency,
            timeline: self.stats.timeline,
            errors: self.stats.errors,
            first_served,
        })
    }

    /// The first and the last of this thread's connections to get a first response.
    fn first_served(&self) -> Option<FirstServed> {
        let began = self.stats.began;
        self.conns
            .iter()
            .filter_map(|conn| conn.first_answered())
            .map(|at| at.saturating_duration_since(began))
            .fold(None, |served, at| {
                let one = Some(FirstServed {
                    earliest: at,
                    latest: at,
                });
                FirstServed::merge(served, one)
            })
    }
}

#[cfg(test)]
mod tests;
