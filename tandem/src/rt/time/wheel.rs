//! A hierarchical timing wheel: deadlines in ticks, with no clock, no locks and no wakers.
//!
//! Six levels of 64 slots. A slot of level `l` covers `64^l` ticks, so level 0 holds single
//! ticks and the whole wheel spans `64^6 = 2^36` ticks (about 2.2 years of milliseconds).
//! Deadlines further away than the wheel's span wait in an overflow list.
//!
//! Entries live in an arena (`nodes`, a `Vec` with a free list). Each list (one per slot, one
//! for entries already due (`pending`) and the overflow list) is a vector of arena indices,
//! and each entry records its position in its list. Removing an entry is O(1) by its [`Key`]
//! (swap the list's last index into its place), which carries the arena index and a serial
//! number unique to that insertion, so a stale key never removes another entry.
//!
//! Lists are vectors rather than linked lists for the sake of firing: expiring a slot reads
//! its entries' deadlines from indices known in advance, so the cache misses of a large slot
//! overlap instead of following each other down a chain.
//!
//! # Invariants
//!
//! `elapsed` is the tick the wheel has been advanced to; it never decreases.
//!
//! 1. An entry in a slot of level `l` has a deadline `when > elapsed`, and `when` and `elapsed`
//!    agree on every bit above level `l` (bits `6(l+1)..`) and differ in level `l`'s six bits.
//!    Its slot is `when`'s six bits of level `l`, which are therefore *greater* than
//!    `elapsed`'s: every occupied slot of a level lies ahead of the level's current slot.
//! 2. So every entry of level `l` is due before any entry of level `l + 1`, and the earliest
//!    slot to look at is the first occupied one of the lowest non-empty level.
//! 3. An entry in the overflow list differs from `elapsed` above bit 36; it is reconsidered
//!    when `elapsed` reaches the start of the next `2^36`-tick block.
//! 4. An entry in `pending` has `when <= elapsed` and is handed out by the next `poll`.
//!
//! `poll(now)` repeatedly takes the earliest slot whose start is `<= now`, moves `elapsed` to
//! that start, and re-files each of its entries: due ones to `pending`, the others to a lower
//! level (they now agree with `elapsed` on more bits). When no slot starts by `now`, `elapsed`
//! jumps to `now`, which keeps invariant 1 because no slot start was skipped.
//!
//! Values are never dropped inside the wheel's methods except by `drain`'s caller: `remove`,
//! `poll` and `drain` hand them back, so a caller holding a lock can drop them after releasing
//! it (dropping a waker may run arbitrary code).

/// Bits of a tick per level.
const SLOT_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = SLOTS as u64 - 1;
/// Levels of the wheel.
const LEVELS: usize = 6;
/// Ticks spanned by the whole wheel: `2^SPAN_BITS`.
const SPAN_BITS: u32 = SLOT_BITS * LEVELS as u32;

/// The list of entries already due, after the `LEVELS * SLOTS` slot lists.
const PENDING: u16 = (LEVELS * SLOTS) as u16;
/// The list of entries beyond the wheel's span.
const OVERFLOW: u16 = PENDING + 1;
const LISTS: usize = OVERFLOW as usize + 1;

/// "No node": the end of the free list.
const NIL: u32 = u32::MAX;

/// The largest deadline the wheel accepts; later ones are clamped to it (it is ~5 * 10^8
/// years of milliseconds away, and keeps the slot arithmetic far from overflowing).
pub(crate) const MAX_TICK: u64 = u64::MAX >> 8;

/// An arena with more cells than this may be given back when the wheel becomes empty...
const SHRINK_ABOVE: usize = 4096;
/// ...if it is this many times larger than the most entries held since the wheel was last
/// empty. A wheel that fills and empties in a steady rhythm keeps its arena (freeing and
/// regrowing it each time costs an `munmap` under the shard lock, then a page fault per
/// 4 KiB, and made the last timers of such a burst fire milliseconds late); one that held a
/// past burst of timers gives it back once its use has settled lower.
const SHRINK_RATIO: usize = 4;

/// Names one insertion; stays invalid once its entry is removed or handed out by `poll`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    index: u32,
    serial: u64,
}

/// One arena cell: an entry when `value` is `Some`, else a free cell.
struct Node<T> {
    value: Option<T>,
    when: u64,
    serial: u64,
    /// An entry's index in `lists[list]`; a free cell's successor in the free list.
    pos: u32,
    list: u16,
}

