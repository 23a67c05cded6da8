//! The rings of runtimes that stopped waiting for their operations: reaped by one process-wide
//! thread until nothing is in flight.
//!
//! Shutdown waits for operations in flight only until its deadline (zero for
//! `shutdown_background`). An operation left then still owns its cell (buffer, path, the file it
//! reads), which only its CQE may free, and the runtime is about to go with every thread that
//! could reap it. Its ring is handed here instead: the reaper submits what the ring's queue still
//! holds, waits on the rings' fds and reaps, which runs each orphaned cell's release (closing an
//! fd an open produced, say) and frees it. A ring with nothing in flight is dropped, closing its
//! fd. The thread starts with the first ring handed in and ends when it has none left, so a
//! process that never leaves an operation behind never has it.
//!
//! The reaper never waits for ever: an operation the kernel could not cancel (a regular-file read
//! in an io-wq worker) still completes, and a thread that submitted operations waits for them when
//! it exits (the kernel cancels them first).

use super::ring::LocalRing;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long one wait on the rings' fds lasts at most. A ring handed in meanwhile waits this long
/// for its first reap; nothing else depends on it.
const POLL_LIMIT: Duration = Duration::from_millis(50);

struct Reaper {
    /// Rings with operations in flight, each with its submission queue (entries the kernel
    /// refused before the handover are submitted here).
    rings: Vec<LocalRing>,
    /// A reaper thread runs (and will look at `rings` again before it ends).
    running: bool,
}

static REAPER: Mutex<Reaper> = Mutex::new(Reaper {
    rings: Vec::new(),
    running: false,
});

fn lock() -> MutexGuard<'static, Reaper> {
    // The reaper's own code does not panic while holding the lock; if a waker panicked during a
    // reap (outside the lock) the list is still consistent.
    REAPER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes a closed ring whose shutdown stopped waiting with operations still in flight.
pub(crate) fn adopt(ring: LocalRing) {
    let mut reaper = lock();
    reaper.rings.push(ring);
    if reaper.running {
        return;
    }
    reaper.running = true;
    let spawned = std::thread::Builder::new()
        .name("tandem-uring-reaper".into())
        .spawn(run);
    if let Err(e) = spawned {
        // No thread: the rings stay on the list (their cells are kept, never freed early), and
        // the next handover tries again.
        reaper.running = false;
        eprintln!("tandem: could not start the io_uring reaper thread: {e}");
    }
}

fn run() {
    loop {
        let mut fds = {
            let mut reaper = lock();
            for ring in &mut reaper.rings {
                ring.cancel_and_submit_leftovers();
            }
            // A ring with nothing in flight is done: dropping it closes its fd.
            reaper.rings.retain(|ring| !ring.is_drained());
            if reaper.rings.is_empty() {
                reaper.running = false;
                return;
            }
            reaper
                .rings
                .iter()
                .map(|ring| libc::pollfd {
                    fd: ring.ring().fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect::<Vec<_>>()
        };
        let millis = POLL_LIMIT.as_millis() as i32;
        // SAFETY: `fds` outlives the call and names ring fds kept open by the `LocalRing`s on
        // the list, which only this thread removes. An error (EINTR) only ends the wait early.
        let _ = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
        // Reaped outside the lock: a completion runs an operation's release, which may take a
        // while (a close) and must not hold up a runtime handing its ring in.
        let rings: Vec<_> = lock().rings.iter().map(|r| r.ring().clone()).collect();
        for ring in rings {
            let _ = std::panic::catch_unwind(|| ring.reap());
        }
    }
}
