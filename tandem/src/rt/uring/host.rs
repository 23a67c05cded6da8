//! The calling thread's worker ring, reached without naming the scheduler.
//!
//! A worker's ring lives in its core, which the scheduler owns. While a scheduler drives its
//! core on a thread (a multi-thread worker, or the current-thread scheduler inside `block_on`)
//! it installs its per-thread context here as a `RingHost` (`set_host`, beside its scheduler
//! context), and an operation reaches the ring through `with_local_ring`: one thread-local read
//! and one call through the host's vtable. The arrow points down: `uring` defines the slot, the
//! scheduler fills it.

use super::ring::{LocalRing, Ring};
use std::cell::Cell;
use std::sync::Arc;

/// What a scheduler's per-thread context offers an operation on its thread.
pub(crate) trait RingHost {
    /// Calls `f` with the ring of the core this thread holds, if the core is here and the ring
    /// in it, and whether that core has no other task queued (nothing would join a batch: submit
    /// now). Does not call `f` otherwise.
    fn with_ring(&self, f: &mut dyn FnMut(&mut LocalRing, bool));
}

type HostPtr = *const (dyn RingHost + 'static);

thread_local! {
    /// The host installed by `set_host` on this thread, if any.
    static HOST: Cell<Option<HostPtr>> = const { Cell::new(None) };
}

/// Runs `f` with `host` as this thread's ring host, restoring the previous one after (also if
/// `f` unwinds).
pub(crate) fn set_host<R>(host: &(dyn RingHost + 'static), f: impl FnOnce() -> R) -> R {
    struct Reset(Option<HostPtr>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = HOST.try_with(|slot| slot.set(self.0));
        }
    }
    let prev = HOST.with(|slot| slot.replace(Some(host as HostPtr)));
    let _reset = Reset(prev);
    f()
}

/// Runs `f` with the calling thread's worker ring, if it is a worker holding its core, and
/// whether that core has no other task queued.
pub(crate) fn with_local_ring<R>(f: impl FnOnce(&mut LocalRing, bool) -> R) -> Option<R> {
    let host = HOST.try_with(Cell::get).ok().flatten()?;
    // SAFETY: the pointer is installed only by `set_host`, which borrows the host for the whole
    // time the pointer is installed and restores the previous value (also on unwind) before the
    // borrow ends; the slot is thread-local, so the host is alive and on this thread.
    let host = unsafe { &*host };
    let mut f = Some(f);
    let mut out = None;
    host.with_ring(&mut |ring, idle| {
        if let Some(f) = f.take() {
            out = Some(f(ring, idle));
        }
    });
    out
}

/// Submits the calling worker's queued entries now, if `ring` is its ring (any ring, with
/// `None`): a cancel just pushed there then reaches the kernel before the caller goes on,
/// rather than at the worker's next flush. Entries the kernel refuses for now stay queued for
/// that flush.
pub(crate) fn submit_local_now(ring: Option<&Arc<Ring>>) {
    with_local_ring(|local, _| {
        if ring.is_none_or(|ring| Arc::ptr_eq(local.ring(), ring)) {
            let _ = local.submitter().flush();
        }
    });
}
