//! The waiters of one `Notify`: a FIFO that `notify_one` serves from the front, `notify_last`
//! from the back and `notify_waiters` whole, and that a waiter can leave in O(1).
//!
//! Unlike `sync/wait_list.rs`, a waiter served here keeps its slot until its future collects
//! the notification, so that the future learns how it was notified: a `notify_one` or
//! `notify_last` notification that its future drops instead of receiving must go on to the next
//! waiter, a `notify_waiters` one must not. A slot therefore belongs to one `Notified` from
//! [`Waiters::push`] until that future frees it ([`Waiters::poll`] finding it notified, or
//! [`Waiters::remove`]); its [`WaiterKey`] is neither `Copy` nor `Clone`, so no stale key exists.
//!
//! Not synchronised: `Notify` keeps the list under its mutex, and wakes the wakers it took only
//! after releasing it.

use std::task::Waker;

/// How a waiter was notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Notification {
    /// By `notify_one` (`Fifo`) or `notify_last` (`Lifo`): passed on if the future is dropped
    /// before it receives it.
    One(Strategy),
    /// By `notify_waiters`.
    All,
}

/// Which waiter a single notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strategy {
    /// The oldest (`notify_one`).
    Fifo,
    /// The newest (`notify_last`).
    Lifo,
}

/// One waiter's slot, owned by its future until the future frees it.
#[derive(Debug)]
pub(super) struct WaiterKey(u32);

/// What [`Waiters::poll`] found.
#[derive(Debug)]
pub(super) enum Polled {
    /// The waiter was notified; its slot is free again.
    Notified,
    /// Still waiting; the waker it replaced, to drop once the lock is released.
    Waiting(Option<Waker>),
}

/// The end of a chain: no waiter, or no free slot.
const NIL: u32 = u32::MAX;

/// Slots kept once no waiter holds one; above this many they are given back.
const SHRINK_ABOVE: usize = 1024;

#[derive(Debug)]
enum Slot {
    /// In the queue. A waiter enabled without a context has no waker yet.
    Waiting {
        waker: Option<Waker>,
        prev: u32,
        next: u32,
    },
    /// Out of the queue, notified; the future has not collected it yet.
    Notified(Notification),
    Vacant {
        next_free: u32,
    },
}

#[derive(Debug)]
pub(super) struct Waiters {
    slots: Vec<Slot>,
    /// The oldest waiting slot.
    head: u32,
    /// The newest waiting slot.
    tail: u32,
    free: u32,
    /// Slots in the queue.
    waiting: usize,
    /// Slots a future holds: waiting, or notified and not yet collected.
    held: usize,
}

impl Waiters {
    pub(super) const fn new() -> Waiters {
        Waiters {
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            waiting: 0,
            held: 0,
        }
    }

    /// True if no waiter is in the queue (notified ones waiting to be collected do not count).
    pub(super) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// Queues a waiter at the back.
    pub(super) fn push(&mut self, waker: Option<Waker>) -> WaiterKey {
        let slot = Slot::Waiting {
            waker,
            prev: self.tail,
            next: NIL,
        };
        let index = if self.free == NIL {
            let index = u32::try_from(self.slots.len())
                .ok()
                .filter(|&index| index != NIL)
                .unwrap_or_else(|| panic!("more than {} waiters on one Notify", NIL - 1));
            self.slots.push(slot);
            index
        } else {
            let index = self.free;
            let Slot::Vacant { next_free } = self.slots[index as usize] else {
                unreachable!("the free chain holds vacant slots only")
            };
            self.free = next_free;
            self.slots[index as usize] = slot;
            index
        };
        match self.tail {
            NIL => self.head = index,
            tail => *self.next_mut(tail) = index,
        }
        self.tail = index;
        self.waiting += 1;
        self.held += 1;
        WaiterKey(index)
    }

    /// Notifies the oldest (`Fifo`) or newest (`Lifo`) waiter: `None` if none waits, else the
    /// waker it left (if any), to wake once the lock is released.
    pub(super) fn notify_one(&mut self, strategy: Strategy) -> Option<Option<Waker>> {
        let index = match strategy {
            Strategy::Fifo => self.head,
            Strategy::Lifo => self.tail,
        };
        if index == NIL {
            return None;
        }
        Some(self.unlink(index, Notification::One(strategy)))
    }

    /// Notifies every waiter in the queue, adding their wakers to `wakers`.
    pub(super) fn notify_all(&mut self, wakers: &mut Vec<Waker>) {
        wakers.reserve(self.waiting);
        while self.head != NIL {
            if let Some(waker) = self.unlink(self.head, Notification::All) {
                wakers.push(waker);
            }
        }
    }

