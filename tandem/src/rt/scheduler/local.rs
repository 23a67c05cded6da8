//! The local scheduler behind `task::LocalSet` and `runtime::LocalRuntime`: tasks whose futures
//! and outputs need not be `Send`, polled only on the thread that owns the scheduler.
//!
//! A `LocalScheduler` is `!Send` (it holds an `Rc`), so the thread that creates it is the only
//! one that ever spawns onto it, polls it or drops it: its *owner thread*. Its tasks are ordinary
//! raw tasks (`rt/task/`), made by the unsafe `OwnedTasks::bind_local`, whose scheduler handle is
//! an `Arc<LocalShared>`, shared with wakers on any thread.
//!
//! Queues:
//! - the *local queue* (`RefCell<VecDeque>`), touched only on the owner thread: spawns, and
//!   wake-ups on the owner thread while this scheduler is the current one there (`CURRENT`);
//! - the *remote queue* (`Mutex<Remote>`): every other wake-up, with the waker of whoever polls
//!   the scheduler. A push takes that waker and wakes it; a poll registers its waker and takes the
//!   queue under the same lock, so a push either lands before the poll's take (and runs in that
//!   poll) or finds the new waker (and wakes the next). Closing the scheduler sets `closed` under
//!   that lock; later pushes drop their notification on the pushing thread.
//!
//! One poll of the scheduler (a *tick*) runs at most [`MAX_TASKS_PER_TICK`] tasks, each under a
//! fresh cooperative budget, takes the remote queue at the start and every [`REMOTE_INTERVAL`]
//! tasks, and asks to be polled again (waking its waker) if tasks are left.
//!
//! # Why a `!Send` future never leaves the owner thread
//! The stage of a task (its future, then its output) is touched by whoever holds RUNNING
//! (`rt/task/state.rs`), and by the last reference when it frees the cell. Here:
//! 1. RUNNING is claimed only by running a notification or by `Task::shutdown`. Notifications are
//!    run only by a tick, and `shutdown` is only called by `close`, both on the owner thread
//!    (they need `&LocalScheduler`). Another thread holding a notification only pushes it into
//!    the remote queue, or drops it if the queue is closed: dropping gives up a reference, it
//!    never runs the task.
//! 2. The owned list holds its reference until the task has completed (the future dropped by the
//!    completing poll) or was shut down by `close` (the future dropped there). So the last
//!    reference, which a waker may give up on any thread, finds the stage empty, or holding an
//!    output that the `JoinHandle` still owns.
//! 3. An output that is not `Send` is read or dropped by the `JoinHandle`, which is then `!Send`
//!    and stays on the owner thread, or by the completing poll (no handle left) on that thread.
//!
//! `close` (the scheduler's drop) closes the remote queue, shuts every task down on the owner
//! thread (their futures are dropped here, with the runtime entered if there is one), and drops
//! the notifications left.

use crate::loom::sync::{Arc, Mutex};
use crate::rt::coop;
use crate::rt::scheduler::{context, SchedulerHandle};
use crate::rt::task::list::OwnedTasks;
use crate::rt::task::{Id, JoinHandle, Notified, Schedule, Task};
use crate::util::waker_slot;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Tasks one tick runs at most before it yields to whoever polls the scheduler (as Tokio's).
pub(crate) const MAX_TASKS_PER_TICK: u32 = 61;

/// Tasks between two takes of the remote queue within a tick.
pub(crate) const REMOTE_INTERVAL: u32 = 31;

/// The panic message of `task::spawn_local` outside a local scheduler (Tokio's text).
const NO_LOCAL_SET: &str =
    "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`";

/// The panic message of `task::spawn_local` in a `LocalRuntime` entered (through its handle) on
/// another thread than the one that built it (Tokio's text).
const NOT_LOCAL_OWNER: &str =
    "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on";

/// The owner's handle: spawns, polls, closes. `!Send` and `!Sync` through the `Rc`.
pub(crate) struct LocalScheduler {
    cx: Rc<LocalContext>,
    /// Entered while `close` drops the tasks (a `LocalRuntime`'s runtime), so destructors that
    /// need a runtime find one.
    runtime: Option<SchedulerHandle>,
}

/// The owner thread's side.
struct LocalContext {
    shared: Arc<LocalShared>,
    queue: RefCell<VecDeque<Notified<Arc<LocalShared>>>>,
    /// True while a poll of the scheduler runs here: a local push then needs no wake-up, since
    /// the tick that ends that poll sees it.
    polling: Cell<bool>,
}

/// The side shared with tasks and wakers on any thread.
pub(crate) struct LocalShared {
    owned: OwnedTasks<Arc<LocalShared>>,
    remote: Mutex<Remote>,
}

struct Remote {
    queue: VecDeque<Notified<Arc<LocalShared>>>,
    /// The waker of the last poll, taken by the first push after it.
    waker: Option<Waker>,
    closed: bool,
}

#[cfg(not(loom))]
std::thread_local! {
    /// The local scheduler entered on this thread (by a poll, `LocalSet::enter` or a
    /// `LocalRuntime`).
    static CURRENT: RefCell<Option<Rc<LocalContext>>> = const { RefCell::new(None) };
}

// Loom runs every model thread on one OS thread: the slot must be per model thread.
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: RefCell<Option<Rc<LocalContext>>> = RefCell::new(None);
}

