//! A FIFO of waiters that any one of them can leave in O(1): the queue behind every primitive
//! of `sync` that makes tasks wait (a lock, a semaphore, a channel's senders or receivers).
//!
//! A waiting future keeps the [`WaitKey`] it got from [`WaitList::push_back`]; whoever serves
//! the queue takes waiters from the front; a future dropped before it was served removes itself
//! with its key. The waiters live in one vector (a slab) linked by index, so the list needs no
//! allocation per waiter once warm and no unsafe code. A key names one stay in the list: a key
//! kept after its waiter was served never reaches the waiter that reuses the slot (each stay gets the next number of a counter
//! of the list's, which wraps only after 2^32 stays).
//!
//! Not synchronised: a primitive keeps its list under its own lock, with the state the waiters
//! wait for, and wakes the wakers it took only after releasing that lock.
//!
//! For a list of `Waker`s, the end of the file adds `register` (queue or refresh a waiter) and
//! `take_all`, and, for a list alone under a mutex, `wait_until` and `wake_all`: the wait and
//! the announcement of an event published outside the lock (an atomic word, a write-once slot).

/// One waiter's stay in a [`WaitList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitKey {
    index: u32,
    generation: u32,
}

/// The end of a chain of links: no waiter, or no free slot.
const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Slot<T> {
    /// The stay's number while a waiter is in the slot (a key must match it).
    generation: u32,
    entry: Entry<T>,
}

#[derive(Debug)]
enum Entry<T> {
    Waiting { value: T, prev: u32, next: u32 },
    Vacant { next_free: u32 },
}

/// A FIFO of waiters of type `T` (typically a `Waker` and what the waiter asked for).
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    slots: Vec<Slot<T>>,
    head: u32,
    tail: u32,
    free: u32,
    len: usize,
    /// The number the next stay gets.
    next_generation: u32,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            len: 0,
            next_generation: 0,
        }
    }

    /// How many wait.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a waiter at the back; its key lets it leave or be looked up.
    pub(crate) fn push_back(&mut self, value: T) -> WaitKey {
        let entry = Entry::Waiting {
            value,
            prev: self.tail,
            next: NIL,
        };
        let generation = self.next_generation;
        self.next_generation = generation.wrapping_add(1);
        let index = if self.free == NIL {
            let index = u32::try_from(self.slots.len())
                .ok()
                .filter(|&index| index != NIL)
                .unwrap_or_else(|| panic!("more than {} waiters in one queue", NIL - 1));
            self.slots.push(Slot { generation, entry });
            index
        } else {
            let index = self.free;
            let slot = &mut self.slots[index as usize];
            let Entry::Vacant { next_free } = slot.entry else {
                unreachable!("the free chain holds vacant slots only")
            };
            self.free = next_free;
            *slot = Slot { generation, entry };
            index
        };
        match self.tail {
            NIL => self.head = index,
            tail => *self.next_mut(tail) = index,
        }
        self.tail = index;
        self.len += 1;
        WaitKey { index, generation }
    }

    /// The waiter at the front, the next to be served.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        match self.head {
            NIL => None,
            head => match &mut self.slots[head as usize].entry {
                Entry::Waiting { value, .. } => Some(value),
                Entry::Vacant { .. } => unreachable!("the head is a waiting slot"),
            },
        }
    }

    /// Takes the waiter at the front.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        match self.head {
            NIL => None,
            head => Some(self.unlink(head)),
        }
    }

    /// The waiter of `key`, if it still waits.
    pub(crate) fn get_mut(&mut self, key: WaitKey) -> Option<&mut T> {
        let slot = self.slots.get_mut(key.index as usize)?;
        match &mut slot.entry {
            Entry::Waiting { value, .. } if slot.generation == key.generation => Some(value),
            _ => None,
        }
    }

    /// Takes the waiter of `key` out of the queue, wherever it is; `None` if it no longer waits
    /// (it was served, or removed already).
    pub(crate) fn remove(&mut self, key: WaitKey) -> Option<T> {
        self.get_mut(key)?;
        Some(self.unlink(key.index))
    }

    /// Takes every waiter, front first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.pop_front())
    }

    /// Visits every waiter, front first.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        let mut at = self.head;
        while at != NIL {
            match &mut self.slots[at as usize].entry {
                Entry::Waiting { value, next, .. } => {
                    at = *next;
                    f(value);
                }
                Entry::Vacant { .. } => unreachable!("the chain holds waiting slots only"),
            }
        }
    }

    fn next_mut(&mut self, index: u32) -> &mut u32 {
        match &mut self.slots[index as usize].entry {
            Entry::Waiting { next, .. } => next,
            Entry::Vacant { .. } => unreachable!("linked slots are waiting"),
        }
    }

    fn prev_mut(&mut self, index: u32) -> &mut u32 {
        match &mut self.slots[index as usize].entry {
            Entry::Waiting { prev, .. } => prev,
            Entry::Vacant { .. } => unreachable!("linked slots are waiting"),
        }
    }

    /// Unlinks the waiting slot `index`, vacates it, and returns its waiter.
    fn unlink(&mut self, index: u32) -> T {
        let slot = &mut self.slots[index as usize];
        let vacant = Entry::Vacant {
            next_free: self.free,
        };
        let Entry::Waiting { value, prev, next } = std::mem::replace(&mut slot.entry, vacant)
        else {
            unreachable!("only waiting slots are unlinked")
        };
        self.free = index;
        match prev {
            NIL => self.head = next,
            prev => *self.next_mut(prev) = next,
        }
        match next {
            NIL => self.tail = prev,
            next => *self.prev_mut(next) = prev,
        }
        self.len -= 1;
        if self.len == 0 && self.slots.len() > SHRINK_ABOVE {
            // A burst of waiters is over: give its memory back.
            self.slots = Vec::new();
            self.free = NIL;
        }
        value
    }
}