    /// The waiter of `key` polls: if it was notified, its slot is freed (the key is spent and
    /// must not be used again); if not, `waker` (when given) replaces its waker unless the two
    /// wake the same task.
    pub(super) fn poll(&mut self, key: &WaiterKey, waker: Option<&Waker>) -> Polled {
        match &mut self.slots[key.0 as usize] {
            Slot::Waiting { waker: slot, .. } => {
                let old = match (waker, &*slot) {
                    (Some(new), Some(old)) if old.will_wake(new) => None,
                    (Some(new), _) => slot.replace(new.clone()),
                    (None, _) => None,
                };
                Polled::Waiting(old)
            }
            Slot::Notified(_) => {
                self.vacate(key.0);
                Polled::Notified
            }
            Slot::Vacant { .. } => unreachable!("a waiter's slot is held until it is freed"),
        }
    }

    /// The waiter of `key` leaves, whether or not it was notified: returns the notification it
    /// had not collected, if any, and the waker it left in the queue, to drop once the lock is
    /// released (a waker's destructor may run any code, even a call back into this `Notify`).
    pub(super) fn remove(&mut self, key: WaiterKey) -> (Option<Notification>, Option<Waker>) {
        let left = match self.slots[key.0 as usize] {
            Slot::Waiting { .. } => (None, self.unlink(key.0, Notification::All)),
            Slot::Notified(notification) => (Some(notification), None),
            Slot::Vacant { .. } => unreachable!("a waiter's slot is held until it is freed"),
        };
        self.vacate(key.0);
        left
    }

    /// Takes the waiting slot `index` out of the queue, marks it notified, returns its waker.
    fn unlink(&mut self, index: u32, notification: Notification) -> Option<Waker> {
        let slot = std::mem::replace(
            &mut self.slots[index as usize],
            Slot::Notified(notification),
        );
        let Slot::Waiting { waker, prev, next } = slot else {
            unreachable!("only waiting slots are in the queue")
        };
        match prev {
            NIL => self.head = next,
            prev => *self.next_mut(prev) = next,
        }
        match next {
            NIL => self.tail = prev,
            next => *self.prev_mut(next) = prev,
        }
        self.waiting -= 1;
        waker
    }

    /// Frees a notified slot.
    fn vacate(&mut self, index: u32) {
        self.slots[index as usize] = Slot::Vacant {
            next_free: self.free,
        };
        self.free = index;
        self.held -= 1;
        if self.held == 0 && self.slots.len() > SHRINK_ABOVE {
            // A burst of waiters is over and no key is left: give its memory back.
            self.slots = Vec::new();
            self.free = NIL;
        }
    }

    fn next_mut(&mut self, index: u32) -> &mut u32 {
        match &mut self.slots[index as usize] {
            Slot::Waiting { next, .. } => next,
            _ => unreachable!("linked slots are waiting"),
        }
    }

    fn prev_mut(&mut self, index: u32) -> &mut u32 {
        match &mut self.slots[index as usize] {
            Slot::Waiting { prev, .. } => prev,
            _ => unreachable!("linked slots are waiting"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Notification, Polled, Strategy, Waiters};

    fn polled_notified(list: &mut Waiters, key: &super::WaiterKey) -> bool {
        matches!(list.poll(key, None), Polled::Notified)
    }

    #[test]
    fn fifo_and_lifo_take_opposite_ends() {
        let mut list = Waiters::new();
        let keys: Vec<_> = (0..4).map(|_| list.push(None)).collect();
        assert!(list.notify_one(Strategy::Fifo).is_some());
        assert!(list.notify_one(Strategy::Lifo).is_some());
        assert!(polled_notified(&mut list, &keys[0]));
        assert!(polled_notified(&mut list, &keys[3]));
        assert!(!polled_notified(&mut list, &keys[1]));
        assert!(!polled_notified(&mut list, &keys[2]));
        let mut keys = keys.into_iter();
        let (_, k1, k2) = (keys.next(), keys.next().unwrap(), keys.next().unwrap());
        assert_eq!(list.remove(k1).0, None);
        assert!(list.notify_one(Strategy::Fifo).is_some());
        assert_eq!(list.remove(k2).0, Some(Notification::One(Strategy::Fifo)));
        assert!(list.is_empty());
        assert!(list.notify_one(Strategy::Fifo).is_none());
    }

    #[test]
    fn notify_all_marks_every_waiter() {
        let mut list = Waiters::new();
        let keys: Vec<_> = (0..3).map(|_| list.push(None)).collect();
        let mut wakers = Vec::new();
        list.notify_all(&mut wakers);
        assert!(wakers.is_empty(), "no waiter left a waker");
        assert!(list.is_empty());
        for key in keys {
            assert_eq!(list.remove(key).0, Some(Notification::All));
        }
        assert_eq!(list.held, 0);
    }

    #[test]
    fn memory_of_a_burst_is_given_back() {
        let mut list = Waiters::new();
        let keys: Vec<_> = (0..3000).map(|_| list.push(None)).collect();
        for key in keys {
            list.remove(key);
        }
        assert_eq!(list.slots.capacity(), 0);
        let key = list.push(None);
        assert!(list.notify_one(Strategy::Lifo).is_some());
        assert!(polled_notified(&mut list, &key));
    }
}
