//! `JoinSet`: a collection of tasks awaited in completion order.
//!
//! Each member has its own waker, which queues the member's id on a shared ready list and wakes
//! the `JoinSet`'s owner; `join_next` polls only members on that list, so waiting on a set of `n`
//! tasks costs O(1) per completion, not O(n).

use super::{AbortHandle, Id, JoinError, JoinHandle};
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
    members: HashMap<Id, Member<T>>,
    shared: Arc<Shared>,
}

struct Member<T> {
    handle: JoinHandle<T>,
    waker: Arc<MemberWaker>,
}

#[derive(Default)]
struct Shared {
    /// Members whose task may have completed (or that were never polled).
    ready: Mutex<Vec<Id>>,
    /// The waker of whoever awaits `join_next`.
    owner: Mutex<Option<Waker>>,
}

struct MemberWaker {
    id: Id,
    /// True while the id is on the ready list, so repeated wakes queue it once.
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // AcqRel pairs with the `store(false)` in `poll_member`: a wake after that store queues
        // the member again.
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.shared
                .ready
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(self.id);
            let owner = self
                .shared
                .owner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
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
            members: HashMap::new(),
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
        for member in self.members.values() {
            member.handle.abort();
        }
    }

    /// Removes every task from the set without aborting them: they keep running, detached.
    pub fn detach_all(&mut self) {
        self.members.clear();
        self.shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let id = handle.id();
        let waker = Arc::new(MemberWaker {
            id,
            queued: AtomicBool::new(false),
            shared: self.shared.clone(),
        });
        // Queue it once so the first `join_next` registers its waker.
        waker.wake_by_ref();
        self.members.insert(id, Member { handle, waker });
        abort
    }

    /// Polls for the next completed task. At most as many members are polled as were on the
    /// ready list when the call began, so a member that wakes itself cannot make this spin.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.members.is_empty() {
            return Poll::Ready(None);
        }
        *self.shared.owner.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        let batch = self.take_ready();
        for (i, id) in batch.iter().enumerate() {
            if let Poll::Ready(res) = self.poll_member(*id) {
                // Put back the members we did not get to.
                self.shared
                    .ready
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&batch[i + 1..]);
                return Poll::Ready(Some(res));
            }
        }
        Poll::Pending
    }

    /// Waits for the next task to complete and returns its output. `None` when the set is empty.
    ///
    /// Cancel safe: if the future is dropped before completing, no output is lost.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Returns the output of a task that already completed, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let batch = self.take_ready();
        let mut result = None;
        let mut rest = Vec::new();
        for id in batch {
            if result.is_some() {
                rest.push(id);
                continue;
            }
            // The member's own waker is used, so a pending member stays registered.
            let Some(member) = self.members.get(&id) else {
                continue;
            };
            let waker = Waker::from(member.waker.clone());
            if let Poll::Ready(res) = self.poll_member_with(id, &waker) {
                result = Some(res);
            }
        }
        self.shared
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(rest);
        result
    }

    /// Aborts every task and waits for all of them to finish.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    fn take_ready(&self) -> Vec<Id> {
        std::mem::take(&mut *self.shared.ready.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn poll_member(&mut self, id: Id) -> Poll<Result<T, JoinError>> {
        let Some(member) = self.members.get(&id) else {
            return Poll::Pending;
        };
        let waker = Waker::from(member.waker.clone());
        self.poll_member_with(id, &waker)
    }

    fn poll_member_with(&mut self, id: Id, waker: &Waker) -> Poll<Result<T, JoinError>> {
        let Some(member) = self.members.get_mut(&id) else {
            return Poll::Pending;
        };
        member.waker.queued.store(false, Ordering::Release);
        let mut cx = Context::from_waker(waker);
        let res = Pin::new(&mut member.handle).poll(&mut cx);
        if res.is_ready() {
            self.members.remove(&id);
        }
        res
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
