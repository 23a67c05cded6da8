//! A worker's local run queue: a bounded ring buffer that only its owner pushes to and pops from,
//! and that other workers steal half of.
//!
//! # Layout
//! `tail` (u32) is written only by the owner. `head` packs two u32 indices into one u64:
//! `real`, the next slot the owner pops, and `steal`, the first slot a stealer is still copying.
//! When no steal is in progress `steal == real`. Indices wrap; a slot is `index & MASK`.
//!
//! # Protocol
//! - push: the owner writes slot `tail` and publishes with a `Release` store of `tail + 1`. The
//!   queue is full when `tail - steal == CAPACITY` (slots between `steal` and `real` may still be
//!   read by a stealer). Full and no steal in progress: move half the queue plus the new task
//!   to the injection queue, claiming them by a CAS on `head`.
//! - pop: CAS `real` forward (and `steal` with it when no steal is in progress).
//! - steal: (1) CAS `real` forward by half the available tasks, leaving `steal` behind, which
//!   claims them; (2) copy them into the stealer's own buffer; (3) CAS `steal` up to `real`,
//!   releasing the slots to the owner. Only one steal runs at a time (`steal != real` refuses).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use crate::loom::sync::Arc;
use crate::rt::scheduler::inject::Inject;
use crate::rt::task::Notified;
use std::mem::MaybeUninit;

#[cfg(not(loom))]
pub(crate) const CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const CAPACITY: usize = 4;

const MASK: u32 = CAPACITY as u32 - 1;

struct Inner<S: 'static> {
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<Notified<S>>>]>,
    /// Pushes that found the queue full and sent tasks to the injection queue (a metric, not
    /// part of the protocol: a plain std atomic, which loom does not model).
    overflows: std::sync::atomic::AtomicU64,
}

/// The owner's end.
pub(crate) struct Local<S: 'static> {
    inner: Arc<Inner<S>>,
}

/// The stealers' end.
pub(crate) struct Steal<S: 'static>(Arc<Inner<S>>);

// SAFETY: slots are handed between threads only through the head/tail protocol above, which
// gives each slot a single reader or writer at a time; the tasks themselves are `Send`.
unsafe impl<S> Send for Inner<S> {}
// SAFETY: as above.
unsafe impl<S> Sync for Inner<S> {}

pub(crate) fn local<S: 'static>() -> (Steal<S>, Local<S>) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer,
        overflows: std::sync::atomic::AtomicU64::new(0),
    });
    (Steal(inner.clone()), Local { inner })
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    ((steal as u64) << 32) | real as u64
}

impl<S: 'static> Inner<S> {
    /// # Safety
    /// The caller has the exclusive right to write slot `index` (see the module protocol).
    unsafe fn write(&self, index: u32, task: Notified<S>) {
        self.buffer[(index & MASK) as usize].with_mut(|ptr| {
            // SAFETY: exclusive by contract.
            unsafe { (*ptr).write(task) };
        });
    }

    /// # Safety
    /// The caller claimed slot `index`, which holds an initialised task.
    unsafe fn read(&self, index: u32) -> Notified<S> {
        self.buffer[(index & MASK) as usize].with(|ptr| {
            // SAFETY: claimed and initialised by contract; the claim moves the task out.
            unsafe { (*ptr).assume_init_read() }
        })
    }

    fn len(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real)
    }

    /// The owner's view of `tail`.
    fn owner_tail(&self) -> u32 {
        // Only the owner stores `tail`, so a Relaxed load returns its own last store.
        self.tail.load(Relaxed)
    }
}

