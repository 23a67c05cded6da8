//! `OwnedTasks`: every live task of a runtime, so shutdown can cancel them all.
//!
//! An intrusive doubly-linked list through `Header::owned_prev/owned_next`, split into shards
//! chosen by task id so that spawns and completions on different workers rarely share a lock.
//! The list holds one reference to each member (the `Task`).
//!
//! Shutdown protocol:
//! 1. `close_and_shutdown_all` sets `closed`, then drains every shard under its lock.
//! 2. A `bind` checks `closed` under the shard lock: it either inserts before the drain of that
//!    shard (and is drained) or sees `closed` and cancels the task itself. No task escapes.
//! 3. Each drained task is shut down outside the lock (its completion may call `remove`).

use super::core::Header;
use super::{new_local_task, new_task, Id, JoinHandle, Notified, Schedule, Task};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use std::future::Future;
use std::marker::PhantomData;
use std::ptr::NonNull;

pub(crate) struct OwnedTasks<S: 'static> {
    shards: Box<[Mutex<Shard>]>,
    shard_mask: usize,
    closed: AtomicBool,
    len: AtomicUsize,
    _scheduler: PhantomData<S>,
}

struct Shard {
    head: Option<NonNull<Header>>,
}

// SAFETY: the raw pointers in shards are only dereferenced under the shard's lock, and the tasks
// they point to are `Send + Sync` (see `Task`).
unsafe impl Send for Shard {}

impl<S: Schedule> OwnedTasks<S> {
    /// `shards` is rounded up to a power of two.
    pub(crate) fn new(shards: usize) -> OwnedTasks<S> {
        let n = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..n).map(|_| Mutex::new(Shard { head: None })).collect(),
            shard_mask: n - 1,
            closed: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            _scheduler: PhantomData,
        }
    }

    /// Allocates a task and links it. Returns `None` for the notification if the list is closed:
    /// the task is then already cancelled, and its `JoinHandle` yields a cancelled error.
    pub(crate) fn bind<T>(
        &self,
        future: T,
        scheduler: S,
        id: Id,
    ) -> (JoinHandle<T::Output>, Option<Notified<S>>)
    where
        T: Future + Send + 'static,
        T::Output: Send + 'static,
    {
        let (task, notified, join) = new_task(future, scheduler, id);
        let notified = self.link(task, notified, id);
        (join, notified)
    }

    /// As `bind`, for a local task (a future or output that need not be `Send`). On a closed
    /// list the future is dropped here, on the calling thread.
    ///
    /// # Safety
    /// As [`new_local_task`]: the caller is the owner thread, and `scheduler` and this list's
    /// owner uphold its rules.
    pub(crate) unsafe fn bind_local<T>(
        &self,
        future: T,
        scheduler: S,
        id: Id,
    ) -> (JoinHandle<T::Output>, Option<Notified<S>>)
    where
        T: Future + 'static,
        T::Output: 'static,
    {
        // SAFETY: forwarded contract.
        let (task, notified, join) = unsafe { new_local_task(future, scheduler, id) };
        let notified = self.link(task, notified, id);
        (join, notified)
    }

    /// Links a new task, or cancels it in place if the list is closed.
    fn link(&self, task: Task<S>, notified: Notified<S>, id: Id) -> Option<Notified<S>> {
        let shard = &self.shards[self.shard_index(id)];
        let mut guard = shard.lock();
        // Relaxed: both writers of `closed` and this reader hold a shard lock around the access
        // that matters (see the module docs), which orders them.
        if self.closed.load(Ordering::Relaxed) {
            drop(guard);
            drop(notified);
            task.shutdown();
            return None;
        }
        // SAFETY: we hold the shard lock, and the task is not in any list.
        unsafe { guard.push_front(task.into_raw().header_ptr()) };
        self.len.fetch_add(1, Ordering::Relaxed);
        Some(notified)
    }

    /// Unlinks a task if it is still listed, returning the list's reference.
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let shard = &self.shards[self.shard_index(task.id())];
        let mut guard = shard.lock();
        // SAFETY: we hold the shard lock; a task is only ever in the shard its id selects.
        let removed = unsafe { guard.remove(task.header_ptr()) }?;
        drop(guard);
        self.len.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the list's reference comes back with the unlinked node.
        Some(Task::from_raw(unsafe {
            crate::rt::task::RawTask::from_raw(removed)
        }))
    }

    /// Closes the list and shuts down every member. `start` spreads workers over the shards.
    pub(crate) fn close_and_shutdown_all(&self, start: usize) {
        // Relaxed: see `bind`.
        self.closed.store(true, Ordering::Relaxed);
        for i in 0..self.shards.len() {
            let shard = &self.shards[(start + i) & self.shard_mask];
            loop {
                let node = shard.lock().pop_front();
                let Some(node) = node else { break };
                self.len.fetch_sub(1, Ordering::Relaxed);
                // SAFETY: the list's reference comes back with the unlinked node.
                let task = Task::<S>::from_raw(unsafe { crate::rt::task::RawTask::from_raw(node) });
                task.shutdown();
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    fn shard_index(&self, id: Id) -> usize {
        id.as_u64() as usize & self.shard_mask
    }
}

impl Shard {
    /// # Safety
    /// The caller holds this shard's lock, and `node` is a live task that is in no list.
    unsafe fn push_front(&mut self, node: NonNull<Header>) {
        // SAFETY: the links are only touched under the shard lock, which we hold.
        unsafe {
            let header = node.as_ref();
            header.owned_prev.with_mut(|p| *p = None);
            header.owned_next.with_mut(|p| *p = self.head);
            if let Some(head) = self.head {
                head.as_ref().owned_prev.with_mut(|p| *p = Some(node));
            }
        }
        self.head = Some(node);
    }

    fn pop_front(&mut self) -> Option<NonNull<Header>> {
        let head = self.head?;
        // SAFETY: `head` is a listed node; the list's reference keeps it alive and `&mut self`
        // proves the lock is held.
        unsafe { self.remove(head) }
    }

    /// Unlinks `node` if it is in this list. A node is listed iff it has a predecessor or is the
    /// head: `remove` and `pop_front` clear both links of the node they unlink.
    ///
    /// # Safety
    /// The caller holds this shard's lock and `node` is live.
    unsafe fn remove(&mut self, node: NonNull<Header>) -> Option<NonNull<Header>> {
        // SAFETY: links are touched only under the shard lock, which we hold; every linked node is
        // live because the list holds a reference to it.
        unsafe {
            let header = node.as_ref();
            let prev = header.owned_prev.with(|p| *p);
            let next = header.owned_next.with(|p| *p);
            match prev {
                Some(prev) => prev.as_ref().owned_next.with_mut(|p| *p = next),
                None if self.head == Some(node) => self.head = next,
                None => return None,
            }
            if let Some(next) = next {
                next.as_ref().owned_prev.with_mut(|p| *p = prev);
            }
            header.owned_prev.with_mut(|p| *p = None);
            header.owned_next.with_mut(|p| *p = None);
        }
        Some(node)
    }
}
