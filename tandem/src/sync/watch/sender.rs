//! The sending half of a watch channel.

use super::error::SendError;
use super::{Receiver, Ref, Shared};
use crate::loom::sync::atomic::Ordering::{AcqRel, Relaxed};
use crate::loom::sync::Arc;
use crate::sync::wait_list::{wait_until, wake_all};
use std::fmt;
use std::mem;

/// Publishes values to the [`Receiver`]s of a watch channel. Cloneable: the channel closes for
/// the receivers when the last clone drops.
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn from_shared(shared: Arc<Shared<T>>) -> Sender<T> {
        Sender { shared }
    }

    /// Creates a channel holding `init` and returns its sender alone: until [`subscribe`] makes
    /// a receiver, [`send`] fails (the other send methods work).
    ///
    /// [`subscribe`]: Sender::subscribe
    /// [`send`]: Sender::send
    pub fn new(init: T) -> Sender<T> {
        super::channel(init).0
    }

    /// Sends `value` to every receiver, which see it as changed.
    ///
    /// Fails, returning `value`, if no receiver exists (the channel is closed); the value is
    /// then not stored. [`send_replace`](Sender::send_replace), [`send_modify`](Sender::send_modify)
    /// and [`send_if_modified`](Sender::send_if_modified) store it regardless.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Modifies the value in place and notifies every receiver, receivers or not.
    ///
    /// # Panics
    /// If `modify` panics; then no receiver is notified, but what `modify` changed before it
    /// panicked stays visible to `borrow`.
    pub fn send_modify<F>(&self, modify: F)
    where
        F: FnOnce(&mut T),
    {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Lets `modify` change the value in place, and notifies every receiver only if it returns
    /// `true`, which it returns. A value changed by a `modify` that returns `false` is visible
    /// to `borrow` but announced to no one.
    ///
    /// # Panics
    /// If `modify` panics; then no receiver is notified, but what `modify` changed before it
    /// panicked stays visible to `borrow`.
    pub fn send_if_modified<F>(&self, modify: F) -> bool
    where
        F: FnOnce(&mut T) -> bool,
    {
        let mut value = self.shared.value.write();
        // A panic here unwinds through the guard: the lock is released (poisoning is ignored,
        // `loom::std_impl::RwLock`) and the version stays, so nobody is told.
        if !modify(&mut value) {
            return false;
        }
        // Under the write lock: a reader holding the read lock sees the version of its value.
        self.shared.state.publish();
        drop(value);
        wake_all(&self.shared.awaiting_change);
        true
    }

    /// Stores `value`, notifies every receiver (receivers or not), and returns the value it
    /// replaced.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|current| mem::swap(current, &mut value));
        value
    }

    /// Borrows the current value (its read lock; see [`Ref`]). [`Ref::has_changed`] is false.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes when every receiver is gone.
    ///
    /// A receiver made by [`subscribe`](Sender::subscribe) meanwhile reopens the channel: if
    /// the channel was closed only briefly, this may or may not notice.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn closed(&self) {
        let shared = &*self.shared;
        let closed = wait_until(&shared.awaiting_close, || {
            (shared.receivers.load(Relaxed) == 0).then_some(())
        });
        crate::rt::coop::cooperative(closed).await
    }

    /// Makes a new receiver, for which the current value counts as seen. Reopens a closed
    /// channel.
    pub fn subscribe(&self) -> Receiver<T> {
        let version = self.shared.state.load().version();
        Receiver::new(self.shared.clone(), version)
    }

    /// How many receivers exist.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Relaxed)
    }

    /// How many senders exist.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: a count only; the drop that reaches zero orders itself (AcqRel).
        self.shared.senders.fetch_add(1, Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender's drop comes after every other sender's last send.
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            self.shared.state.close();
            wake_all(&self.shared.awaiting_change);
        }
    }
}

impl<T: Default> Default for Sender<T> {
    fn default() -> Self {
        Sender::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("shared", &self.shared)
            .finish()
    }
}