impl<S: 'static> Local<S> {
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Room left before a push overflows.
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        CAPACITY - self.inner.owner_tail().wrapping_sub(steal) as usize
    }

    /// Pushes to the back; on overflow, moves half the queue and `task` to `inject`.
    pub(crate) fn push_back_or_overflow(&mut self, mut task: Notified<S>, inject: &Inject<S>) {
        let tail = loop {
            let head = self.inner.head.load(Acquire);
            let (steal, real) = unpack(head);
            let tail = self.inner.owner_tail();
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                break tail;
            }
            if steal != real {
                // A stealer is freeing slots right now; do not wait for it.
                self.count_overflow();
                inject.push(task);
                return;
            }
            match self.push_overflow(task, real, tail, inject) {
                Ok(()) => return,
                // A stealer or nobody raced us (the head moved): retry.
                Err(back) => task = back,
            }
        };
        // SAFETY: `tail - steal < CAPACITY`, so slot `tail` is free and only the owner writes.
        unsafe { self.inner.write(tail, task) };
        // Release: publishes the slot to stealers, who load `tail` with Acquire.
        self.inner.tail.store(tail.wrapping_add(1), Release);
    }

    fn count_overflow(&self) {
        let overflows = &self.inner.overflows;
        // Only the owner writes it: a load and a store, no read-modify-write.
        overflows.store(
            overflows.load(std::sync::atomic::Ordering::Relaxed) + 1,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Moves the older half of a full queue plus `task` to the injection queue.
    fn push_overflow(
        &mut self,
        task: Notified<S>,
        head: u32,
        tail: u32,
        inject: &Inject<S>,
    ) -> Result<(), Notified<S>> {
        const HALF: u32 = (CAPACITY / 2) as u32;
        assert_eq!(
            tail.wrapping_sub(head),
            CAPACITY as u32,
            "queue is not full"
        );
        let prev = pack(head, head);
        let next = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        // Claims the first half, unless a stealer took some meanwhile.
        if self
            .inner
            .head
            .compare_exchange(prev, next, Release, Relaxed)
            .is_err()
        {
            return Err(task);
        }
        self.count_overflow();
        let inner = &self.inner;
        let batch = (0..HALF)
            // SAFETY: the CAS claimed these slots for us.
            .map(|i| unsafe { inner.read(head.wrapping_add(i)) })
            .chain(std::iter::once(task));
        inject.push_batch(batch);
        Ok(())
    }

    pub(crate) fn pop(&mut self) -> Option<Notified<S>> {
        let mut head = self.inner.head.load(Acquire);
        let index = loop {
            let (steal, real) = unpack(head);
            if real == self.inner.owner_tail() {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                assert_ne!(steal, next_real, "pop overtook a steal in progress");
                pack(steal, next_real)
            };
            // AcqRel: Acquire pairs with stealers' head updates; Release orders our later push
            // into a freed slot after the claim.
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed slot `index`, which the owner initialised before publishing it.
        Some(unsafe { self.inner.read(index) })
    }
}

impl<S: 'static> Steal<S> {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// How many times the owner found the queue full and sent tasks to the injection queue.
    pub(crate) fn overflow_count(&self) -> u64 {
        self.0.overflows.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Steals half of this queue into `dst`, returning one of the stolen tasks to run now.
    pub(crate) fn steal_into(&self, dst: &mut Local<S>) -> Option<Notified<S>> {
        let dst_tail = dst.inner.owner_tail();
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            // Not enough room to receive half a queue.
            return None;
        }
        let n = self.steal_into_buffer(dst, dst_tail);
        if n == 0 {
            return None;
        }
        // Run the last stolen task now; publish the others.
        let n = n - 1;
        // SAFETY: we copied `n + 1` tasks into dst's free slots starting at `dst_tail`.
        let ret = unsafe { dst.inner.read(dst_tail.wrapping_add(n)) };
        if n > 0 {
            // Release: publishes the copied slots, as a push does.
            dst.inner.tail.store(dst_tail.wrapping_add(n), Release);
        }
        Some(ret)
    }

    fn steal_into_buffer(&self, dst: &mut Local<S>, dst_tail: u32) -> u32 {
        let src = &self.0;
        let mut prev = src.head.load(Acquire);
        // Step 1: claim half the tasks by moving `real`, leaving `steal` behind.
        let (first, n) = loop {
            let (steal, real) = unpack(prev);
            // Acquire pairs with the owner's Release store of `tail`: the slots are initialised.
            let tail = src.tail.load(Acquire);
            if steal != real {
                // Another stealer is active.
                return 0;
            }
            let available = tail.wrapping_sub(real);
            let n = available - available / 2;
            if n == 0 {
                return 0;
            }
            let next = pack(steal, real.wrapping_add(n));
            match src.head.compare_exchange(prev, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => prev = actual,
            }
        };
        assert!(n as usize <= CAPACITY / 2, "stole more than half a queue");
        // Step 2: copy the claimed slots.
        for i in 0..n {
            // SAFETY: slots `first..first + n` are claimed by the CAS above (the owner will not
            // reuse them while `steal` lags behind), and dst's slots from `dst_tail` are free
            // because dst has room for half a queue and only its owner (us) writes them.
            unsafe {
                let task = src.read(first.wrapping_add(i));
                dst.inner.write(dst_tail.wrapping_add(i), task);
            }
        }
        // Step 3: release the slots: `steal` catches up with `real`.
        let mut prev = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(prev);
            let next = pack(real, real);
            match src.head.compare_exchange(prev, next, AcqRel, Acquire) {
                Ok(_) => return n,
                Err(actual) => {
                    let (steal, real) = unpack(actual);
                    assert_ne!(
                        steal, real,
                        "a steal in progress was cleared by someone else"
                    );
                    prev = actual;
                }
            }
        }
    }
}

impl<S: 'static> Clone for Steal<S> {
    fn clone(&self) -> Steal<S> {
        Steal(self.0.clone())
    }
}

impl<S: 'static> Drop for Local<S> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(self.pop().is_none(), "local queue dropped with tasks in it");
        }
    }
}
