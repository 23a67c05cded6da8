//! The channel's state, all under one lock: the ring of the last `capacity` values, the handle
//! counts, and the two queues of waiting tasks. No waker is woken and no value is dropped
//! in here: each operation hands back what the caller must wake or drop once it has released
//! the lock (a value's `Drop` or a waker may use the same channel).
//!
//! Positions count the values ever sent (`u64`: it does not wrap in practice). Position `p`
//! lives in slot `p % capacity` until position `p + capacity` overwrites it; the *retained*
//! positions are `oldest()..tail`.
//!
//! Invariant: a receiver is counted in the `unread` of every retained position from its cursor
//! on, because it subscribed at the tail and reads in order. So a slot holds its value exactly
//! while `unread > 0`, and a receiver always finds a value where its cursor points.

use super::error::TryRecvError;
use crate::sync::wait_list::{WaitKey, WaitList};
use std::task::Waker;

#[derive(Debug)]
struct Slot<T> {
    /// Receivers, among those alive when it was sent, that have yet to read it.
    unread: usize,
    value: Option<T>,
}

/// What a read found at a receiver's cursor.
#[derive(Debug)]
pub(super) enum Read<'a, T> {
    /// Other receivers still have to read it: clone it under the lock.
    Shared(&'a T),
    /// This receiver was the last to read it: the channel let go of it, clone it after
    /// releasing the lock.
    Last(T),
}

#[derive(Debug)]
pub(super) struct Ring<T> {
    slots: Box<[Slot<T>]>,
    /// The position of the next value sent.
    tail: u64,
    /// Slots holding a value that some receiver has yet to read (`Sender::len`).
    queued: usize,
    pub(super) receivers: usize,
    pub(super) senders: usize,
    pub(super) weak_senders: usize,
    /// Receivers in `recv`, woken by each send and by the last sender's drop.
    pub(super) awaiting_value: WaitList<Waker>,
    /// Senders in `closed`, woken by the last receiver's drop.
    pub(super) awaiting_close: WaitList<Waker>,
}

impl<T> Ring<T> {
    /// A ring of `capacity` slots (a power of two) with one sender.
    pub(super) fn new(capacity: usize, receivers: usize) -> Ring<T> {
        debug_assert!(capacity.is_power_of_two());
        Ring {
            slots: (0..capacity)
                .map(|_| Slot {
                    unread: 0,
                    value: None,
                })
                .collect(),
            tail: 0,
            queued: 0,
            receivers,
            senders: 1,
            weak_senders: 0,
            awaiting_value: WaitList::new(),
            awaiting_close: WaitList::new(),
        }
    }

    /// The oldest position still retained.
    fn oldest(&self) -> u64 {
        self.tail.saturating_sub(self.slots.len() as u64)
    }

    fn slot_mut(&mut self, pos: u64) -> &mut Slot<T> {
        let mask = self.slots.len() as u64 - 1;
        &mut self.slots[(pos & mask) as usize]
    }

    /// Stores `value` for every current receiver, overwriting the oldest retained value if the
    /// ring is full. Returns the receiver count and the overwritten value (to drop unlocked),
    /// or `value` back if there is no receiver.
    pub(super) fn send(&mut self, value: T) -> Result<(usize, Option<T>), T> {
        if self.receivers == 0 {
            return Err(value);
        }
        let receivers = self.receivers;
        let tail = self.tail;
        let slot = self.slot_mut(tail);
        let overwritten = slot.value.replace(value);
        slot.unread = receivers;
        if overwritten.is_none() {
            self.queued += 1;
        }
        self.tail += 1;
        Ok((receivers, overwritten))
    }

    /// Reads the value at `cursor` and moves the cursor past it: a lagging cursor jumps to the
    /// oldest retained value instead (reporting how many it missed).
    pub(super) fn read(&mut self, cursor: &mut u64) -> Result<Read<'_, T>, TryRecvError> {
        let oldest = self.oldest();
        if *cursor < oldest {
            let missed = oldest - *cursor;
            *cursor = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        if *cursor == self.tail {
            return Err(match self.senders {
                0 => TryRecvError::Closed,
                _ => TryRecvError::Empty,
            });
        }
        let pos = *cursor;
        *cursor += 1;
        let slot = self.slot_mut(pos);
        slot.unread -= 1;
        if slot.unread > 0 {
            let slot = self.slot_mut(pos);
            let value = slot.value.as_ref();
            return Ok(Read::Shared(
                value.expect("a slot holds its value while unread"),
            ));
        }
        let value = slot.value.take();
        self.queued -= 1;
        Ok(Read::Last(
            value.expect("a slot holds its value while unread"),
        ))
    }