/// The timing wheel. See the module documentation.
pub(crate) struct Wheel<T> {
    elapsed: u64,
    /// Head node of each list: the slots level by level, then `PENDING`, then `OVERFLOW`.
    lists: Box<[Vec<u32>]>,
    /// Per level, bit `s` is set iff slot `s` of that level is non-empty.
    occupied: [u64; LEVELS],
    nodes: Vec<Node<T>>,
    free: u32,
    len: usize,
    /// The most entries held at once since the wheel was last empty.
    peak_len: usize,
    next_serial: u64,
}

impl<T> Wheel<T> {
    /// An empty wheel at tick 0.
    pub(crate) fn new() -> Wheel<T> {
        Wheel {
            elapsed: 0,
            lists: (0..LISTS).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            nodes: Vec::new(),
            free: NIL,
            len: 0,
            peak_len: 0,
            next_serial: 0,
        }
    }

    /// The tick the wheel has been advanced to: entries due by then have been handed out.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of entries held (including due ones not yet handed out).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `value` with deadline `when` (clamped to [`MAX_TICK`]). If `when` is not after
    /// `elapsed` the entry is already due: nothing is stored and `value` comes back.
    pub(crate) fn insert(&mut self, when: u64, value: T) -> Result<Key, T> {
        let when = when.min(MAX_TICK);
        if when <= self.elapsed {
            return Err(value);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        let node = Node {
            value: Some(value),
            when,
            serial,
            pos: NIL,
            list: 0,
        };
        let index = if self.free != NIL {
            let index = self.free;
            self.free = self.nodes[index as usize].pos;
            self.nodes[index as usize] = node;
            index
        } else {
            let index = u32::try_from(self.nodes.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("more than 2^32 - 1 timers in one timer wheel");
            self.nodes.push(node);
            index
        };
        self.len += 1;
        self.peak_len = self.peak_len.max(self.len);
        let list = self.list_for(when);
        self.link(index, list);
        Ok(Key { index, serial })
    }

    /// Removes the entry `key` names, if it is still held. O(1).
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let node = self.nodes.get(key.index as usize)?;
        if node.value.is_none() || node.serial != key.serial {
            return None;
        }
        Some(self.take(key.index))
    }

    /// Advances the wheel to `now` and hands out one entry due by then, or `None` once there
    /// are no more (then `elapsed() == max(elapsed, now)`). Call it until it returns `None`.
    pub(crate) fn poll(&mut self, now: u64) -> Option<T> {
        loop {
            if let Some(&index) = self.lists[PENDING as usize].last() {
                return Some(self.take(index));
            }
            match self.next_slot() {
                Some((list, start)) if start <= now => self.expire(list, start),
                _ => {
                    self.elapsed = self.elapsed.max(now.min(MAX_TICK));
                    return None;
                }
            }
        }
    }

    /// The tick by which `poll` must next be called for the wheel to make progress: a lower
    /// bound of every held deadline (exact for deadlines less than 64 ticks away; otherwise the
    /// start of the slot that holds the earliest one). `None` if the wheel is empty.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if !self.lists[PENDING as usize].is_empty() {
            return Some(self.elapsed);
        }
        self.next_slot().map(|(_, start)| start)
    }

    /// The earliest deadline held, exactly. Costs a walk of one slot's list.
    pub(crate) fn earliest_deadline(&self) -> Option<u64> {
        let list = if !self.lists[PENDING as usize].is_empty() {
            PENDING
        } else {
            let (list, start) = self.next_slot()?;
            if (list as usize) < SLOTS {
                // Level 0: a slot is a single tick.
                return Some(start);
            }
            list
        };
        self.lists[list as usize]
            .iter()
            .map(|&index| self.nodes[index as usize].when)
            .min()
    }

    /// Takes every entry out, in no particular order.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let values: Vec<T> = self.nodes.drain(..).filter_map(|n| n.value).collect();
        self.lists.iter_mut().for_each(Vec::clear);
        self.occupied = [0; LEVELS];
        self.free = NIL;
        self.len = 0;
        self.peak_len = 0;
        values
    }

    /// The first slot to expire and its start tick: the first occupied slot of the lowest
    /// non-empty level (invariant 2), or the next top-level block for the overflow list.
    fn next_slot(&self) -> Option<(u16, u64)> {
        for level in 0..LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let shift = SLOT_BITS * level as u32;
            let current = (self.elapsed >> shift) & SLOT_MASK;
            let ahead = occupied & (u64::MAX << current);
            // Invariant 1: no occupied slot lies at or behind the current one. Were it broken,
            // expiring a slot early would still fire nothing early (entries are re-filed by
            // their own deadline), but it could loop forever: stop loudly instead.
            assert!(
                ahead == occupied && occupied & (1 << current) == 0,
                "timer wheel invariant broken: an occupied slot lies behind the current one"
            );
            let slot = u64::from(ahead.trailing_zeros());
            let block_bits = shift + SLOT_BITS;
            let block_start = (self.elapsed >> block_bits) << block_bits;
            let start = block_start + (slot << shift);
            return Some((list_index(level, slot), start));
        }
        if !self.lists[OVERFLOW as usize].is_empty() {
            let next_block = (self.elapsed | ((1 << SPAN_BITS) - 1)) + 1;
            return Some((OVERFLOW, next_block));
        }
        None
    }

    /// Moves `elapsed` to `start` and re-files every entry of `list`.
    fn expire(&mut self, list: u16, start: u64) {
        debug_assert!(start > self.elapsed, "slots expire in order");
        self.elapsed = start;
        let mut expired = std::mem::take(&mut self.lists[list as usize]);
        self.clear_occupied(list);
        for &index in &expired {
            let when = self.nodes[index as usize].when;
            let target = if when <= self.elapsed {
                PENDING
            } else {
                self.list_for(when)
            };
            debug_assert!(
                target != list || list == OVERFLOW,
                "an expired slot's entries move down"
            );
            self.link(index, target);
        }
        // The slot keeps its capacity for the next time it fills. (The overflow list may have
        // been refilled above with entries still beyond the span: keep those.)
        expired.clear();
        if self.lists[list as usize].is_empty() {
            self.lists[list as usize] = expired;
        }
    }

    /// The list an entry due at `when > elapsed` belongs in (invariants 1 and 3).
    fn list_for(&self, when: u64) -> u16 {
        // `| SLOT_MASK` puts deadlines within the current 64-tick block on level 0.
        let differing = (self.elapsed ^ when) | SLOT_MASK;
        if differing >> SPAN_BITS != 0 {
            return OVERFLOW;
        }
        let level = ((63 - differing.leading_zeros()) / SLOT_BITS) as usize;
        let slot = (when >> (SLOT_BITS * level as u32)) & SLOT_MASK;
        list_index(level, slot)
    }

    /// Unlinks and frees `index`, returning its value.
    fn take(&mut self, index: u32) -> T {
        self.unlink(index);
        let node = &mut self.nodes[index as usize];
        let value = node.value.take().expect("a linked node holds a value");
        node.pos = self.free;
        self.free = index;
        self.len -= 1;
        if self.len == 0 {
            // Nothing is linked. Forget the free list: it runs through the arena in the order
            // entries left, so the next burst would fill cells in a random order, a cache miss
            // each; from an empty arena it fills them in address order, as the prefetcher
            // likes. Every cell is free, so clearing drops nothing but empty `Option`s.
            self.nodes.clear();
            self.free = NIL;
            let capacity = self.nodes.capacity();
            if capacity > SHRINK_ABOVE && capacity / SHRINK_RATIO > self.peak_len {
                // Give the memory of a past burst of timers back.
                self.nodes = Vec::new();
                self.lists.iter_mut().for_each(|list| *list = Vec::new());
            }
            self.peak_len = 0;
        }
        value
    }

    /// Appends `index` to `list`.
    fn link(&mut self, index: u32, list: u16) {
        let entries = &mut self.lists[list as usize];
        let pos =
            u32::try_from(entries.len()).expect("an arena index fits in u32, so a position does");
        entries.push(index);
        let node = &mut self.nodes[index as usize];
        node.pos = pos;
        node.list = list;
        if list < PENDING {
            self.occupied[list as usize / SLOTS] |= 1 << (list as usize % SLOTS);
        }
    }

    /// Takes `index` out of its list: the list's last entry moves into its place.
    fn unlink(&mut self, index: u32) {
        let node = &self.nodes[index as usize];
        let (pos, list) = (node.pos, node.list);
        let entries = &mut self.lists[list as usize];
        debug_assert_eq!(entries[pos as usize], index, "an entry knows its place");
        entries.swap_remove(pos as usize);
        if let Some(&moved) = entries.get(pos as usize) {
            self.nodes[moved as usize].pos = pos;
        } else if entries.is_empty() {
            self.clear_occupied(list);
        }
    }

    fn clear_occupied(&mut self, list: u16) {
        if list < PENDING {
            self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        }
    }
}

