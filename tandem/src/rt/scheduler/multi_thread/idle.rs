//! Which workers sleep, and how many are searching for work.
//!
//! One atomic word packs `num_searching` (low 16 bits) and `num_unparked` (the rest). The list of
//! sleeping workers lives under the scheduler's `synced` lock.
//!
//! No lost wake-ups: a producer pushes its task, then reads this word with a `SeqCst`
//! read-modify-write (`notify_should_wakeup`); a worker going to sleep decrements it with a
//! `SeqCst` read-modify-write and, if it was the last searcher, re-checks every queue. Both are
//! RMWs on one word, so one of them sees the other: either the producer sees no searcher and
//! wakes a sleeper, or the last searcher's re-check sees the task.

use super::handle::Shared;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(super) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
}

/// The part guarded by the scheduler's lock.
pub(super) struct Synced {
    sleepers: Vec<usize>,
}

impl Idle {
    pub(super) fn new(num_workers: usize) -> (Idle, Synced) {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        let idle = Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
        };
        let synced = Synced {
            sleepers: Vec::with_capacity(num_workers),
        };
        (idle, synced)
    }

    /// If a sleeper should be woken for new work, claims it (as unparked and searching) and
    /// returns its index. Call after the work is visible to other workers.
    pub(super) fn worker_to_notify(&self, shared: &Shared) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut guard = shared.synced.lock();
        let synced = &mut guard.idle;
        // Re-check under the lock: another producer may have woken someone meanwhile.
        if !self.notify_should_wakeup() {
            return None;
        }
        let index = synced.sleepers.pop()?;
        // SeqCst: part of the total order described in the module docs.
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(index)
    }

    /// A worker goes to sleep. Returns true if it was the last searching worker: the caller must
    /// then re-check all queues for work that producers left for searchers.
    pub(super) fn transition_worker_to_parked(
        &self,
        synced: &mut Synced,
        index: usize,
        is_searching: bool,
    ) -> bool {
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        // SeqCst: see the module docs.
        let prev = self.state.fetch_sub(dec, SeqCst);
        synced.sleepers.push(index);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// A worker with nothing to do wants to steal. Refused when half the workers already
    /// search, which bounds the contention of many idle workers on few busy queues.
    pub(super) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        // Racy increment above the limit is harmless: the limit is a heuristic.
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. Returns true if it was the last searcher: the caller then
    /// wakes another worker so that remaining work keeps being looked for.
    pub(super) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(prev & SEARCH_MASK > 0);
        prev & SEARCH_MASK == 1
    }

    /// Removes a worker from the sleepers (it woke for its own reasons and has work). Returns
    /// true if it was listed; it then counts as unparked but not searching.
    pub(super) fn unpark_worker_by_id(&self, synced: &mut Synced, index: usize) -> bool {
        let Some(pos) = synced.sleepers.iter().position(|&i| i == index) else {
            return false;
        };
        synced.sleepers.swap_remove(pos);
        self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
        true
    }

    pub(super) fn is_parked(&self, synced: &Synced, index: usize) -> bool {
        synced.sleepers.contains(&index)
    }

    fn notify_should_wakeup(&self) -> bool {
        // An RMW, not a load: it must take part in the single total order on this word.
        let state = self.state.fetch_add(0, SeqCst);
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_workers
    }
}