    /// A new receiver's cursor: values sent from now on.
    pub(super) fn subscribe(&mut self) -> u64 {
        self.receivers = self
            .receivers
            .checked_add(1)
            .expect("broadcast receiver count overflowed");
        self.tail
    }

    /// A receiver at `cursor` leaves: it no longer counts as a reader of what it did not read.
    /// Returns the values nobody else had to read and, if it was the last receiver, the
    /// wakers of `closed`: all to drop or wake once unlocked.
    pub(super) fn unsubscribe(&mut self, cursor: u64) -> (Vec<T>, Vec<Waker>) {
        self.receivers -= 1;
        let mut released = Vec::new();
        for pos in cursor.max(self.oldest())..self.tail {
            let slot = self.slot_mut(pos);
            slot.unread -= 1;
            if slot.unread == 0 {
                let value = slot.value.take();
                self.queued -= 1;
                released.extend(value);
            }
        }
        let wakers = match self.receivers {
            0 => self.awaiting_close.take_all(),
            _ => Vec::new(),
        };
        (released, wakers)
    }

    /// How many values some receiver has yet to read.
    pub(super) fn queued(&self) -> usize {
        self.queued
    }

    /// How many values were sent after `cursor` (including the ones overwritten since).
    pub(super) fn unread_from(&self, cursor: u64) -> usize {
        usize::try_from(self.tail - cursor).unwrap_or(usize::MAX)
    }

    /// Takes `key`'s waiter out of `awaiting_value` if it is still queued.
    pub(super) fn leave_value_queue(&mut self, key: &mut Option<WaitKey>) -> Option<Waker> {
        key.take().and_then(|key| self.awaiting_value.remove(key))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Read, Ring};
    use crate::sync::broadcast::error::TryRecvError;

    fn read(ring: &mut Ring<u32>, cursor: &mut u64) -> Result<u32, TryRecvError> {
        ring.read(cursor).map(|read| match read {
            Read::Shared(v) => *v,
            Read::Last(v) => v,
        })
    }

    #[test]
    fn the_last_reader_takes_the_value_out() {
        let mut ring = Ring::new(4, 0);
        let (mut a, mut b) = (ring.subscribe(), ring.subscribe());
        assert_eq!(ring.send(7).unwrap(), (2, None));
        assert!(matches!(ring.read(&mut a), Ok(Read::Shared(7))));
        assert_eq!(ring.queued(), 1);
        assert!(matches!(ring.read(&mut b), Ok(Read::Last(7))));
        assert_eq!(ring.queued(), 0);
        assert_eq!(read(&mut ring, &mut a), Err(TryRecvError::Empty));
    }

    #[test]
    fn a_lagging_cursor_jumps_to_the_oldest_retained_value() {
        let mut ring = Ring::new(2, 0);
        let mut cursor = ring.subscribe();
        for v in 1..=5u32 {
            let (_, overwritten) = ring.send(v).unwrap();
            assert_eq!(overwritten, v.checked_sub(2).filter(|&o| o > 0));
        }
        assert_eq!(ring.unread_from(cursor), 5);
        assert_eq!(read(&mut ring, &mut cursor), Err(TryRecvError::Lagged(3)));
        assert_eq!(read(&mut ring, &mut cursor), Ok(4));
        assert_eq!(read(&mut ring, &mut cursor), Ok(5));
        ring.senders = 0;
        assert_eq!(read(&mut ring, &mut cursor), Err(TryRecvError::Closed));
    }

    #[test]
    fn a_leaving_receiver_releases_what_only_it_had_to_read() {
        let mut ring = Ring::new(4, 0);
        let a = ring.subscribe();
        ring.send(1).unwrap();
        let mut b = ring.subscribe();
        ring.send(2).unwrap();
        assert_eq!(read(&mut ring, &mut b), Ok(2));
        let (released, wakers) = ring.unsubscribe(a);
        assert_eq!(released, [1, 2]);
        assert!(wakers.is_empty());
        assert_eq!(ring.queued(), 0);
        assert!(ring.send(3).is_ok());
        let (released, _) = ring.unsubscribe(b);
        assert_eq!(released, [3]);
        assert_eq!(ring.send(4), Err(4), "no receiver left");
    }
}
