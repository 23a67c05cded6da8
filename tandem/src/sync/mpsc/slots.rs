//! A bounded channel's capacity: how many slots are free, and the senders waiting for some, in
//! the order they asked.
//!
//! Plain data, kept under the channel's lock (`chan.rs`). A slot is held by exactly one of: the
//! free count, a waiting sender it was assigned to, a permit, or a buffered message. So while the
//! receiver is open, `available + assigned + permits + buffered == bound`; the channel is *idle*
//! when every slot is free (`available == bound`).
//!
//! Fairness: a slot that comes back goes to the waiter at the front before anyone else, so
//! `available > 0` only while nobody waits, and a sender that finds `available` short queues
//! behind those that came first. A waiter asking for several slots (`reserve_many`) keeps the
//! ones it was given while it waits for the rest; it is *served* (and leaves the list) once it
//! holds them all.

use crate::sync::wait_list::{WaitKey, WaitList};
use std::task::Waker;

#[derive(Debug)]
pub(super) struct Slots {
    bound: usize,
    available: usize,
    waiters: WaitList<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    /// Taken when the waiter is woken (served, or the channel closed).
    waker: Option<Waker>,
    /// Slots still to come.
    missing: usize,
    /// Slots given so far: they go back if the waiter gives up.
    assigned: usize,
}

/// The outcome of asking for slots.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Acquire {
    /// The slots are the caller's.
    Taken,
    /// Not enough were free: the caller waits with this key, holding what it got.
    Queued(WaitKey),
}

impl Slots {
    pub(super) fn new(bound: usize) -> Slots {
        Slots {
            bound,
            available: bound,
            waiters: WaitList::new(),
        }
    }

    pub(super) fn bound(&self) -> usize {
        self.bound
    }

    pub(super) fn available(&self) -> usize {
        self.available
    }

    /// How many senders wait.
    pub(super) fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Every slot is free: no permit, no assigned slot, no buffered message.
    pub(super) fn is_idle(&self) -> bool {
        self.available == self.bound
    }

    /// Takes `n` slots if that many are free now, or none.
    pub(super) fn try_take(&mut self, n: usize) -> bool {
        if self.available >= n {
            self.available -= n;
            true
        } else {
            false
        }
    }

    /// Takes what is free of `n` (`n <= bound`), and queues for the rest.
    pub(super) fn acquire(&mut self, n: usize, waker: &Waker) -> Acquire {
        debug_assert!(n <= self.bound, "checked by the caller");
        debug_assert!(
            self.available == 0 || self.waiters.is_empty(),
            "free slots while senders wait"
        );
        let taken = n.min(self.available);
        self.available -= taken;
        if taken == n {
            return Acquire::Taken;
        }
        Acquire::Queued(self.waiters.push_back(Waiter {
            waker: Some(waker.clone()),
            missing: n - taken,
            assigned: taken,
        }))
    }

    /// A queued caller polls again: true once served (it holds all its slots and has left the
    /// list). Otherwise its waker is refreshed; the one it replaces goes to `garbage`, to be
    /// dropped once the lock is released.
    pub(super) fn poll_queued(
        &mut self,
        key: WaitKey,
        waker: &Waker,
        garbage: &mut Vec<Waker>,
    ) -> bool {
        let Some(waiter) = self.waiters.get_mut(key) else {
            return true;
        };
        match &waiter.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => {
                if let Some(old) = waiter.waker.replace(waker.clone()) {
                    garbage.push(old);
                }
            }
        }
        false
    }

    /// A queued caller gives up (cancelled, or the channel closed): how many slots it held, to
    /// be given back with [`release`](Self::release) or [`release_closed`](Self::release_closed).
    /// `n` is what it asked for, all of which it holds if it was served already. Its waker
    /// goes to `garbage`: it may be the last handle on a task that owns a permit of this
    /// channel, so it must not be dropped under the lock.
    pub(super) fn leave(&mut self, key: WaitKey, n: usize, garbage: &mut Vec<Waker>) -> usize {
        match self.waiters.remove(key) {
            Some(waiter) => {
                garbage.extend(waiter.waker);
                waiter.assigned
            }
            None => n,
        }
    }

    /// `k` slots come back while the receiver is open: the front waiters get them first; a
    /// waiter that now holds all it asked for leaves the list, and its waker goes to `wakers`.
    pub(super) fn release(&mut self, mut k: usize, wakers: &mut super::wakers::Wakers) {
        while k > 0 {
            let Some(front) = self.waiters.front_mut() else {
                break;
            };
            let given = k.min(front.missing);
            front.missing -= given;
            front.assigned += given;
            k -= given;
            if front.missing == 0 {
                let served = self.waiters.pop_front().expect("the front was just seen");
                if let Some(waker) = served.waker {
                    wakers.push(waker);
                }
            }
        }
        self.available += k;
        debug_assert!(
            self.available <= self.bound,
            "more slots came back than exist"
        );
    }

    /// `k` slots come back after the receiver closed: nobody will be served any more (each
    /// waiter gives its own slots back when it sees the close), so they are simply free.
    pub(super) fn release_closed(&mut self, k: usize) {
        self.available += k;
        debug_assert!(
            self.available <= self.bound,
            "more slots came back than exist"
        );
    }

    /// The receiver closed: every waiter is woken to see it (and give back what it holds).
    pub(super) fn wake_all(&mut self, wakers: &mut super::wakers::Wakers) {
        self.waiters.for_each_mut(|waiter| {
            if let Some(waker) = waiter.waker.take() {
                wakers.push(waker);
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Acquire, Slots};
    use crate::sync::mpsc::wakers::Wakers;
    use std::task::Waker;

    #[test]
    fn a_returned_slot_goes_to_the_first_waiter() {
        let waker = Waker::noop();
        let mut slots = Slots::new(2);
        assert!(slots.try_take(2));
        let Acquire::Queued(first) = slots.acquire(2, waker) else {
            panic!("full")
        };
        let Acquire::Queued(second) = slots.acquire(1, waker) else {
            panic!("full")
        };
        let mut wakers = Wakers::new();
        slots.release(1, &mut wakers);
        assert_eq!(
            slots.available(),
            0,
            "the first waiter keeps a partial grant"
        );
        assert!(!slots.poll_queued(first, waker, &mut Vec::new()));
        slots.release(1, &mut wakers);
        assert!(slots.poll_queued(first, waker, &mut Vec::new()), "served");
        assert!(!slots.poll_queued(second, waker, &mut Vec::new()));
        assert!(!slots.try_take(1), "no jumping the queue");
        assert_eq!(slots.leave(second, 1, &mut Vec::new()), 0);
        assert_eq!(slots.leave(first, 2, &mut Vec::new()), 2);
        slots.release(2, &mut wakers);
        assert!(slots.is_idle());
        wakers.wake();
    }

    #[test]
    fn a_waiter_that_leaves_gives_back_its_partial_grant() {
        let waker = Waker::noop();
        let mut slots = Slots::new(3);
        assert!(slots.try_take(1));
        let Acquire::Queued(key) = slots.acquire(3, waker) else {
            panic!("short")
        };
        assert_eq!(slots.available(), 0);
        let back = slots.leave(key, 3, &mut Vec::new());
        assert_eq!(back, 2);
        slots.release_closed(back + 1);
        assert!(slots.is_idle());
    }
}
