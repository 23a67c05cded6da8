//! How many stream sockets (TCP, Unix) use the worker rings at once under
//! `Builder::net_io_uring`: the first `cap` made while fewer are open; the others use epoll,
//! for their whole life.
//!
//! Why a cap: the rings win with up to a few thousand connections per worker and lose beyond
//! (`docs/URING-NET.md`, "Choosing per load"). At the HTTP suite's `-c10000` with every stream
//! on the rings, Tandem made 0.85-0.96x Tokio's requests per second; with the first 2,048 per
//! worker ring on it and the rest on epoll, 0.95-1.09x, and with 1,000 or 100 connections (all
//! under the cap) nothing changed.
//!
//! A count, not a protocol: a stream takes a place when it is made and gives it back when it
//! is dropped; two streams racing for the last place may both see it taken, and one then uses
//! epoll, which is only a choice of route.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// The places, and how many streams found none.
pub(crate) struct StreamBudget {
    live: AtomicUsize,
    cap: usize,
    refused: AtomicU64,
}

impl StreamBudget {
    pub(crate) fn new(cap: usize) -> StreamBudget {
        StreamBudget {
            live: AtomicUsize::new(0),
            cap,
            refused: AtomicU64::new(0),
        }
    }

    /// Takes a place if one is free, else counts the refusal.
    pub(crate) fn try_take(&self) -> bool {
        let taken = self
            .live
            .fetch_update(Relaxed, Relaxed, |n| (n < self.cap).then_some(n + 1))
            .is_ok();
        if !taken {
            self.refused.fetch_add(1, Relaxed);
        }
        taken
    }

    /// Gives back a place `try_take` gave.
    pub(crate) fn give_back(&self) {
        self.live.fetch_sub(1, Relaxed);
    }

    /// Streams holding a place now.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Relaxed)
    }

    /// Streams made while every place was taken (they use epoll).
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn places_run_out_at_the_cap_and_come_back() {
        let budget = StreamBudget::new(2);
        assert!(budget.try_take());
        assert!(budget.try_take());
        assert!(!budget.try_take());
        assert_eq!((budget.live(), budget.refused()), (2, 1));
        budget.give_back();
        assert!(budget.try_take());
        assert_eq!((budget.live(), budget.refused()), (2, 1));
    }
}
