//! One load generator connection: a slot that connects, sends a request, reads the response,
//! sends the next, and reconnects after an error, for the whole run.
//!
//! ```text
//!              no place in the connect window            a place is free
//!   (connect) --------------------------------> Waiting -------------------> (open)
//!       | a place
//!       v
//!    (open) --- connect() fails ---> Backoff --- after CONNECT_RETRY ---> (connect)
//!       |
//!       v
//!   Connecting --- connect times out / fails ---> Backoff
//!       | established
//!       v
//!    InFlight <--+ response complete, keep-alive: next request at once
//!       |  |     |
//!       |  +-----+
//!       +--- read/write error, timeout, or a response saying close ---> (connect)
//! ```
//!
//! The place in the thread's connect window ([`super::window`]) is held by the socket from
//! `(open)` until its first response, or until it closes without one.
//!
//! mio's readiness is edge-triggered, so a read or write that has room to spare and comes back
//! short has drained (filled) the socket, and the next change comes as a new event: reads
//! stop at the first short read rather than at `WouldBlock`, which saves a system call per
//! response (Tokio's streams do the same).

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use super::{Stats, CONNECT_RETRY};
use crate::http::wire;

/// Initial size of a connection's read buffer; it doubles for a larger response, up to...
const READ_BUFFER: usize = 4096;
/// ...this, past which the response counts as a read error.
const MAX_RESPONSE: usize = 1 << 20;

/// What every connection of a thread shares.
pub struct Shared {
    /// The server.
    pub addr: SocketAddr,
    /// The request, byte for byte.
    pub request: Arc<[u8]>,
    /// How long a request may wait for its response, and a connect for its handshake.
    pub timeout: Duration,
}

/// Where a connection is; see the module diagram.
#[derive(Debug, Clone, Copy)]
enum State {
    /// No socket: waiting for a place in the connect window.
    Waiting,
    /// No socket: the last connect failed; the next one is due at `retry_at`.
    Backoff { retry_at: Instant },
    /// The handshake started at `since`.
    Connecting { since: Instant },
    /// A request went out (its first byte) at `sent_at`; `written` of its bytes so far.
    InFlight { sent_at: Instant, written: usize },
}

/// What ended a socket, as counted in [`super::Errors`].
#[derive(Debug, Clone, Copy)]
enum Failure {
    Connect,
    Read,
    Write,
    Timeout,
}

/// One connection slot.
pub struct Conn {
    stream: Option<TcpStream>,
    state: State,
    buf: Vec<u8>,
    filled: usize,
    /// Responses received over all of this slot's sockets.
    answered: u64,
    /// When the first of them came.
    first_answered: Option<Instant>,
    /// Whether the socket holds a place in the connect window: from the connect until its
    /// first response, or its close.
    holds_place: bool,
}

impl Conn {
    pub fn new() -> Conn {
        Conn {
            stream: None,
            state: State::Backoff {
                retry_at: Instant::now(),
            },
            buf: vec![0; READ_BUFFER],
            filled: 0,
            answered: 0,
            first_answered: None,
            holds_place: false,
        }
    }

    /// Whether this slot got at least one response.
    pub fn ever_answered(&self) -> bool {
        self.answered > 0
    }

    /// When this slot got its first response, if it got one.
    pub fn first_answered(&self) -> Option<Instant> {
        self.first_answered
    }

    /// Starts connecting if the connect window has a place, or waits for one (the slot has
    /// no socket).
    pub fn connect(
        &mut self,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
        now: Instant,
    ) {
        debug_assert!(self.stream.is_none());
        match stats.window.open(token) {
            true => self.admitted(token, registry, shared, stats, now),
            false => self.state = State::Waiting,
        }
    }

