//! Unix signals as streams.

use crate::rt::signal as registry;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

/// A kind of Unix signal.
///
/// ```
/// use tandem::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc_sigint());
/// # fn libc_sigint() -> i32 { 2 }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal by number (`SIGRTMIN + n` included).
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> std::os::raw::c_int {
        self.0
    }

    /// SIGALRM.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }
    /// SIGCHLD.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }
    /// SIGHUP.
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }
    /// SIGINT (ctrl-c).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }
    /// SIGIO.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }
    /// SIGPIPE.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }
    /// SIGQUIT.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }
    /// SIGTERM.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }
    /// SIGUSR1.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }
    /// SIGUSR2.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }
    /// SIGWINCH.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<std::os::raw::c_int> for SignalKind {
    /// As [`SignalKind::from_raw`].
    fn from(signum: std::os::raw::c_int) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for std::os::raw::c_int {
    /// As [`SignalKind::as_raw_value`].
    fn from(kind: SignalKind) -> std::os::raw::c_int {
        kind.as_raw_value()
    }
}

/// A stream of deliveries of one signal, from [`signal`].
#[derive(Debug)]
pub struct Signal {
    signum: i32,
    seen: u64,
    /// This stream among its signal's listeners.
    id: registry::ListenerId,
}

/// Listens for `kind`. The first call for a signal installs a handler for the rest of the
/// process's life (the signal's default action, e.g. termination, no longer happens).
///
/// # Errors
/// Of kind `Other`, with Tokio's words: for signals that cannot be handled (SIGKILL, SIGSTOP,
/// SIGILL, SIGFPE, SIGSEGV) or numbers out of range.
///
/// # Panics
/// Outside a runtime with I/O enabled.
///
/// ```no_run
/// use tandem::signal::unix::{signal, SignalKind};
///
/// #[tandem::main]
/// async fn main() -> std::io::Result<()> {
///     let mut hangups = signal(SignalKind::hangup())?;
///     loop {
///         hangups.recv().await;
///         println!("got SIGHUP: reloading configuration");
///     }
/// }
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let handle = crate::runtime::Handle::current();
    // The I/O driver first, as Tokio: a runtime without it panics (at the caller's line) even
    // for a signal number that would be refused.
    let io = handle.inner.io_handle();
    let seen = registry::register(kind.0)?;
    io.ensure_signal_registered(registry::receiver_for_reactor)?;
    Ok(Signal {
        signum: kind.0,
        seen,
        id: registry::ListenerId::next(),
    })
}

impl Signal {
    /// Waits for the next delivery. Deliveries that arrive before the previous one was received
    /// coalesce. Never returns `None` (the handler stays installed), as Tokio's.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        if registry::poll_generation(self.signum, &mut self.seen, self.id, cx.waker()) {
            return Poll::Ready(Some(()));
        }
        // The runtime this waits in dispatches deliveries too (as every Tokio runtime with I/O
        // does), not only the one the stream was made in, which may be gone or never driven.
        crate::rt::context::with_current(|handle| {
            if let Some(io) = handle.and_then(|handle| handle.driver().io.as_ref()) {
                // Its failure to watch the pipe leaves the deliveries to the runtimes that do.
                let _ = io.ensure_signal_registered(registry::receiver_for_reactor);
            }
        });
        Poll::Pending
    }
}

impl Drop for Signal {
    /// Takes this stream's waker, if it waits, out of the signal's listeners.
    fn drop(&mut self) {
        registry::forget(self.signum, self.id);
    }
}
