//! Reserved room in a bounded channel: [`Permit`], [`PermitIterator`], [`OwnedPermit`]. Each
//! holds slots of the channel (permits of its semaphore, see `chan.rs`); sending uses one,
//! dropping gives them back.

use super::bounded::Sender;
use super::chan::Chan;
use std::fmt;

/// Room for one value, reserved by [`Sender::reserve`] or [`Sender::try_reserve`]. Sending
/// through it never waits; dropping it gives the room back.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// Room for several values, reserved by [`Sender::reserve_many`] or
/// [`Sender::try_reserve_many`]: yields one [`Permit`] per value. Dropping it gives back the
/// room of the permits not yet taken.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
}

/// Room for one value, owning the sender: reserved by [`Sender::reserve_owned`] or
/// [`Sender::try_reserve_owned`]. Sending (or releasing) returns the [`Sender`].
pub struct OwnedPermit<T> {
    /// `None` only once sent or released.
    sender: Option<Sender<T>>,
}

impl<'a, T> Permit<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Permit<'a, T> {
        Permit { chan }
    }

    /// Sends `value` in the reserved room. It is received in order after the values sent
    /// before; if the receiver is gone by now, the value is dropped.
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The slot becomes the message's: the permit must not give it back as well.
        std::mem::forget(self);
        chan.send_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.give_back(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("chan", &self.chan).finish()
    }
}

impl<'a, T> PermitIterator<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>, n: usize) -> PermitIterator<'a, T> {
        PermitIterator { chan, n }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit::new(self.chan))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        self.chan.give_back(self.n);
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("chan", &self.chan)
            .field("capacity", &self.n)
            .finish()
    }
}

impl<T> OwnedPermit<T> {
    pub(super) fn new(sender: Sender<T>) -> OwnedPermit<T> {
        OwnedPermit {
            sender: Some(sender),
        }
    }

    fn take(&mut self) -> Sender<T> {
        self.sender
            .take()
            .expect("an OwnedPermit holds its sender until sent or released")
    }

    /// Sends `value` in the reserved room, and returns the sender.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.take();
        sender.tx().chan().send_reserved(value);
        sender
    }

    /// Gives the room back without sending, and returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.take();
        sender.tx().chan().give_back(1);
        sender
    }

    /// True if both permits belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        match (&self.sender, &other.sender) {
            (Some(a), Some(b)) => a.same_channel(b),
            _ => false,
        }
    }

    /// True if this permit belongs to `sender`'s channel.
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.sender
            .as_ref()
            .is_some_and(|own| own.same_channel(sender))
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.tx().chan().give_back(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit")
            .field("chan", &self.sender.as_ref().map(Sender::tx))
            .finish()
    }
}
