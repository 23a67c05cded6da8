//! The unbounded receiver's own batch: the messages it took from the channel in one critical
//! section, popped without the lock. Its messages are older than any still in the channel.
//!
//! Only `&mut Batch` reaches a message; `&Batch` only counts them. So the batch keeps the
//! receiver's auto traits what they would be without it (Tokio's): `Sync` when `T: Send`,
//! `Unpin` and unwind safe whatever `T`.

use std::collections::VecDeque;
use std::panic::{RefUnwindSafe, UnwindSafe};

/// Buffer capacity (in messages) kept once the buffer is empty again; above it, it is freed.
const SHRINK_ABOVE: usize = 1024;

/// Once a burst is drained, gives its memory back (a buffer grows to its largest backlog
/// otherwise, and stays there).
pub(super) fn shrink_if_drained<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > SHRINK_ABOVE {
        *queue = VecDeque::new();
    }
}

#[derive(Debug)]
pub(super) struct Batch<T> {
    queue: VecDeque<T>,
}

impl<T> Batch<T> {
    pub(super) fn new() -> Batch<T> {
        Batch {
            queue: VecDeque::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The buffer to refill (empty): the channel swaps it with its own.
    pub(super) fn refill(&mut self) -> &mut VecDeque<T> {
        debug_assert!(self.queue.is_empty(), "refilled before it was drained");
        &mut self.queue
    }

    pub(super) fn pop(&mut self) -> Option<T> {
        let value = self.queue.pop_front();
        shrink_if_drained(&mut self.queue);
        value
    }

    /// Moves up to `limit` messages to `buffer`; how many.
    pub(super) fn drain_into(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let k = limit.min(self.queue.len());
        buffer.extend(self.queue.drain(..k));
        shrink_if_drained(&mut self.queue);
        k
    }
}

// SAFETY: a shared `&Batch<T>` reaches no `T` (its `&self` methods only count; see the module
// doc), so sharing one between threads hands no `&T` to another thread; the values move only
// through `&mut Batch<T>`, which takes `T: Send`, the bound required here.
unsafe impl<T: Send> Sync for Batch<T> {}

/// Nothing is pinned: the batch moves its messages by value.
impl<T> Unpin for Batch<T> {}

/// A panic (in a message's `drop`) leaves the batch a valid queue of the remaining messages.
impl<T> UnwindSafe for Batch<T> {}

/// `&Batch` reaches no message, so no broken message can be observed through it.
impl<T> RefUnwindSafe for Batch<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::shrink_if_drained;
    use std::collections::VecDeque;

    #[test]
    fn a_drained_burst_gives_its_memory_back() {
        let mut queue: VecDeque<u32> = (0..5000).collect();
        shrink_if_drained(&mut queue);
        assert!(queue.capacity() >= 5000, "not drained yet");
        queue.clear();
        shrink_if_drained(&mut queue);
        assert_eq!(queue.capacity(), 0);
        let mut small: VecDeque<u32> = VecDeque::with_capacity(16);
        shrink_if_drained(&mut small);
        assert_eq!(small.capacity(), 16, "small buffers are kept");
    }
}
