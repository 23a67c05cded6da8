//! `tandem-bench serve`: one HTTP server, in a process of its own.
//!
//! The HTTP suite starts each server it measures as a child process running this hidden
//! subcommand, so that servers never share a process (or an allocator, or a runtime) with the
//! load generator or with each other:
//!
//! ```text
//! tandem-bench serve --arch <single|thread|tandem|tandem-uring|tokio> --addr 127.0.0.1:0 --workers N
//! ```
//!
//! Every architecture answers every request with the same 13-byte `Hello, World!`
//! (`Content-Type: text/plain`, `Content-Length: 13`) and keeps connections alive:
//!
//! - `single`: blocking std, one connection at a time: serves a connection until the client
//!   closes it, then accepts the next ([`blocking`]);
//! - `thread`: blocking std, a thread per connection ([`blocking`]);
//! - `tandem`, `tandem-uring` and `tokio`: hyper 1.x's `server::conn::http1` on each runtime's
//!   multi-thread scheduler with `--workers` workers, a task per connection ([`hyper_server`]);
//!   `tandem` with its networking on the epoll reactor, `tandem-uring` over io_uring.
//!
//! Every server listens on a socket made by [`bind`], so all four have the same backlog:
//! [`BACKLOG`], 4096, the most Linux grants by default (`net.core.somaxconn`, 4096 since 5.4).
//! (Tokio's `TcpListener::bind` gets 128 from mio 1.x, as std's does, and Tandem's asks for
//! 1024: 1,000 clients connecting at once overflow the former's accept queue, and the dropped
//! SYNs come back a second or more later, as connect errors or latency.) The load generator
//! never has more connections waiting to be accepted than the backlog (its connect window, see
//! `loadgen::window`); the larger the backlog, the sooner 10,000 connections are all in:
//! with 1024, a `-c10000` run took about twice as long to serve every connection once.
//!
//! Protocol with the parent:
//! 1. the server binds `--addr` (port 0 picks a free port) and prints `listening on ADDR`
//!    on stdout;
//! 2. it serves until killed, or until its stdin reaches end of file: the suite keeps a pipe
//!    to it open, so a server outlives a killed suite by no more than a read (by hand: Ctrl-D).

mod blocking;
mod hyper_server;

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::Arch;

/// Listen backlog of every server; see the module docs.
pub const BACKLOG: i32 = 4096;

/// hyper's header-read timeout on both runtimes, driven by each runtime's timer.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the line a server prints when it is ready starts with, followed by the address.
pub const READY_PREFIX: &str = "listening on ";

/// Parsed `serve` arguments.
#[derive(Debug, PartialEq, Eq)]
struct ServeArgs {
    arch: Arch,
    addr: SocketAddr,
    workers: usize,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<ServeArgs, String> {
    let (mut arch, mut addr, mut workers) = (None, None, None);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--arch" => arch = Some(Arch::from_name(&value()?)?),
            "--addr" => {
                let v = value()?;
                addr = Some(
                    v.parse()
                        .map_err(|_| format!("--addr: bad address {v:?}"))?,
                );
            }
            "--workers" => {
                let v = value()?;
                workers = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--workers needs a positive integer, not {v:?}"))?,
                );
            }
            _ => return Err(format!("serve: unknown argument {arg:?}")),
        }
    }
    Ok(ServeArgs {
        arch: arch.ok_or("serve needs --arch")?,
        addr: addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        workers: workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    })
}

/// Runs `tandem-bench serve ARGS...` (the arguments after `serve`); never returns while the
/// server runs.
pub fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    exit_with_stdin();
    let served = bind(args.addr).and_then(|listener| match args.arch {
        Arch::Single => blocking::single(listener),
        Arch::Thread => blocking::per_thread(listener),
        Arch::Tandem => hyper_server::tandem(listener, args.workers, false),
        Arch::TandemUring => hyper_server::tandem(listener, args.workers, true),
        Arch::Tokio => hyper_server::tokio(listener, args.workers),
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the {} server failed: {e}", args.arch.name());
            ExitCode::FAILURE
        }
    }
}

/// The listening socket of every server: `SO_REUSEADDR`, backlog [`BACKLOG`], blocking (the
/// hyper servers make it non-blocking when they wrap it).
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(BACKLOG)?;
    Ok(TcpListener::from(socket))
}

/// The backlog the servers' listening sockets really get: [`BACKLOG`], unless the kernel caps
/// it lower (`net.core.somaxconn`, 4096 by default since Linux 5.4, 128 before).
pub fn effective_backlog() -> usize {
    let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok());
    let backlog = BACKLOG as usize;
    cap.map_or(backlog, |cap| backlog.min(cap.max(1)))
}

/// Tells the parent the server is ready at `addr` (step 1 of the protocol).
fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{READY_PREFIX}{addr}")?;
    out.flush()
}

/// Step 2 of the protocol: exits the process when stdin reaches end of file (or fails).
fn exit_with_stdin() {
    let watcher = std::thread::Builder::new()
        .name("serve-stdin".into())
        .spawn(|| {
            let mut byte = [0u8; 64];
            let mut stdin = io::stdin().lock();
            while let Ok(n) = stdin.read(&mut byte) {
                if n == 0 {
                    break;
                }
            }
            std::process::exit(0);
        });
    if let Err(e) = watcher {
        eprintln!("warning: cannot watch stdin ({e}); the server stops only when killed");
    }
}

/// How long an accept loop pauses after an accept error (say, out of descriptors) before it
/// tries again, so that it does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(10);

/// Reports the first accept error of a server on stderr, and no more: a server out of
/// descriptors would otherwise print thousands of lines into the suite's output.
fn accept_failed(e: &io::Error) {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| eprintln!("warning: accept failed: {e} (further failures not shown)"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ServeArgs, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_serve_arguments() {
        let args = parse(&["--arch", "tokio", "--addr=127.0.0.1:8080", "--workers", "3"]).unwrap();
        assert_eq!(
            args,
            ServeArgs {
                arch: Arch::Tokio,
                addr: "127.0.0.1:8080".parse().unwrap(),
                workers: 3
            }
        );
        assert_eq!(parse(&["--arch=single"]).unwrap().addr.port(), 0);
        assert!(parse(&["--addr", "127.0.0.1:1"]).is_err());
        assert!(parse(&["--arch", "nope"]).is_err());
        assert!(parse(&["--arch", "thread", "--workers", "0"]).is_err());
        assert!(parse(&["--arch", "thread", "--bogus"]).is_err());
    }
}
