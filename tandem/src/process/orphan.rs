//! The orphan queue: children whose `Child` was dropped before they were reaped and that no
//! runtime task watches any more. Every spawn, and every exit a watch observes, retries them with
//! `waitpid(WNOHANG)`, so they do not stay zombies.

use std::process::Child as StdChild;
use std::sync::Mutex;

static ORPHANS: Mutex<Vec<StdChild>> = Mutex::new(Vec::new());

/// Queues `child` for reaping (it has not been reaped yet).
pub(super) fn push(child: StdChild) {
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    orphans.push(child);
}

/// Reaps every queued child that has exited; keeps the ones still running. A child that cannot
/// be waited for (`ECHILD`: someone else reaped it) leaves the queue too.
pub(super) fn reap() {
    let Ok(mut orphans) = ORPHANS.try_lock() else {
        // Another thread is reaping right now; it will see the same exits.
        return;
    };
    if orphans.is_empty() {
        return;
    }
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}
