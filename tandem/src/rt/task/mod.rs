//! The raw task: its memory, state word, harness, waker and handles (`JoinHandle`,
//! `AbortHandle`); the public `tandem::task` re-exports the handles.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `state.rs` | the state word: bit layout, reference count, named transitions |
//! | `id.rs` | `Id`, the process-wide counter, `id`/`try_id` |
//! | `error.rs` | `JoinError` |
//! | `core.rs` | the allocation: `Header`, the scheduler, the future or its output |
//! | `raw.rs` | `RawTask`: the vtable-typed pointer every handle holds |
//! | `harness.rs` | poll, complete, cancel, drop: what the vtable runs |
//! | `waker.rs` | the waker that is the task pointer |
//! | `join.rs`, `abort.rs` | `JoinHandle`, `AbortHandle` |
//! | `list.rs` | `OwnedTasks`: the sharded owned-tasks list that shutdown cancels |
//!
//! # Memory
//! A task is one heap allocation (`core::Cell`): the `Header` (state word, vtable, intrusive
//! queue and list links, id, join waker) followed by the scheduler handle and the future, which is
//! replaced in place by its output. Wakers, run-queue entries and handles are all pointers to that
//! allocation, counted in the state word (`state.rs` documents the bit layout).
//!
//! # References
//! A spawned task starts with three references: the owned-tasks list's (`Task`), the first
//! run-queue entry's (`Notified`), and the `JoinHandle`'s. Each `Waker` clone adds one. Running a
//! notification turns its reference into the "running" reference, which the poll either hands to
//! the next notification (woken while running), releases (idle), or gives up at completion along
//! with the list's.
//!
//! # Lifecycle
//! 1. `spawn` allocates the cell, links it into the runtime's `OwnedTasks` and schedules it.
//! 2. A worker runs the notification: `transition_to_running`, poll, `transition_to_idle`.
//! 3. On `Ready` (or a panic, or cancellation) the future is dropped *first*, then the output is
//!    stored, COMPLETE is set, and the join waker is woken: a joiner never observes completion
//!    before the future's destructor has run.
//! 4. The task is unlinked from `OwnedTasks`; the last reference frees the cell.
//! 5. Abort sets CANCELLED (scheduling the task if it was idle); shutdown sets CANCELLED and
//!    cancels every idle task in place. A running task notices CANCELLED when its poll returns.

mod abort;
mod core;
mod error;
mod harness;
mod id;
mod join;
pub(crate) mod list;
mod raw;
mod state;
mod waker;
pub(crate) use self::waker::is_waker_of;

#[cfg(all(test, loom))]
mod tests;

pub use self::abort::AbortHandle;
pub use self::error::JoinError;
pub use self::id::{id, try_id, Id};
#[cfg(all(test, loom))]
pub(crate) use self::id::{id_in_shard, shard_zero_id};
pub use self::join::JoinHandle;

pub(crate) use self::core::Header;
pub(crate) use self::raw::RawTask;

use std::future::Future;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// What a task needs from the scheduler that owns it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Unlinks a completed task from the owned-tasks list, returning the list's reference, or
    /// `None` if it was not listed (already unlinked by shutdown, or never listed).
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// Schedules a task that was woken.
    fn schedule(&self, task: Notified<Self>);

    /// Schedules a task that was woken while it ran: behind the other runnable tasks.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// After a poll of the task at `header` returned `Pending`: whether the poll asked, through
    /// `yield_now` with the task's own waker, to run again once the scheduler has run the rest
    /// (the harness then makes the task notified as it goes idle, in the same transition, and
    /// hands the notification to `defer_yield`). Takes the request.
    fn take_yield_request(&self, header: NonNull<Header>) -> bool {
        let _ = header;
        false
    }

    /// Schedules a task that yielded (see `take_yield_request`).
    fn defer_yield(&self, task: Notified<Self>) {
        self.yield_now(task);
    }
}

/// The owned-list's reference to a task.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<S>,
}

/// A reference that stands for one pending run of the task: what run queues hold.
pub(crate) struct Notified<S: 'static>(Task<S>);

/// A task not in any owned list (blocking tasks): both the owned and the notified reference.
pub(crate) struct UnownedTask<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<S>,
}

// SAFETY: tasks are created from `Send` futures and outputs, or (`new_local_task`) from any
// futures whose stage only their owner thread touches; every access to the cell's contents is
// synchronised by the state word (see `state.rs`). A handle that crosses threads for a local task
// only moves through a queue or gives its reference up, which never touches the stage there
// (`rt/scheduler/local.rs` states why).
unsafe impl<S> Send for Task<S> {}
// SAFETY: as above; shared access goes through the atomic state word.
unsafe impl<S> Sync for Task<S> {}
// SAFETY: as for `Task`.
unsafe impl<S> Send for Notified<S> {}
// SAFETY: as for `Task`.
unsafe impl<S> Sync for Notified<S> {}
// SAFETY: as for `Task`.
unsafe impl<S> Send for UnownedTask<S> {}

