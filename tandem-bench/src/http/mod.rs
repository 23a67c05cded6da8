//! The HTTP suite: hyper hello-world servers under a `wrk`-like load, in the format of the
//! published table this project measures itself against.
//!
//! `tandem-bench http` compares four servers, each started as a separate process
//! ([`server`], through [`child`]), all answering `Hello, World!` with keep-alive:
//!
//! | `--servers` | row | what |
//! |---|---|---|
//! | `single` | Single-threaded | blocking std, one connection at a time |
//! | `thread` | One-thread-per-connection | blocking std, a thread per connection |
//! | `tandem` | Tandem (epoll) | hyper on Tandem, `--workers` workers, networking on the epoll reactor |
//! | `tandem-uring` | Tandem (io_uring) | the same, with `Builder::net_io_uring(true)` |
//! | `tokio` | Tokio | hyper on Tokio (hyper-util's `TokioIo`), `--workers` workers |
//!
//! Each is loaded by [`loadgen`] (`wrk` rebuilt on threads and mio, depending on neither
//! runtime), or by `wrk` itself with `--wrk` ([`wrk`]). The steps:
//!
//! 1. [`options`] turns the flags into a [`Plan`]: two loads, one after the other, `-t4
//!    -c1000` as the published table (every server) and then `-t4 -c10000` (Tandem and Tokio),
//!    for 10 s per run and 3 runs (5 s per run when every suite runs); with `--quick`, one
//!    load of `-t2 -c50`, 1 s, 1 run; `--connections C` makes it one load of `C`;
//! 2. [`suite`] runs each load in rounds: every server once per round, a fresh process per
//!    run, Tandem and Tokio swapping which goes first every round (ABBA), so that the pair
//!    compared is measured seconds apart; a progress bar per server;
//! 3. [`report`] prints each load's table (medians over the runs, their spread, each row's
//!    ratio to the Tokio run of the same round), the error breakdown, how soon the last
//!    connection got its first response after the first one did, the CPU time per response
//!    of the server process and of the load generator ([`cpu`]), and the range of the
//!    per-second figures; it writes the results as JSON (with every run's seconds) and as an
//!    SVG chart ([`svg`]) under `target/tandem-bench/`, and [`timeline_svg`] draws the latency
//!    second by second beside them.

mod child;
mod cpu;
pub mod loadgen;
mod options;
#[cfg(feature = "io-poll-delay")]
pub mod poll_delay;
pub mod report;
pub mod server;
mod suite;
mod svg;
mod timeline_svg;
pub mod wire;
mod wrk;

pub use options::{LoadLevel, Mode, Options, Plan, USAGE};
pub use suite::run;

/// A server architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// Blocking std, one connection at a time.
    Single,
    /// Blocking std, a thread per connection.
    Thread,
    /// hyper on Tandem, networking on the epoll reactor.
    Tandem,
    /// hyper on Tandem, networking over io_uring (`Builder::net_io_uring(true)`).
    TandemUring,
    /// hyper on Tokio.
    Tokio,
}

impl Arch {
    /// Every architecture, in the order of the published table.
    pub const ALL: [Arch; 5] = [
        Arch::Single,
        Arch::Thread,
        Arch::Tandem,
        Arch::TandemUring,
        Arch::Tokio,
    ];

    /// The async runtimes' servers (every architecture but the blocking baselines).
    pub fn is_runtime(self) -> bool {
        matches!(self, Arch::Tandem | Arch::TandemUring | Arch::Tokio)
    }

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Single => "single",
            Arch::Thread => "thread",
            Arch::Tandem => "tandem",
            Arch::TandemUring => "tandem-uring",
            Arch::Tokio => "tokio",
        }
    }

    /// The row's name in the table, as in the published one.
    pub fn label(self) -> &'static str {
        match self {
            Arch::Single => "Single-threaded",
            Arch::Thread => "One-thread-per-connection",
            Arch::Tandem => "Tandem (epoll)",
            Arch::TandemUring => "Tandem (io_uring)",
            Arch::Tokio => "Tokio",
        }
    }

    /// A name short enough for the chart's axis.
    pub fn short_label(self) -> &'static str {
        match self {
            Arch::Single => "Single",
            Arch::Thread => "Thread/conn",
            Arch::Tandem => "Tandem-epoll",
            Arch::TandemUring => "Tandem-uring",
            Arch::Tokio => "Tokio",
        }
    }

    /// Parses a [`name`](Arch::name).
    pub fn from_name(name: &str) -> Result<Arch, String> {
        Arch::ALL
            .into_iter()
            .find(|arch| arch.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
                format!("unknown server {name:?} (known: {})", names.join(", "))
            })
    }
}
