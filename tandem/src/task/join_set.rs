//! `JoinSet`: a collection of tasks awaited in completion order.
//!
//! Members live in a slab. Each has its own waker, which queues the member's slab key on a
//! shared ready list and wakes the `JoinSet`'s owner (one lock per wake); `join_next` polls only
//! members on that list, so waiting on a set of `n` tasks costs O(1) per completion, not O(n).
//! A key on the ready list may be stale (its member was joined and the slot reused): polling the
//! new occupant once more is harmless.

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::util::waker_slot;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

/// A set of spawned tasks, awaited in the order they complete.
///
/// Dropping a `JoinSet` aborts every task in it.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let mut set = tandem::task::JoinSet::new();
/// for i in 0..10 {
///     set.spawn(async move { i * 2 });
/// }
/// let mut sum = 0;
/// while let Some(res) = set.join_next().await {
///     sum += res.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
pub struct JoinSet<T> {
    members: slab::Slab<Member<T>>,
    shared: Arc<Shared>,
}

struct Member<T> {
    handle: JoinHandle<T>,
    waker: Waker,
    queued: Arc<MemberWaker>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<SharedInner>,
}

#[derive(Default)]
struct SharedInner {
    /// Keys of members whose task may have completed (or that were never polled), oldest first.
    ready: VecDeque<usize>,
    /// The waker of whoever awaits `join_next`.
    owner: Option<Waker>,
}

/// A joined member: its task's id, and its output or why it has none.
type Joined<T> = (Id, Result<T, JoinError>);

/// What a pass over the ready list found.
enum Scan<T> {
    Completed(Joined<T>),
    /// The task's cooperative budget ran out before a member completed.
    BudgetSpent,
    NoneReady,
}