/// Allocates a task. Returns the three references of a new task: owned, notified, join handle.
pub(crate) fn new_task<T, S>(
    future: T,
    scheduler: S,
    id: Id,
) -> (Task<S>, Notified<S>, JoinHandle<T::Output>)
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new(core::Cell::new(future, scheduler, 3, id));
    let task = Task::from_raw(raw);
    let notified = Notified(Task::from_raw(raw));
    let join = JoinHandle::new(raw);
    (task, notified, join)
}

/// As [`new_task`], for a future or output that need not be `Send`: a local task.
///
/// # Safety
/// The future and its output must only ever be polled or dropped on the thread that calls this
/// (the owner thread):
/// - `scheduler` hands every notification, from any thread, to a queue that only the owner
///   thread runs, and only the owner thread calls `Task::shutdown`; so RUNNING, and with it the
///   stage, is only ever claimed there;
/// - the owned reference (`Task`) is kept (in a list) until the task completed or was shut down,
///   so the last reference, which may be given up on any thread, never finds a future in the
///   stage; and an output that is not `Send` is only read or dropped by the `JoinHandle`, which
///   is then `!Send` too, or by the completing poll on the owner thread.
pub(crate) unsafe fn new_local_task<T, S>(
    future: T,
    scheduler: S,
    id: Id,
) -> (Task<S>, Notified<S>, JoinHandle<T::Output>)
where
    T: Future + 'static,
    T::Output: 'static,
    S: Schedule,
{
    let raw = RawTask::new(core::Cell::new(future, scheduler, 3, id));
    let task = Task::from_raw(raw);
    let notified = Notified(Task::from_raw(raw));
    let join = JoinHandle::new(raw);
    (task, notified, join)
}

/// Allocates a task that no list owns (for the blocking pool).
pub(crate) fn unowned<T, S>(
    future: T,
    scheduler: S,
    id: Id,
) -> (UnownedTask<S>, JoinHandle<T::Output>)
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
    S: Schedule,
{
    // Two references for the UnownedTask (owned + notified), one for the JoinHandle.
    let raw = RawTask::new(core::Cell::new(future, scheduler, 3, id));
    let join = JoinHandle::new(raw);
    (
        UnownedTask {
            raw,
            _scheduler: PhantomData,
        },
        join,
    )
}

impl<S: 'static> Task<S> {
    pub(crate) fn from_raw(raw: RawTask) -> Task<S> {
        Task {
            raw,
            _scheduler: PhantomData,
        }
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.raw.header_ptr()
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id()
    }

    /// Runtime shutdown: cancels the task if idle. Consumes this (owned-list) reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: we hand over the reference we own.
        unsafe { raw.shutdown() }
    }

    /// Gives up this handle without touching the reference count.
    pub(crate) fn into_raw(self) -> RawTask {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }
}

impl<S: 'static> Notified<S> {
    /// The task's header: what its wakers point at (see `waker::is_waker_of`).
    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.0.header_ptr()
    }

    /// Runs the task once (poll, or cancel if asked). Consumes the notification's reference.
    pub(crate) fn run(self) {
        let raw = self.0.into_raw();
        // SAFETY: we hand over the notification's reference.
        unsafe { raw.poll() }
    }

    pub(crate) fn into_raw(self) -> RawTask {
        self.0.into_raw()
    }

    /// # Safety
    /// `raw` stands for a notification reference of a task scheduled by `S`.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified<S> {
        Notified(Task::from_raw(raw))
    }
}

impl<S: 'static> UnownedTask<S> {
    /// Runs the task once, giving up both references.
    pub(crate) fn run(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // The poll consumes the notified reference; drop the owned one.
        // SAFETY: we own both references.
        unsafe {
            raw.poll();
            raw.drop_reference();
        }
    }

    /// Cancels a task that will never run (the pool is shutting down). Gives up both references.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: we own both references; `shutdown` consumes one.
        unsafe {
            raw.shutdown();
            raw.drop_reference();
        }
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        // SAFETY: a `Task` owns one reference.
        unsafe { self.raw.drop_reference() }
    }
}

impl<S: 'static> Drop for UnownedTask<S> {
    fn drop(&mut self) {
        // SAFETY: an `UnownedTask` owns two references.
        if self.raw.header().state.ref_dec_twice() {
            // SAFETY: those were the last.
            unsafe { self.raw.dealloc() }
        }
    }
}

impl<S: 'static> std::fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notified")
            .field("id", &self.0.id())
            .finish()
    }
}