fn list_index(level: usize, slot: u64) -> u16 {
    (level * SLOTS + slot as usize) as u16
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::util::rand::FastRand;
    use std::collections::BTreeMap;

    /// Polls `wheel` to `now`, returning the values handed out, sorted.
    fn poll_all(wheel: &mut Wheel<u64>, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(v) = wheel.poll(now) {
            out.push(v);
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn fires_at_its_tick_never_before() {
        for when in [
            1,
            2,
            63,
            64,
            65,
            100,
            4095,
            4096,
            4097,
            262_143,
            262_144,
            1 << 30,
        ] {
            let mut wheel = Wheel::new();
            wheel.insert(when, when).unwrap();
            assert!(wheel.next_expiration().unwrap() <= when);
            assert_eq!(wheel.earliest_deadline(), Some(when));
            assert_eq!(poll_all(&mut wheel, when - 1), Vec::<u64>::new(), "{when}");
            assert_eq!(wheel.elapsed(), when - 1);
            assert_eq!(poll_all(&mut wheel, when), vec![when], "{when}");
            assert!(wheel.is_empty());
            assert_eq!(wheel.next_expiration(), None);
        }
    }

    #[test]
    fn stepping_one_tick_at_a_time() {
        let mut wheel = Wheel::new();
        let deadlines = [3u64, 64, 64, 70, 200, 4096, 5000];
        for &d in &deadlines {
            wheel.insert(d, d).unwrap();
        }
        let mut fired = Vec::new();
        for now in 0..=5000 {
            for v in poll_all(&mut wheel, now) {
                assert_eq!(v, now, "fired at the wrong tick");
                fired.push(v);
            }
        }
        assert_eq!(fired, deadlines);
    }

    #[test]
    fn due_deadlines_are_refused() {
        let mut wheel = Wheel::new();
        assert_eq!(poll_all(&mut wheel, 10), Vec::<u64>::new());
        assert_eq!(wheel.insert(10, 1), Err(1));
        assert_eq!(wheel.insert(3, 2), Err(2));
        assert!(wheel.insert(11, 3).is_ok());
    }

    #[test]
    fn removal_and_stale_keys() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(100, 1).unwrap();
        let b = wheel.insert(100, 2).unwrap();
        let c = wheel.insert(5000, 3).unwrap();
        assert_eq!(wheel.remove(b), Some(2));
        assert_eq!(wheel.remove(b), None, "a key removes once");
        // `b`'s cell is reused; the old key must not reach the new entry.
        let d = wheel.insert(100, 4).unwrap();
        assert_eq!(wheel.remove(b), None);
        assert_eq!(poll_all(&mut wheel, 100), vec![1, 4]);
        assert_eq!(wheel.remove(a), None, "handed out by poll");
        assert_eq!(wheel.remove(d), None);
        assert_eq!(wheel.remove(c), Some(3));
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn far_deadlines_overflow_and_come_back() {
        let mut wheel = Wheel::new();
        let far = (1u64 << SPAN_BITS) * 3 + 12_345;
        wheel.insert(far, far).unwrap();
        wheel.insert(MAX_TICK + 10, MAX_TICK).unwrap();
        assert_eq!(wheel.earliest_deadline(), Some(far));
        assert!(wheel.next_expiration().unwrap() <= far);
        assert_eq!(poll_all(&mut wheel, far - 1), Vec::<u64>::new());
        assert_eq!(poll_all(&mut wheel, far), vec![far]);
        assert_eq!(wheel.earliest_deadline(), Some(MAX_TICK));
        assert_eq!(poll_all(&mut wheel, MAX_TICK - 1), Vec::<u64>::new());
        assert_eq!(poll_all(&mut wheel, MAX_TICK), vec![MAX_TICK]);
    }

    #[test]
    fn drain_takes_everything() {
        let mut wheel = Wheel::new();
        for i in 1..=100u64 {
            wheel.insert(i * 997, i).unwrap();
        }
        let mut all = wheel.drain();
        all.sort_unstable();
        assert_eq!(all, (1..=100).collect::<Vec<_>>());
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
        assert!(wheel.insert(5, 0).is_ok());
    }

    /// Fills the wheel with `n` entries, then removes them all.
    fn fill_and_empty(wheel: &mut Wheel<u64>, n: u64) {
        let keys: Vec<Key> = (0..n)
            .map(|i| wheel.insert(1 + i % 5000, i).unwrap())
            .collect();
        for key in keys {
            wheel.remove(key).unwrap();
        }
    }

    #[test]
    fn memory_is_kept_while_bursts_repeat_and_given_back_after() {
        let mut wheel = Wheel::new();
        fill_and_empty(&mut wheel, 100_000);
        let burst_capacity = wheel.nodes.capacity();
        assert!(burst_capacity >= 100_000);
        // The same burst again reuses the arena: no free and regrow per burst.
        fill_and_empty(&mut wheel, 100_000);
        assert_eq!(wheel.nodes.capacity(), burst_capacity);
        // A quieter period: the arena goes once it is empty again.
        fill_and_empty(&mut wheel, 1_000);
        assert!(wheel.nodes.capacity() <= SHRINK_ABOVE);
        // Serials keep counting, so old keys stay stale in the new arena.
        let k = wheel.insert(10, 7).unwrap();
        assert_eq!(k.index, 0);
        assert_eq!(
            wheel.remove(Key {
                index: 0,
                serial: 0
            }),
            None
        );
        assert_eq!(wheel.remove(k), Some(7));
    }

    /// Random inserts, removals and polls against a `BTreeMap` model: every poll hands out
    /// exactly the entries due by then, and `next_expiration`/`earliest_deadline` bound them.
    #[test]
    fn matches_a_model_under_random_operations() {
        let rand = FastRand::new(0x5eed_1234);
        for round in 0..40 {
            let mut wheel = Wheel::new();
            let mut model: BTreeMap<u64, (u64, Key)> = BTreeMap::new(); // id -> (when, key)
            let mut now = u64::from(rand.below(1000)) * round;
            poll_all(&mut wheel, now);
            let mut next_id = 0u64;
            for _ in 0..3000 {
                match rand.below(10) {
                    0..=4 => {
                        // Mostly near deadlines, some across levels, a few past the span.
                        let offset = match rand.below(20) {
                            0 => u64::from(rand.below(u32::MAX)) << rand.below(12),
                            1..=4 => u64::from(rand.below(1 << 24)),
                            _ => u64::from(rand.below(5000)),
                        };
                        let when = now + offset;
                        match wheel.insert(when, next_id) {
                            Ok(key) => {
                                model.insert(next_id, (when, key));
                            }
                            Err(id) => assert!(when <= now && id == next_id),
                        }
                        next_id += 1;
                    }
                    5..=6 if !model.is_empty() => {
                        let nth = rand.below(model.len() as u32) as usize;
                        let (&id, &(_, key)) = model.iter().nth(nth).unwrap();
                        assert_eq!(wheel.remove(key), Some(id));
                        model.remove(&id);
                    }
                    _ => {
                        if let Some(exp) = wheel.next_expiration() {
                            let min = model.values().map(|&(w, _)| w).min().unwrap();
                            assert!(exp <= min, "next_expiration {exp} after deadline {min}");
                            assert_eq!(wheel.earliest_deadline(), Some(min));
                        } else {
                            assert!(model.is_empty());
                        }
                        now += match rand.below(8) {
                            0 => u64::from(rand.below(1 << 26)),
                            1 => wheel.next_expiration().map_or(0, |e| e.saturating_sub(now)),
                            _ => u64::from(rand.below(300)),
                        };
                        let fired = poll_all(&mut wheel, now);
                        let mut expected: Vec<u64> = model
                            .iter()
                            .filter(|(_, &(when, _))| when <= now)
                            .map(|(&id, _)| id)
                            .collect();
                        expected.sort_unstable();
                        assert_eq!(fired, expected, "round {round}, now {now}");
                        for id in fired {
                            model.remove(&id);
                        }
                    }
                }
                assert_eq!(wheel.len(), model.len());
            }
        }
    }
}