struct MemberWaker {
    key: usize,
    /// True while the key is on the ready list, so repeated wakes queue it once.
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SharedInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // AcqRel pairs with the `store(false)` in `poll_member`: a wake after that store queues
        // the member again.
        if !self.queued.swap(true, Ordering::AcqRel) {
            let owner = {
                let mut inner = self.shared.lock();
                inner.ready.push_back(self.key);
                inner.owner.take()
            };
            // Woken outside the lock.
            if let Some(owner) = owner {
                owner.wake();
            }
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            members: slab::Slab::new(),
            shared: Arc::new(Shared::default()),
        }
    }

    /// The number of tasks in the set (completed ones count until they are joined).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Aborts every task in the set; they stay in it until joined.
    pub fn abort_all(&mut self) {
        for (_, member) in self.members.iter() {
            member.handle.abort();
        }
    }

    /// Removes every task from the set without aborting them: they keep running, detached.
    pub fn detach_all(&mut self) {
        self.members.clear();
        self.shared.lock().ready.clear();
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let entry = self.members.vacant_entry();
        let queued = Arc::new(MemberWaker {
            key: entry.key(),
            queued: AtomicBool::new(false),
            shared: self.shared.clone(),
        });
        let waker = Waker::from(queued.clone());
        // Queue it once so the first `join_next` registers its waker.
        queued.wake_by_ref();
        entry.insert(Member {
            handle,
            waker,
            queued,
        });
        abort
    }

    /// Polls for the next completed task.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_next_joined(cx)
            .map(|joined| joined.map(|(_, res)| res))
    }

    /// As [`poll_join_next`](JoinSet::poll_join_next), with the completed task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        self.poll_next_joined(cx)
            .map(|joined| joined.map(|(id, res)| res.map(|out| (id, out))))
    }

    fn poll_next_joined(&mut self, cx: &mut Context<'_>) -> Poll<Option<Joined<T>>> {
        if self.members.is_empty() {
            return Poll::Ready(None);
        }
        // The waker is cloned before the lock and the one it replaces dropped after it: both
        // are user code (they may drive a runtime that completes a member, whose wake-up takes
        // this lock).
        let (budget, _replaced) = {
            let lock = || self.shared.lock();
            let (inner, replaced) =
                waker_slot::register(lock, |inner| &mut inner.owner, cx.waker());
            (inner.ready.len(), replaced)
        };
        match self.poll_ready_members(budget) {
            Scan::Completed(joined) => Poll::Ready(Some(joined)),
            Scan::BudgetSpent => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Scan::NoneReady => Poll::Pending,
        }
    }

    /// Waits for the next task to complete and returns its output. `None` when the set is empty.
    ///
    /// Cancel safe: if the future is dropped before completing, no output is lost.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// As [`join_next`](JoinSet::join_next), with the completed task's id (a failed task's id is
    /// in its `JoinError`). Cancel safe.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Returns the output of a task that already completed, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_next_joined().map(|(_, res)| res)
    }

    /// As [`try_join_next`](JoinSet::try_join_next), with the completed task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        self.try_next_joined()
            .map(|(id, res)| res.map(|out| (id, out)))
    }

    fn try_next_joined(&mut self) -> Option<Joined<T>> {
        let budget = self.shared.lock().ready.len();
        // Not a poll: the caller cannot yield, so the running task's cooperative budget must not
        // make a finished member look unfinished (Tokio disables it here too).
        match crate::rt::coop::with_unconstrained(|| self.poll_ready_members(budget)) {
            Scan::Completed(joined) => Some(joined),
            Scan::BudgetSpent | Scan::NoneReady => None,
        }
    }

    /// Waits for every task and returns their outputs, in the order they completed.
    ///
    /// # Panics
    /// If a task failed: a panic is resumed here, a cancellation panics with its `JoinError`;
    /// the tasks still in the set are aborted as it drops (Tokio's behaviour).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(out) => outputs.push(out),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("{e}"),
            }
        }
        outputs
    }

    /// Polls up to `budget` members from the ready list (the list's length when the caller
    /// began, so a member that wakes itself cannot make this spin), stopping at the first that
    /// completed.
    fn poll_ready_members(&mut self, mut budget: usize) -> Scan<T> {
        while budget > 0 {
            // Out of cooperative budget, every member's `JoinHandle` would return `Pending` and
            // queue itself again: stop instead of churning through the ready list.
            if !crate::rt::coop::has_budget_remaining() {
                return Scan::BudgetSpent;
            }
            budget -= 1;
            let Some(key) = self.shared.lock().ready.pop_front() else {
                break;
            };
            if let Poll::Ready(joined) = self.poll_member(key) {
                return Scan::Completed(joined);
            }
        }
        Scan::NoneReady
    }

    /// Aborts every task and waits for all of them to finish.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Polls one member with its own waker (so a pending member stays registered); removes it
    /// when its task is done.
    fn poll_member(&mut self, key: usize) -> Poll<Joined<T>> {
        let Some(member) = self.members.get_mut(key) else {
            return Poll::Pending;
        };
        member.queued.queued.store(false, Ordering::Release);
        let mut cx = Context::from_waker(&member.waker);
        let res = std::task::ready!(Pin::new(&mut member.handle).poll(&mut cx));
        let id = member.handle.id();
        self.members.remove(key);
        Poll::Ready((id, res))
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns a task on the current runtime into the set.
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(task))
    }

    /// Spawns a task on the given runtime into the set.
    pub fn spawn_on<F>(&mut self, task: F, handle: &crate::runtime::Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Runs a blocking closure on the blocking pool, as a member of the set.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(crate::task::spawn_blocking(f))
    }

    /// Runs a blocking closure on `handle`'s blocking pool, as a member of the set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &crate::runtime::Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns a `!Send` task into the set, on the `LocalSet` (or `LocalRuntime`) running on this
    /// thread.
    ///
    /// # Panics
    /// Outside a `LocalSet` or `LocalRuntime`, as [`spawn_local`](crate::task::spawn_local).
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::task::spawn_local(task))
    }

    /// Spawns a `!Send` task into the set, on `local_set` (which runs it when it is driven).
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &crate::task::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(local_set.spawn_local(task))
    }
}

/// Spawns every future of the iterator into a new set (as [`JoinSet::spawn`]).
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns every future of the iterator into the set (as [`JoinSet::spawn`]).
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
