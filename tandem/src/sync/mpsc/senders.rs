//! How many senders a channel has: the strong count decides when the receiver sees the end of
//! the stream; the weak count is only reported.
//!
//! Two words, each with its own protocol:
//!
//! | word     | changed by                                        | rule                              |
//! |----------|---------------------------------------------------|-----------------------------------|
//! | `strong` | `Sender` clone (+1), drop (-1); `WeakSender::upgrade` (+1) | once 0, never rises again |
//! | `weak`   | `WeakSender` creation (+1), drop (-1)             | a plain counter                   |
//!
//! `strong` reaching 0 is the one event with consequences: the sender that took it there
//! ([`Release::Last`]) must tell the receiver, under the channel's lock. An upgrade raises the
//! count only from a non-zero value (a compare-and-swap loop), so after that event no sender
//! can appear again and the receiver's "every sender is gone" is final.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub(super) struct SenderCounts {
    strong: AtomicUsize,
    weak: AtomicUsize,
}

/// What dropping a strong sender left the caller to do.
#[must_use = "the last sender must close the sending side"]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Release {
    /// Other senders remain.
    Others,
    /// This was the last strong sender: the caller closes the sending side.
    Last,
}

impl SenderCounts {
    /// One strong sender, no weak one.
    pub(super) fn new() -> SenderCounts {
        SenderCounts {
            strong: AtomicUsize::new(1),
            weak: AtomicUsize::new(0),
        }
    }

    /// A clone of a live sender: the count is at least 1 and stays so.
    pub(super) fn clone_strong(&self) {
        // Relaxed: the caller holds a strong sender, so the count cannot reach 0 meanwhile; no
        // data is published by a clone (Arc::clone's reasoning).
        let prev = self.strong.fetch_add(1, Ordering::Relaxed);
        assert!(prev < usize::MAX / 2, "too many mpsc senders");
    }

    /// A strong sender goes away.
    pub(super) fn drop_strong(&self) -> Release {
        // AcqRel: Release so this sender's sends happen before whatever the last dropper does;
        // Acquire so the last dropper sees every other sender's (they are ordered by this word).
        match self.strong.fetch_sub(1, Ordering::AcqRel) {
            1 => Release::Last,
            0 => unreachable!("a sender was dropped twice"),
            _ => Release::Others,
        }
    }

    /// A weak sender asks for a strong one: granted only while some strong sender lives.
    pub(super) fn upgrade(&self) -> bool {
        let mut curr = self.strong.load(Ordering::Relaxed);
        loop {
            if curr == 0 {
                return false;
            }
            // Acquire on success: pairs with the AcqRel decrement of other senders, as a clone.
            // Relaxed on failure: we only retry with the fresh value.
            match self.strong.compare_exchange_weak(
                curr,
                curr + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => curr = actual,
            }
        }
    }

    pub(super) fn add_weak(&self) {
        // Relaxed: a counter that only `weak_count` reports.
        self.weak.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn drop_weak(&self) {
        // Relaxed: as `add_weak`.
        self.weak.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn strong(&self) -> usize {
        // Acquire: pairs with `drop_strong`'s Release, so a reader that sees 0 sees every sent
        // message's push (which happened under the channel's lock before the drop).
        self.strong.load(Ordering::Acquire)
    }

    pub(super) fn weak(&self) -> usize {
        // Relaxed: a snapshot for reporting.
        self.weak.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Release, SenderCounts};

    #[test]
    fn the_count_never_rises_from_zero() {
        let counts = SenderCounts::new();
        counts.clone_strong();
        assert!(counts.upgrade());
        assert_eq!(counts.strong(), 3);
        assert_eq!(counts.drop_strong(), Release::Others);
        assert_eq!(counts.drop_strong(), Release::Others);
        assert_eq!(counts.drop_strong(), Release::Last);
        assert!(!counts.upgrade());
        assert_eq!(counts.strong(), 0);
    }
}
