//! The process-wide signal registry: handlers, the self-pipe, and per-signal generations.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::task::Waker;

/// Signal numbers are below this on Linux (SIGRTMAX is 64).
const MAX_SIGNUM: usize = 65;

struct Globals {
    /// Written by the handlers, read by `dispatch`.
    sender: std::os::unix::net::UnixStream,
    receiver: std::os::unix::net::UnixStream,
    signals: Vec<SignalInfo>,
}

struct SignalInfo {
    installed: Once,
    /// Why the handler could not be installed: the OS error, if there was one.
    install_error: OnceLock<Option<i32>>,
    /// Set by the handler, cleared by `dispatch`.
    pending: AtomicBool,
    /// Bumped by `dispatch` once per batch of deliveries.
    generation: AtomicU64,
    /// The waker of each stream waiting for the next delivery, by the stream's `ListenerId`:
    /// a stream dropped while waiting takes its own out (`forget`).
    listeners: Mutex<Vec<(ListenerId, Waker)>>,
}

/// Names one stream (`Signal`) in the listeners of its signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ListenerId(u64);

impl ListenerId {
    pub(crate) fn next() -> ListenerId {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // Relaxed: only uniqueness matters.
        ListenerId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

fn globals() -> &'static Globals {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    GLOBALS.get_or_init(|| {
        let (sender, receiver) =
            std::os::unix::net::UnixStream::pair().expect("failed to create the signal pipe");
        sender
            .set_nonblocking(true)
            .expect("failed to make the signal pipe non-blocking");
        receiver
            .set_nonblocking(true)
            .expect("failed to make the signal pipe non-blocking");
        Globals {
            sender,
            receiver,
            signals: (0..MAX_SIGNUM)
                .map(|_| SignalInfo {
                    installed: Once::new(),
                    install_error: OnceLock::new(),
                    pending: AtomicBool::new(false),
                    generation: AtomicU64::new(0),
                    listeners: Mutex::new(Vec::new()),
                })
                .collect(),
        }
    })
}

/// Installs the handler for `signum` (once per process) and returns its current generation.
pub(crate) fn register(signum: i32) -> io::Result<u64> {
    const FORBIDDEN: [i32; 5] = [
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGKILL,
        libc::SIGSEGV,
        libc::SIGSTOP,
    ];
    // Tokio's errors, kind and words.
    if signum <= 0 || FORBIDDEN.contains(&signum) {
        return Err(io::Error::other(format!(
            "Refusing to register signal {signum}"
        )));
    }
    if signum as usize >= MAX_SIGNUM {
        return Err(io::Error::other("signal too large"));
    }
    let globals = globals();
    let info = &globals.signals[signum as usize];
    info.installed.call_once(|| {
        let action = move || {
            // Async-signal-safe: an atomic store and a write(2).
            globals.signals[signum as usize]
                .pending
                .store(true, Ordering::SeqCst);
            let _ = (&globals.sender).write(&[1]);
        };
        // SAFETY: the action only performs async-signal-safe operations (an atomic store and a
        // non-blocking write to a pipe); it allocates nothing and takes no lock.
        if let Err(e) = unsafe { signal_hook_registry::register(signum, action) } {
            let _ = info.install_error.set(e.raw_os_error());
        }
    });
    match info.install_error.get() {
        Some(Some(code)) => return Err(io::Error::from_raw_os_error(*code)),
        Some(None) => return Err(io::Error::other("registering signal handler failed")),
        None => {}
    }
    Ok(info.generation.load(Ordering::Acquire))
}

/// A dup of the pipe's read end, for one runtime's reactor to watch.
pub(crate) fn receiver_for_reactor() -> io::Result<mio::net::UnixStream> {
    let fd = globals().receiver.as_raw_fd();
    // SAFETY: `fd` is a valid open descriptor owned by the globals for the process lifetime;
    // `F_DUPFD_CLOEXEC` returns a new descriptor that we own.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `dup` is a fresh descriptor we own, of a non-blocking Unix stream socket.
    Ok(unsafe { mio::net::UnixStream::from_raw_fd(dup) })
}

/// Called by the driver when the pipe is readable: drain it and wake listeners of every signal
/// that arrived.
pub(crate) fn dispatch() {
    let globals = globals();
    let mut buf = [0u8; 128];
    loop {
        match (&globals.receiver).read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // WouldBlock: drained.
            Err(_) => break,
        }
    }
    for info in &globals.signals {
        if info.pending.swap(false, Ordering::SeqCst) {
            info.generation.fetch_add(1, Ordering::AcqRel);
            let listeners =
                std::mem::take(&mut *info.listeners.lock().unwrap_or_else(|e| e.into_inner()));
            for (_, waker) in listeners {
                waker.wake();
            }
        }
    }
}

/// Polls for a generation newer than `seen`; if there is none, `id`'s stream waits with `waker`.
pub(crate) fn poll_generation(signum: i32, seen: &mut u64, id: ListenerId, waker: &Waker) -> bool {
    let info = &globals().signals[signum as usize];
    let current = info.generation.load(Ordering::Acquire);
    if current != *seen {
        *seen = current;
        return true;
    }
    // Cloned before the lock, and what it replaces dropped after it: a waker's `clone` and
    // `drop` are foreign code, which may poll a stream of the same signal (this lock).
    let waker = waker.clone();
    let (fired, replaced) = {
        let mut listeners = info.listeners.lock().unwrap_or_else(|e| e.into_inner());
        let replaced = match listeners.iter_mut().find(|(listener, _)| *listener == id) {
            Some((_, registered)) if registered.will_wake(&waker) => Some(waker),
            Some((_, registered)) => Some(std::mem::replace(registered, waker)),
            None => {
                listeners.push((id, waker));
                None
            }
        };
        // Re-check under the lock: `dispatch` bumps the generation before taking it.
        (info.generation.load(Ordering::Acquire), replaced)
    };
    drop(replaced);
    if fired != *seen {
        *seen = fired;
        return true;
    }
    false
}

/// `id`'s stream is dropped: its waker, if it waits, leaves the listeners (and drops after the
/// lock).
pub(crate) fn forget(signum: i32, id: ListenerId) {
    let info = &globals().signals[signum as usize];
    let left = {
        let mut listeners = info.listeners.lock().unwrap_or_else(|e| e.into_inner());
        let at = listeners.iter().position(|(listener, _)| *listener == id);
        at.map(|at| listeners.swap_remove(at))
    };
    drop(left);
}