/// Restores the previously entered local scheduler (and its `polling` flag) when dropped.
pub(crate) struct LocalEnterGuard {
    _no_block_in_place: crate::rt::context::AllowBlockInPlaceGuard,
    cx: Rc<LocalContext>,
    prev: Option<Rc<LocalContext>>,
    prev_polling: bool,
}

// SAFETY: `LocalEnterGuard` has no method that takes `&self`, so a shared reference to it allows
// nothing on any thread; it stays `!Send` (dropping it elsewhere would restore the wrong slot).
// This lets a runtime `EnterGuard` that carries one stay `Sync`, as Tokio's is.
unsafe impl Sync for LocalEnterGuard {}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        self.cx.polling.set(self.prev_polling);
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|cur| *cur.borrow_mut() = prev);
    }
}

impl LocalScheduler {
    pub(crate) fn new(runtime: Option<SchedulerHandle>) -> LocalScheduler {
        let shared = Arc::new(LocalShared {
            owned: OwnedTasks::new(1),
            remote: Mutex::new(Remote {
                queue: VecDeque::new(),
                waker: None,
                closed: false,
            }),
        });
        LocalScheduler {
            cx: Rc::new(LocalContext {
                shared,
                queue: RefCell::new(VecDeque::with_capacity(64)),
                polling: Cell::new(false),
            }),
            runtime,
        }
    }

    /// Makes this scheduler the current one on this thread (for `task::spawn_local` and local
    /// wake-ups) until the guard drops.
    pub(crate) fn enter(&self) -> LocalEnterGuard {
        self.cx.enter(self.cx.polling.get())
    }

    pub(crate) fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.cx.spawn(future)
    }

    /// Polls `future` (first) and then runs one tick: `run_until`.
    pub(crate) fn poll_run_until<F: Future>(
        &self,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        let _enter = self.cx.enter(true);
        self.cx.take_remote(Some(cx.waker()));
        if let Poll::Ready(out) = coop::budget(|| future.poll(cx)) {
            return Poll::Ready(out);
        }
        if self.cx.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Runs one tick; ready once every task has completed (the `LocalSet` future).
    pub(crate) fn poll_all(&self, cx: &mut Context<'_>) -> Poll<()> {
        let _enter = self.cx.enter(true);
        self.cx.take_remote(Some(cx.waker()));
        if self.cx.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.cx.shared.owned.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Closes the scheduler: wake-ups are dropped from now on, and every task is cancelled, its
    /// future dropped here. Idempotent.
    ///
    /// The scheduler is the current one meanwhile, as Tokio's `LocalSet` is while it drops: a
    /// destructor's `spawn_local` spawns onto it (a task cancelled at once: the owned list is
    /// closed), never onto another set entered around the drop, and finds one even outside any.
    /// Its local wake-ups go to the local queue, emptied at the end. (Unless this thread's
    /// locals are being destroyed: then nothing can be entered.)
    pub(crate) fn close(&self) {
        let _runtime = self.runtime.as_ref().map(context::set_current);
        // Polling: a local wake-up only queues, `close` empties the queue.
        let _entered = self.cx.try_enter(true);
        // Task destructors run here, on this thread: they cannot hand the worker off.
        let _no_block_in_place = crate::rt::context::disallow_block_in_place();
        let shared = &self.cx.shared;
        let (queue, waker) = {
            let mut remote = shared.remote.lock();
            remote.closed = true;
            (std::mem::take(&mut remote.queue), remote.waker.take())
        };
        // Dropped outside the lock: a waker's destructor is user code. The notifications only
        // give their references up (the owned list still holds every task).
        drop(queue);
        drop(waker);
        shared.owned.close_and_shutdown_all(0);
        // Tasks woken on this thread while the others were cancelled, with this one current.
        loop {
            let task = self.cx.queue.borrow_mut().pop_front();
            let Some(task) = task else { break };
            drop(task);
        }
    }

    /// The number of tasks not yet completed.
    pub(crate) fn len(&self) -> usize {
        self.cx.shared.owned.len()
    }
}

impl Drop for LocalScheduler {
    fn drop(&mut self) {
        self.close();
    }
}

/// `task::spawn_local`: spawns onto the local scheduler entered on this thread.
///
/// # Panics
/// If none is, with Tokio's message.
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let cx = CURRENT.try_with(|cur| cur.borrow().clone()).ok().flatten();
    match cx {
        Some(cx) => cx.spawn(future),
        None => {
            // The current runtime may be a `LocalRuntime` entered through its handle: from
            // another thread its local tasks are out of reach, and Tokio says so.
            let owner = context::with_current(|rt| rt.and_then(|rt| rt.config().local_owner));
            if owner.is_some_and(|owner| owner != std::thread::current().id()) {
                panic!("{NOT_LOCAL_OWNER}");
            }
            panic!("{NO_LOCAL_SET}")
        }
    }
}