/// Slots kept once the queue is empty again; above this many, an emptied queue frees them.
const SHRINK_ABOVE: usize = 1024;

/// A queue of tasks waiting for the same event: what most primitives keep under their lock.
impl WaitList<std::task::Waker> {
    /// Queues `waker` as the waiter of `key`, or refreshes the waker of `key`'s waiter if it is
    /// still queued (a waiter that was served and woken since is queued anew, at the back).
    /// Returns the waker that was replaced, for the caller to drop after releasing its lock (a
    /// waker's drop may run user code that takes the same lock).
    pub(crate) fn register(
        &mut self,
        key: &mut Option<WaitKey>,
        waker: &std::task::Waker,
    ) -> Option<std::task::Waker> {
        if let Some(queued) = key.and_then(|key| self.get_mut(key)) {
            if queued.will_wake(waker) {
                return None;
            }
            return Some(std::mem::replace(queued, waker.clone()));
        }
        *key = Some(self.push_back(waker.clone()));
        None
    }

    /// Takes every waker, to wake once the caller has released its lock.
    pub(crate) fn take_all(&mut self) -> Vec<std::task::Waker> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut wakers = Vec::with_capacity(self.len());
        wakers.extend(self.drain());
        wakers
    }
}

/// Waits, queued in `waiters`, until `check` returns `Some`: the wait of a primitive whose
/// event is published outside the lock (an atomic word) and announced under it.
///
/// The protocol, which needs no ordering stronger than the lock's own:
/// 1. The announcer publishes the event (`check` will see it), then locks `waiters`, takes every
///    waker with [`WaitList::take_all`], unlocks, and wakes them.
/// 2. A waiter calls `check` (the fast path), then locks `waiters`, queues its waker, and calls
///    `check` again before it unlocks. If it locked first, its waker is in the queue when the
///    announcer takes them; if the announcer locked first, the publication happened before that
///    lock, so the second `check` sees it. No wake-up is lost either way.
///
/// Dropped while queued, the future leaves the queue (cancel safe: it consumed nothing).
pub(crate) fn wait_until<'a, R, F>(
    waiters: &'a crate::loom::sync::Mutex<WaitList<std::task::Waker>>,
    check: F,
) -> WaitUntil<'a, F>
where
    F: FnMut() -> Option<R> + Unpin,
{
    WaitUntil {
        waiters,
        key: None,
        check,
    }
}

