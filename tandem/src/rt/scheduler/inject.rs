//! The injection queue: an unbounded FIFO shared by all workers, for tasks scheduled from
//! outside a worker and for local-queue overflow. An intrusive list through
//! `Header::queue_next`, behind one mutex; `len` is read without the lock to skip empty pops.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::rt::task::{Header, Notified, RawTask};
use std::marker::PhantomData;
use std::ptr::NonNull;

pub(crate) struct Inject<S: 'static> {
    synced: Mutex<Synced>,
    len: AtomicUsize,
    _scheduler: PhantomData<S>,
}

struct Synced {
    head: Option<NonNull<Header>>,
    tail: Option<NonNull<Header>>,
    is_closed: bool,
}

// SAFETY: the pointers are notification references of `Send` tasks, touched only under the lock.
unsafe impl Send for Synced {}

impl<S: 'static> Inject<S> {
    pub(crate) fn new() -> Inject<S> {
        Inject {
            synced: Mutex::new(Synced {
                head: None,
                tail: None,
                is_closed: false,
            }),
            len: AtomicUsize::new(0),
            _scheduler: PhantomData,
        }
    }

    /// Closes the queue; later pushes drop their task. Returns false if it was already closed.
    pub(crate) fn close(&self) -> bool {
        let mut synced = self.synced.lock();
        !std::mem::replace(&mut synced.is_closed, true)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.synced.lock().is_closed
    }

    pub(crate) fn len(&self) -> usize {
        // Acquire pairs with the Release in `push_batch`, so a non-zero length means the pushed
        // tasks are visible once we take the lock.
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&self, task: Notified<S>) {
        self.push_batch(std::iter::once(task));
    }

    /// Appends tasks in order under one lock acquisition. If the queue is closed they are
    /// dropped (runtime shutdown cancels them through the owned-tasks list).
    pub(crate) fn push_batch(&self, tasks: impl Iterator<Item = Notified<S>>) {
        let mut first: Option<NonNull<Header>> = None;
        let mut last: Option<NonNull<Header>> = None;
        let mut count = 0;
        for task in tasks {
            let ptr = task.into_raw().header_ptr();
            // SAFETY: a notification being queued is not linked anywhere else, so its
            // `queue_next` is ours until it is linked in.
            unsafe { ptr.as_ref().queue_next.with_mut(|p| *p = None) };
            match last {
                // SAFETY: as above for the previous element of this batch.
                Some(prev) => unsafe { prev.as_ref().queue_next.with_mut(|p| *p = Some(ptr)) },
                None => first = Some(ptr),
            }
            last = Some(ptr);
            count += 1;
        }
        let (Some(first), Some(last)) = (first, last) else {
            return;
        };
        let mut synced = self.synced.lock();
        if synced.is_closed {
            drop(synced);
            drop_chain::<S>(Some(first));
            return;
        }
        match synced.tail {
            // SAFETY: the tail is a queued task, linked under the lock we hold.
            Some(tail) => unsafe { tail.as_ref().queue_next.with_mut(|p| *p = Some(first)) },
            None => synced.head = Some(first),
        }
        synced.tail = Some(last);
        // Release: see `len`.
        self.len.fetch_add(count, Ordering::Release);
    }

    pub(crate) fn pop(&self) -> Option<Notified<S>> {
        let mut out = None;
        self.pop_batch(1, |task| out = Some(task));
        out
    }

    /// Pops up to `n` tasks under one lock acquisition, handing each to `f` in order. Returns how
    /// many were popped.
    pub(crate) fn pop_batch(&self, n: usize, mut f: impl FnMut(Notified<S>)) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut synced = self.synced.lock();
        let mut popped = 0;
        while popped < n {
            let Some(head) = synced.head else { break };
            // SAFETY: `head` is queued; its link is ours under the lock.
            let next = unsafe { head.as_ref().queue_next.with_mut(|p| (*p).take()) };
            synced.head = next;
            if next.is_none() {
                synced.tail = None;
            }
            popped += 1;
            // SAFETY: a queued pointer is a notification reference for a task of scheduler `S`.
            f(unsafe { Notified::from_raw(RawTask::from_raw(head)) });
        }
        self.len.fetch_sub(popped, Ordering::Release);
        popped
    }
}

fn drop_chain<S: 'static>(mut next: Option<NonNull<Header>>) {
    while let Some(ptr) = next {
        // SAFETY: the chain was built by `push_batch` from notification references it owns.
        next = unsafe { ptr.as_ref().queue_next.with_mut(|p| (*p).take()) };
        // SAFETY: as above.
        drop(unsafe { Notified::<S>::from_raw(RawTask::from_raw(ptr)) });
    }
}

impl<S: 'static> Drop for Inject<S> {
    fn drop(&mut self) {
        let head = self.synced.lock().head.take();
        drop_chain::<S>(head);
    }
}