impl LocalContext {
    fn enter(self: &Rc<Self>, polling: bool) -> LocalEnterGuard {
        self.try_enter(polling)
            .expect("cannot enter a local set while this thread's locals are being destroyed")
    }

    /// As `enter`; `None` once this thread's locals are being destroyed.
    fn try_enter(self: &Rc<Self>, polling: bool) -> Option<LocalEnterGuard> {
        let prev = CURRENT
            .try_with(|cur| cur.borrow_mut().replace(self.clone()))
            .ok()?;
        Some(LocalEnterGuard {
            _no_block_in_place: crate::rt::context::disallow_block_in_place(),
            cx: self.clone(),
            prev,
            prev_polling: self.polling.replace(polling),
        })
    }

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let shared = &self.shared;
        // SAFETY: `self` is reachable only on the owner thread (`LocalScheduler` and `CURRENT`
        // are both confined to it), so this is the owner thread; the scheduler `shared` and the
        // list keep the rules of `new_local_task`, as the module docs show.
        let (join, notified) =
            unsafe { shared.owned.bind_local(future, shared.clone(), Id::next()) };
        if let Some(notified) = notified {
            self.push_local(notified);
        }
        join
    }

    fn push_local(&self, task: Notified<Arc<LocalShared>>) {
        self.queue.borrow_mut().push_back(task);
        if !self.polling.get() {
            // Nobody is about to tick: have the scheduler polled.
            self.shared.wake_owner();
        }
    }

    /// Moves the remote queue behind the local one; with `waker`, registers it first (the take
    /// under the same lock acquisition: see the module docs). The waker's clone runs before
    /// that acquisition and the replaced waker's drop after it: a waker's code may wake a task
    /// of this set from another thread, which pushes under this lock (`waker_slot.rs`).
    fn take_remote(&self, waker: Option<&Waker>) {
        let lock = || self.shared.remote.lock();
        let (mut remote, replaced) = match waker {
            Some(waker) => waker_slot::register(lock, |remote| &mut remote.waker, waker),
            None => (lock(), None),
        };
        let batch = (!remote.queue.is_empty()).then(|| std::mem::take(&mut remote.queue));
        drop(remote);
        drop(replaced);
        if let Some(batch) = batch {
            self.queue.borrow_mut().extend(batch);
        }
    }

    /// Runs up to `MAX_TASKS_PER_TICK` tasks. Returns true if tasks are still queued.
    fn tick(&self) -> bool {
        for n in 1..=MAX_TASKS_PER_TICK {
            if n % REMOTE_INTERVAL == 0 {
                self.take_remote(None);
            }
            let task = self.queue.borrow_mut().pop_front();
            let task = match task {
                Some(task) => task,
                None => {
                    // Out of local work: one last look at the remote queue.
                    self.take_remote(None);
                    match self.queue.borrow_mut().pop_front() {
                        Some(task) => task,
                        None => return false,
                    }
                }
            };
            coop::budget(|| task.run());
        }
        // A remote push since the poll began took the registered waker and woke it already.
        !self.queue.borrow().is_empty()
    }
}

impl LocalShared {
    /// Wakes whoever polls the scheduler, if a poll registered since the last wake-up.
    fn wake_owner(&self) {
        let waker = self.remote.lock().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A wake-up off the owner thread (or with another scheduler current there).
    fn push_remote(&self, task: Notified<Arc<LocalShared>>) {
        let mut remote = self.remote.lock();
        if remote.closed {
            drop(remote);
            // Only a reference is given up here: the task was shut down on the owner thread.
            drop(task);
            return;
        }
        remote.queue.push_back(task);
        let waker = remote.waker.take();
        drop(remote);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Schedule for Arc<LocalShared> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.owned.remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        // The owner thread with this scheduler entered: the local queue.
        let cx = CURRENT
            .try_with(|cur| {
                cur.borrow()
                    .as_ref()
                    .filter(|cx| Arc::ptr_eq(&cx.shared, self))
                    .cloned()
            })
            .ok()
            .flatten();
        match cx {
            Some(cx) => cx.push_local(task),
            None => self.push_remote(task),
        }
    }
}

#[cfg(all(test, loom))]
mod tests;