/// Wakes every task queued in `waiters` (step 1 of [`wait_until`]'s protocol, once the event is
/// published), after releasing the lock.
pub(crate) fn wake_all(waiters: &crate::loom::sync::Mutex<WaitList<std::task::Waker>>) {
    let wakers = waiters.lock().take_all();
    wakers.into_iter().for_each(std::task::Waker::wake);
}

/// The future of [`wait_until`].
#[derive(Debug)]
pub(crate) struct WaitUntil<'a, F> {
    waiters: &'a crate::loom::sync::Mutex<WaitList<std::task::Waker>>,
    key: Option<WaitKey>,
    check: F,
}

impl<R, F> std::future::Future for WaitUntil<'_, F>
where
    F: FnMut() -> Option<R> + Unpin,
{
    type Output = R;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<R> {
        let this = self.get_mut();
        if let Some(ready) = (this.check)() {
            return std::task::Poll::Ready(ready);
        }
        let mut waiters = this.waiters.lock();
        let replaced = waiters.register(&mut this.key, cx.waker());
        let ready = (this.check)();
        let left = match ready {
            Some(_) => this.key.take().and_then(|key| waiters.remove(key)),
            None => None,
        };
        drop(waiters);
        drop((replaced, left));
        match ready {
            Some(ready) => std::task::Poll::Ready(ready),
            None => std::task::Poll::Pending,
        }
    }
}

impl<F> Drop for WaitUntil<'_, F> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let left = self.waiters.lock().remove(key);
            drop(left);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::WaitList;

    fn contents(list: &mut WaitList<u32>) -> Vec<u32> {
        let mut seen = Vec::new();
        list.for_each_mut(|v| seen.push(*v));
        seen
    }

    #[test]
    fn serves_in_arrival_order() {
        let mut list = WaitList::new();
        for i in 0..5 {
            list.push_back(i);
        }
        assert_eq!(list.len(), 5);
        assert_eq!(list.drain().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert!(list.is_empty());
    }

    #[test]
    fn a_waiter_leaves_from_anywhere() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5).map(|i| list.push_back(i)).collect();
        assert_eq!(list.remove(keys[2]), Some(2));
        assert_eq!(list.remove(keys[0]), Some(0));
        assert_eq!(list.remove(keys[4]), Some(4));
        assert_eq!(contents(&mut list), vec![1, 3]);
        assert_eq!(list.remove(keys[2]), None, "removed twice");
        list.push_back(5);
        assert_eq!(contents(&mut list), vec![1, 3, 5]);
        assert_eq!(list.pop_front(), Some(1));
        assert_eq!(list.front_mut().copied(), Some(3));
    }

    /// A key kept after its waiter was served must not reach the waiter that reuses its slot.
    #[test]
    fn a_stale_key_never_reaches_the_next_waiter() {
        let mut list = WaitList::new();
        let served = list.push_back(1);
        assert_eq!(list.pop_front(), Some(1));
        let next = list.push_back(2);
        assert_eq!(list.get_mut(served), None);
        assert_eq!(list.remove(served), None);
        assert_eq!(list.get_mut(next).copied(), Some(2));
    }

    /// The same after the list gave its slots back.
    #[test]
    fn a_stale_key_from_before_a_shrink_never_matches() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..2000).map(|i| list.push_back(i)).collect();
        list.drain().for_each(drop);
        let fresh: Vec<_> = (0..2000).map(|i| list.push_back(i + 10_000)).collect();
        assert!(keys.iter().all(|&key| list.get_mut(key).is_none()));
        assert_eq!(list.get_mut(fresh[0]).copied(), Some(10_000));
    }

    #[test]
    fn memory_of_a_burst_is_given_back() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5000).map(|i| list.push_back(i)).collect();
        for key in keys.into_iter().rev() {
            list.remove(key);
        }
        assert!(list.is_empty());
        assert_eq!(list.slots.capacity(), 0);
        list.push_back(7);
        assert_eq!(list.pop_front(), Some(7));
    }
}
