//! The receiving half of a watch channel.

use super::error::RecvError;
use super::state::Version;
use super::{Ref, Shared};
use crate::loom::sync::atomic::Ordering::{AcqRel, Relaxed};
use crate::loom::sync::Arc;
use crate::sync::wait_list::{wait_until, wake_all};
use std::fmt;

/// Reads the values of a watch channel and awaits their changes. Each clone remembers, on its
/// own, the version it last saw.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver last saw.
    version: Version,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, version: Version) -> Receiver<T> {
        // Relaxed: a count only (`Sender::closed` orders itself by its list's lock).
        shared.receivers.fetch_add(1, Relaxed);
        Receiver { shared, version }
    }

    /// Borrows the most recent value (its read lock; see [`Ref`]) without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        // Under the read lock no sender publishes: this is the borrowed value's version.
        let current = self.shared.state.load().version();
        Ref {
            guard,
            has_changed: current != self.version,
        }
    }

    /// Borrows the most recent value (its read lock; see [`Ref`]) and marks it seen: a
    /// following [`changed`](Receiver::changed) waits for a newer one.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let current = self.shared.state.load().version();
        let has_changed = current != self.version;
        self.version = current;
        Ref { guard, has_changed }
    }

    /// Whether the current value is unseen (a value equal to the last one still counts as a
    /// change). Does not mark it seen.
    ///
    /// # Errors
    /// If and only if every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.shared.state.load();
        if state.is_closed() {
            return Err(RecvError(()));
        }
        Ok(state.version() != self.version)
    }

    /// Whether every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.state.load().is_closed()
    }

    /// Marks the current value unseen, whether or not a new one was sent: `has_changed`
    /// returns `true` and `changed` completes at once.
    pub fn mark_changed(&mut self) {
        self.version = self.version.previous();
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.version = self.shared.state.load().version();
    }

    /// Waits until the current value is unseen, then marks it seen. Completes at once if it is
    /// unseen already.
    ///
    /// # Errors
    /// If every sender is gone and the current value was seen.
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled call marked nothing seen.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        crate::rt::coop::cooperative(changed(&self.shared, &mut self.version)).await
    }

    /// Waits for a value for which `f` returns `true`, and returns it borrowed (its read lock,
    /// see [`Ref`]), marked seen.
    ///
    /// `f` first sees the current value, even if it was seen; then each value sent, the most
    /// recent one each time (a value replaced before `f` saw it is skipped). Every value `f`
    /// sees is marked seen.
    ///
    /// # Errors
    /// When every sender is gone; `f` has then seen the last value and returned `false` for it.
    ///
    /// # Cancel safety
    /// Cancel safe: the last value marked seen, if any, is one for which `f` returned `false`.
    ///
    /// # Panics
    /// If and only if `f` panics; nothing of the channel is poisoned then.
    pub async fn wait_for(&mut self, f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        crate::rt::coop::cooperative(wait_for(&self.shared, &mut self.version, f)).await
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// `Some` if `changed` should complete now: the current value is unseen (it is marked seen),
/// or the channel is closed.
fn check_changed<T>(shared: &Shared<T>, version: &mut Version) -> Option<Result<(), RecvError>> {
    let state = shared.state.load();
    if state.version() != *version {
        *version = state.version();
        Some(Ok(()))
    } else if state.is_closed() {
        Some(Err(RecvError(())))
    } else {
        None
    }
}

async fn changed<T>(shared: &Shared<T>, version: &mut Version) -> Result<(), RecvError> {
    wait_until(&shared.awaiting_change, || check_changed(shared, version)).await
}

async fn wait_for<'a, T>(
    shared: &'a Shared<T>,
    version: &mut Version,
    mut f: impl FnMut(&T) -> bool,
) -> Result<Ref<'a, T>, RecvError> {
    let mut closed = false;
    loop {
        {
            let guard = shared.value.read();
            let current = shared.state.load().version();
            let has_changed = current != *version;
            *version = current;
            // Once closed, only a value sent just before the close is worth showing to `f`. A
            // panic in `f` releases the read lock on the way out, which poisons nothing.
            if (!closed || has_changed) && f(&guard) {
                return Ok(Ref { guard, has_changed });
            }
        }
        if closed {
            return Err(RecvError(()));
        }
        closed = changed(shared, version).await.is_err();
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver::new(self.shared.clone(), self.version)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: ordered with the other receivers' drops, so exactly one sees the last.
        if self.shared.receivers.fetch_sub(1, AcqRel) == 1 {
            wake_all(&self.shared.awaiting_close);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("shared", &self.shared)
            .field("version", &self.version)
            .finish()
    }
}