    /// Starts connecting with the place in the connect window just taken for this slot.
    pub fn admitted(
        &mut self,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
        now: Instant,
    ) {
        debug_assert!(self.stream.is_none() && !self.holds_place);
        let registered = TcpStream::connect(shared.addr).and_then(|mut stream| {
            registry.register(
                &mut stream,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(stream)
        });
        match registered {
            Ok(stream) => {
                self.stream = Some(stream);
                self.holds_place = true;
                self.state = State::Connecting { since: now };
            }
            Err(_) => {
                stats.window.release();
                stats.errors.connect += 1;
                stats.error_at(now);
                self.state = State::Backoff {
                    retry_at: now + CONNECT_RETRY,
                };
            }
        }
    }

    /// Handles a readiness event of this slot's socket.
    pub fn on_event(
        &mut self,
        event: &Event,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
    ) {
        let Some(stream) = &self.stream else {
            return; // An event of a socket closed since: nothing to do.
        };
        match self.state {
            State::Waiting | State::Backoff { .. } => {}
            State::Connecting { .. } => match established(stream) {
                Ok(true) => {
                    let _ = stream.set_nodelay(true);
                    self.send(Instant::now(), token, registry, shared, stats);
                }
                Ok(false) => {} // A spurious wake-up: still connecting.
                Err(()) => self.fail(Failure::Connect, token, registry, shared, stats),
            },
            State::InFlight { written, .. } => {
                if event.is_writable() && written < shared.request.len() {
                    self.write(token, registry, shared, stats);
                    if !matches!(self.state, State::InFlight { .. }) {
                        return; // The write failed: the slot is reconnecting.
                    }
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read(token, registry, shared, stats);
                }
            }
        }
    }

    /// Checks the slot's timers: a due retry, a connect or a request past the timeout.
    pub fn check_time(
        &mut self,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
        now: Instant,
    ) {
        match self.state {
            State::Backoff { retry_at } if now >= retry_at => {
                self.connect(token, registry, shared, stats, now);
            }
            State::Connecting { since } if now - since > shared.timeout => {
                self.fail(Failure::Connect, token, registry, shared, stats);
            }
            State::InFlight { sent_at, .. } if now - sent_at > shared.timeout => {
                self.fail(Failure::Timeout, token, registry, shared, stats);
            }
            _ => {}
        }
    }

    /// Starts a request at `now` and writes what the socket takes of it.
    fn send(
        &mut self,
        now: Instant,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
    ) {
        self.state = State::InFlight {
            sent_at: now,
            written: 0,
        };
        self.write(token, registry, shared, stats);
    }

    /// Writes the rest of the request in flight, until done or the socket is full.
    fn write(&mut self, token: usize, registry: &Registry, shared: &Shared, stats: &mut Stats) {
        let State::InFlight {
            sent_at,
            mut written,
        } = self.state
        else {
            unreachable!("write is only called with a request in flight")
        };
        let stream = self
            .stream
            .as_mut()
            .expect("a request in flight has a socket");
        while written < shared.request.len() {
            match stream.write(&shared.request[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.fail(Failure::Write, token, registry, shared, stats),
            }
        }
        self.state = State::InFlight { sent_at, written };
    }

    /// Reads what the socket has, and completes the response in flight if it is all there.
    fn read(&mut self, token: usize, registry: &Registry, shared: &Shared, stats: &mut Stats) {
        loop {
            if self.filled == self.buf.len() {
                if self.buf.len() >= MAX_RESPONSE {
                    return self.fail(Failure::Read, token, registry, shared, stats);
                }
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let stream = self
                .stream
                .as_mut()
                .expect("a request in flight has a socket");
            let room = self.buf.len() - self.filled;
            let n = match stream.read(&mut self.buf[self.filled..]) {
                // End of file with a request in flight: the server gave up on it.
                Ok(0) => return self.fail(Failure::Read, token, registry, shared, stats),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return self.fail(Failure::Read, token, registry, shared, stats),
            };
            self.filled += n;
            match wire::parse_response(&self.buf[..self.filled]) {
                Ok(None) => {}
                Ok(Some(response)) => {
                    let State::InFlight { sent_at, .. } = self.state else {
                        unreachable!("read is only called with a request in flight")
                    };
                    let now = Instant::now();
                    stats.record(now, now - sent_at, response.status);
                    self.answered += 1;
                    self.first_answered.get_or_insert(now);
                    if self.holds_place {
                        // Served: the server has accepted this socket, so the place goes to
                        // the next connection.
                        stats.window.release();
                        self.holds_place = false;
                    }
                    if response.len != self.filled {
                        // More than one response to one request: pipelining is off, so the
                        // server is confused.
                        return self.fail(Failure::Read, token, registry, shared, stats);
                    }
                    self.filled = 0;
                    if response.close {
                        // Not an error: the server said so. Reconnect.
                        self.close(registry, stats);
                        return self.connect(token, registry, shared, stats, now);
                    }
                    self.send(now, token, registry, shared, stats);
                    if !matches!(self.state, State::InFlight { .. }) {
                        return; // The write failed: the slot is reconnecting.
                    }
                }
                Err(_) => return self.fail(Failure::Read, token, registry, shared, stats),
            }
            if n < room {
                return; // A short read drained the socket (see the module docs).
            }
        }
    }

    /// Counts `failure`, closes the socket and reconnects: after [`CONNECT_RETRY`] if the
    /// connect failed, at once otherwise (as `wrk` does).
    fn fail(
        &mut self,
        failure: Failure,
        token: usize,
        registry: &Registry,
        shared: &Shared,
        stats: &mut Stats,
    ) {
        let errors = &mut stats.errors;
        match failure {
            Failure::Connect => errors.connect += 1,
            Failure::Read => errors.read += 1,
            Failure::Write => errors.write += 1,
            Failure::Timeout => errors.timeout += 1,
        }
        let now = Instant::now();
        stats.error_at(now);
        self.close(registry, stats);
        match failure {
            Failure::Connect => {
                self.state = State::Backoff {
                    retry_at: now + CONNECT_RETRY,
                }
            }
            Failure::Read | Failure::Write | Failure::Timeout => {
                self.connect(token, registry, shared, stats, now)
            }
        }
    }

    /// Closes the socket, and gives back its place in the connect window if it still has it.
    fn close(&mut self, registry: &Registry, stats: &mut Stats) {
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        if self.holds_place {
            stats.window.release();
            self.holds_place = false;
        }
        self.filled = 0;
    }
}

/// Whether a connecting socket's handshake is done: `Ok(false)` while it goes on, `Err` if
/// it failed.
fn established(stream: &TcpStream) -> Result<bool, ()> {
    match stream.take_error() {
        Ok(None) => {}
        Ok(Some(_)) | Err(_) => return Err(()),
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(_) => Err(()),
    }
}
