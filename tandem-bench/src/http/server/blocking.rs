//! The two blocking std servers: single-threaded, and a thread per connection.
//!
//! Both are the textbook servers the published table compares runtimes with, and both are
//! expected to do badly under 1,000 connections:
//! - the single-threaded server serves one keep-alive connection until its client closes it,
//!   so every other client waits in the listen backlog (and times out);
//! - the thread-per-connection server pays a thread (and its context switches) per client.
//!   Threads get small stacks, and at most [`MAX_THREADS`] run at once: past that the accept
//!   loop waits for one to finish, so a flood of connections cannot exhaust the machine.

use std::io::{self, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::{accept_failed, announce, ACCEPT_PAUSE};
use crate::http::wire::{self, BAD_REQUEST, RESPONSE};

/// Connection threads alive at once, at most, in the thread-per-connection server.
const MAX_THREADS: usize = 4096;

/// Stack size of a connection thread: serving a connection needs a few KiB.
const THREAD_STACK: usize = 64 * 1024;

/// Size of a connection's read buffer; it doubles for a larger request, up to...
const READ_BUFFER: usize = 4096;
/// ...this, past which the connection is closed.
const MAX_REQUEST: usize = 64 * 1024;

/// The single-threaded server: one connection at a time, each until it closes.
pub fn single(listener: TcpListener) -> io::Result<()> {
    announce(listener.local_addr()?)?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => serve(stream),
            Err(e) => {
                accept_failed(&e);
                std::thread::sleep(ACCEPT_PAUSE);
            }
        }
    }
}

/// The thread-per-connection server.
pub fn per_thread(listener: TcpListener) -> io::Result<()> {
    announce(listener.local_addr()?)?;
    let live = Arc::new(ThreadCount::default());
    loop {
        live.wait_below(MAX_THREADS);
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                accept_failed(&e);
                std::thread::sleep(ACCEPT_PAUSE);
                continue;
            }
        };
        let slot = ThreadSlot::take(&live);
        let spawned = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || {
                serve(stream);
                drop(slot);
            });
        if let Err(e) = spawned {
            // The closure, with the stream and the slot, is dropped: the client sees the
            // connection close and the count goes back down.
            accept_failed(&e);
            std::thread::sleep(ACCEPT_PAUSE);
        }
    }
}

/// How many connection threads are alive, with a condition variable to wait for fewer.
#[derive(Default)]
struct ThreadCount {
    live: Mutex<usize>,
    changed: Condvar,
}

impl ThreadCount {
    fn wait_below(&self, max: usize) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        while *live >= max {
            live = self
                .changed
                .wait(live)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// One counted connection thread; dropping it uncounts it.
struct ThreadSlot(Arc<ThreadCount>);

impl ThreadSlot {
    fn take(count: &Arc<ThreadCount>) -> ThreadSlot {
        *count.live.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        ThreadSlot(Arc::clone(count))
    }
}

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        *self.0.live.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        self.0.changed.notify_one();
    }
}

/// Serves requests on `stream` until the client closes it (or errs, or sends garbage).
///
/// Every complete request in what one `read` returned is answered with one `write`, so
/// pipelined requests cost no more syscalls than one.
fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; READ_BUFFER];
    let mut filled = 0;
    let mut out = Vec::with_capacity(RESPONSE.len());
    loop {
        match stream.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        let mut start = 0;
        let mut close = false;
        while !close {
            match wire::parse_request(&buf[start..filled]) {
                Ok(Some(request)) => {
                    out.extend_from_slice(RESPONSE);
                    start += request.len;
                    close = request.close;
                }
                Ok(None) => break,
                Err(_) => {
                    out.extend_from_slice(BAD_REQUEST);
                    close = true;
                }
            }
        }
        if !out.is_empty() {
            if stream.write_all(&out).is_err() {
                return;
            }
            out.clear();
        }
        if close {
            return;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if filled == buf.len() {
            if buf.len() >= MAX_REQUEST {
                return;
            }
            buf.resize(buf.len() * 2, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `serve` on one accepted connection and returns the client end.
    fn served() -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        std::thread::spawn(move || serve(server));
        client
    }

    fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
        let mut buf = vec![0u8; len];
        stream.read_exact(&mut buf).unwrap();
        buf
    }

    #[test]
    fn answers_split_and_pipelined_requests_then_close() {
        let mut client = served();
        client.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        client.write_all(b"st: a\r\n\r\n").unwrap();
        assert_eq!(read_exactly(&mut client, RESPONSE.len()), RESPONSE);
        client
            .write_all(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(
            read_exactly(&mut client, 2 * RESPONSE.len()),
            RESPONSE.repeat(2)
        );
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "the server closes after Connection: close");
    }

    #[test]
    fn answers_garbage_with_400_and_closes() {
        let mut client = served();
        client.write_all(b"\x01\x02 nonsense\r\n\r\n").unwrap();
        let mut all = Vec::new();
        client.read_to_end(&mut all).unwrap();
        assert_eq!(all, BAD_REQUEST);
    }

    #[test]
    fn thread_slots_count_and_release() {
        let count = Arc::new(ThreadCount::default());
        let a = ThreadSlot::take(&count);
        let b = ThreadSlot::take(&count);
        assert_eq!(*count.live.lock().unwrap(), 2);
        let waiter = {
            let count = Arc::clone(&count);
            std::thread::spawn(move || count.wait_below(2))
        };
        drop(a);
        waiter.join().unwrap();
        drop(b);
        assert_eq!(*count.live.lock().unwrap(), 0);
    }
}
