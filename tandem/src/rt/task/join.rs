//! `JoinHandle`: an owned permission to await a task's output.

use super::abort::AbortHandle;
use super::error::JoinError;
use super::id::Id;
use super::raw::RawTask;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Awaits the output of a spawned task.
///
/// Dropping a `JoinHandle` detaches the task: it keeps running. [`abort`](JoinHandle::abort)
/// cancels it; awaiting then gives a [`JoinError`] for which `is_cancelled()` is true, unless the
/// task completed first.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let handle = tandem::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the `T: Send` output out of the task; all shared state is behind
// the atomic state word.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` allows only `abort`, `is_finished` and `id`, which touch the state word.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(super) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancels the task. Awaiting the handle afterwards returns a cancelled `JoinError`, unless
    /// the task had already completed. A running task is cancelled when its current poll returns.
    pub fn abort(&self) {
        super::abort::remote_abort(self.raw);
    }

    /// True if the task has completed (with an output, a panic or a cancellation).
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// A handle that can abort the task without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle::new(self.raw)
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.header().id()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Awaiting a handle costs budget, so a loop over always-ready handles still yields.
        let coop = std::task::ready!(crate::rt::coop::poll_proceed(cx));
        let mut ret = Poll::Pending;
        // SAFETY: `ret` has the task's output type, and we are its `JoinHandle`.
        unsafe {
            self.raw.try_read_output(
                &mut ret as *mut Poll<Result<T, JoinError>> as *mut (),
                cx.waker(),
            )
        };
        if ret.is_ready() {
            coop.made_progress();
        }
        ret
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: called once, giving up the handle's reference.
        unsafe { self.raw.drop_join_handle() }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}
