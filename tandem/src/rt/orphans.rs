//! The orphan queue: child processes whose `Child` was dropped before they were reaped and that
//! no runtime task watches any more. Every spawn, every exit a watch observes, and every park of
//! every runtime's driver (as Tokio's drivers do) retries them with `waitpid(WNOHANG)`, so they
//! do not stay zombies, even when the runtime that spawned them is gone and the one still
//! running spawns nothing.

use std::process::Child as StdChild;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ORPHANS: Mutex<Vec<StdChild>> = Mutex::new(Vec::new());

/// Whether `ORPHANS` may hold a child: lets a park skip the lock when it is empty.
static ANY: AtomicBool = AtomicBool::new(false);

/// Queues `child` for reaping (it has not been reaped yet).
pub(crate) fn push(child: StdChild) {
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    orphans.push(child);
    // Relaxed: a park that misses it retries at the next one; the queue itself is under the lock.
    ANY.store(true, Ordering::Relaxed);
}

/// Reaps every queued child that has exited; keeps the ones still running. A child that cannot
/// be waited for (`ECHILD`: someone else reaped it) leaves the queue too.
pub(crate) fn reap() {
    let Ok(mut orphans) = ORPHANS.try_lock() else {
        // Another thread is reaping right now; it will see the same exits.
        return;
    };
    if orphans.is_empty() {
        return;
    }
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    ANY.store(!orphans.is_empty(), Ordering::Relaxed);
}

/// `reap`, if a child may be queued (a driver's park: one load when there is none).
pub(crate) fn reap_if_any() {
    if ANY.load(Ordering::Relaxed) {
        reap();
    }
}
