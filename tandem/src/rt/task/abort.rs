//! `AbortHandle`: cancels a task without owning its output.

use super::id::Id;
use super::raw::RawTask;
use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};

/// Cancels a task. Unlike [`JoinHandle`](super::JoinHandle), it can be cloned and dropping it
/// does nothing to the task.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = tandem::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// abort.abort();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// assert!(abort.is_finished());
/// # });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

// SAFETY: only the atomic state word is touched through an `AbortHandle`.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}
impl UnwindSafe for AbortHandle {}
impl RefUnwindSafe for AbortHandle {}

impl AbortHandle {
    /// Takes ownership of one reference.
    pub(super) fn new(raw: RawTask) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Cancels the task (see [`JoinHandle::abort`](super::JoinHandle::abort)).
    pub fn abort(&self) {
        remote_abort(self.raw);
    }

    /// True if the task has completed.
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.header().id()
    }
}

/// Marks the task cancelled, scheduling it if it was idle so that the cancellation runs.
pub(super) fn remote_abort(raw: RawTask) {
    if raw.header().state.transition_to_notified_and_cancel() {
        // SAFETY: the transition added the reference this notification stands for.
        unsafe { raw.schedule() };
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        // SAFETY: the handle owns one reference.
        unsafe { self.raw.drop_reference() }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
