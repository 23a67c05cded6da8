//! The per-runtime time state: the clock, the sharded wheel, and what the driver calls.

use super::clock::{AutoAdvance, Clock};
use super::wheel::{Key, Wheel, MAX_TICK};
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::loom::sync::{Arc, Mutex};
use std::cell::Cell;
use std::fmt;
use std::task::Waker;
use std::time::{Duration, Instant};

/// "No deadline" in the tick-valued atomics.
const NO_TICK: u64 = u64::MAX;

/// The most shards a wheel is split into.
const MAX_SHARDS: usize = 32;

/// A runtime's time driver state. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub(crate) struct TimeHandle {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    /// Tick 0: the clock's reading when the runtime was built. Tick `n` is `start + n ms`.
    start: Instant,
    shards: Box<[Shard]>,
    /// The tick the driver last said it would sleep until (`NO_TICK`: indefinitely). A new
    /// timer due earlier unparks the driver; see "Waking the driver" in the module docs.
    driver_wake: AtomicU64,
    /// Every timer due at or before this tick has left the wheel, and was woken or is about to
    /// be (by the `process` call that published it). A registered `Sleep` whose tick is at or
    /// before it has fired; a deadline at or before it is complete without a registration.
    /// Every pending `Sleep` reads it when polled, and `process` writes it once per tick: it
    /// has a cache line of its own, away from the lines the driver writes at every park.
    processed: CachePadded<AtomicU64>,
    is_shutdown: AtomicBool,
    unpark: Box<dyn Fn() + Send + Sync>,
}

/// One wheel, used by the threads that map to it. Aligned so two shards' locks never share a
/// cache line.
#[repr(align(128))]
struct Shard {
    /// The wheel holds, per registration, a clone of the waker to wake when it fires.
    wheel: Mutex<Wheel<Waker>>,
    /// A lower bound of every deadline in `wheel` (`NO_TICK` if empty), readable without the
    /// lock. Only written under the lock; may be stale-low after a cancel, never high.
    next_tick: AtomicU64,
}

/// Where a registration sits: its shard and its key in that shard's wheel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    shard: usize,
    key: Key,
}

/// The outcome of putting a timer in the wheel.
pub(crate) enum Insert {
    /// In the wheel; it will fire (or be removed through the slot).
    Armed(Slot),
    /// Its deadline has already been processed: it is complete, nothing was stored.
    Due,
    /// The runtime is shutting down: nothing was stored.
    Shutdown,
}

/// The outcome of moving a registered timer to a new deadline.
pub(crate) enum Reschedule {
    Armed(Slot),
    /// The new deadline is already due: the timer left the wheel; here is its waker.
    Due(Waker),
    /// The timer was no longer in the wheel (it fired, or shutdown took it).
    Gone,
}

impl TimeHandle {
    /// The time driver of a new runtime. `unpark` wakes whichever thread sleeps in the driver;
    /// it must be sticky (an unpark before the sleep makes the sleep return at once).
    pub(crate) fn new(start_paused: bool, unpark: impl Fn() + Send + Sync + 'static) -> TimeHandle {
        TimeHandle::with_unpark(start_paused, default_shards(), unpark)
    }

    /// As `new`, with any unpark function and shard count (for tests).
    pub(crate) fn with_unpark(
        start_paused: bool,
        shards: usize,
        unpark: impl Fn() + Send + Sync + 'static,
    ) -> TimeHandle {
        let clock = Clock::new(start_paused);
        let start = clock.now();
        let shards = (0..shards.max(1))
            .map(|_| Shard {
                wheel: Mutex::new(Wheel::new()),
                next_tick: AtomicU64::new(NO_TICK),
            })
            .collect();
        TimeHandle {
            inner: Arc::new(Inner {
                clock,
                start,
                shards,
                driver_wake: AtomicU64::new(NO_TICK),
                processed: CachePadded(AtomicU64::new(0)),
                is_shutdown: AtomicBool::new(false),
                unpark: Box::new(unpark),
            }),
        }
    }

    /// The earliest instant (OS clock) at which `process` may have something to fire; the driver
    /// sleeps until then at most. `None`: no timer, or a paused clock (time cannot pass by
    /// itself then; see `is_paused` and `advance_to_next_deadline`).
    ///
    /// Also records that instant as the one the driver sleeps until, so that a timer registered
    /// afterwards with an earlier deadline unparks the driver.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let inner = &*self.inner;
        if inner.clock.is_frozen() {
            return None;
        }
        let tick = self.next_wake_tick();
        if tick == NO_TICK {
            return None;
        }
        let deadline = self.instant_of_tick(tick);
        let now = inner.clock.now();
        // The clock may run apart from the OS clock (it was paused, then resumed). A deadline
        // the OS clock cannot represent is never reached: sleep with none.
        Instant::now().checked_add(deadline.saturating_duration_since(now))
    }

    /// Fires every timer whose deadline is at or before now: takes them out of every shard,
    /// publishes `processed`, then wakes their tasks, outside the locks.
    pub(crate) fn process(&self) {
        let now = self.now_tick();
        with_due_buffer(|due| {
            for shard in self.inner.shards.iter() {
                // Relaxed: a bound only; a timer inserted concurrently unparks the driver.
                if shard.next_tick.load(Ordering::Relaxed) <= now {
                    take_due(shard, now, due);
                }
            }
            // Published before any wake-up: a task woken below finds its `Sleep` fired. The
            // load first: pollers read this line, so write it only when it changes. Release:
            // pairs with `has_processed`'s Acquire.
            if now > self.inner.processed.0.load(Ordering::Relaxed) {
                self.inner.processed.0.fetch_max(now, Ordering::Release);
            }
            for waker in due.drain(..) {
                waker.wake();
            }
        });
    }

    /// True if the clock is paused and may jump to the next timer (no `advance` in progress, no
    /// blocking task inhibiting it).
    pub(crate) fn is_paused(&self) -> bool {
        self.inner.clock.can_auto_advance()
    }

    /// With a paused clock and nothing else to do: moves the clock to the earliest deadline of
    /// any timer, if it stands before it. Returns true if a timer is now due (the caller should
    /// `process` rather than sleep), false if there is no timer at all or the clock may not jump
    /// (the caller sleeps with no deadline).
    ///
    /// Records, as `next_deadline` does, what the driver sleeps until: nothing if there is no
    /// timer, so that a timer registered afterwards (from another thread) unparks it.
    pub(crate) fn advance_to_next_deadline(&self) -> bool {
        let inner = &*self.inner;
        if !inner.clock.can_auto_advance() {
            return false;
        }
        // Steps 1 to 3 of "Waking the driver", with each shard's exact earliest deadline rather
        // than its bound (a bound may be stale-low after a cancel, and the clock must not jump
        // to a deadline nobody waits for). Reading under the shard locks is as good as the
        // bounds' SeqCst loads: a registration this misses locks the shard after us, so its
        // `fetch_min` comes after step 1.
        inner.driver_wake.store(NO_TICK, Ordering::SeqCst);
        let earliest = inner
            .shards
            .iter()
            .filter_map(|s| s.wheel.lock().earliest_deadline())
            .min()
            .unwrap_or(NO_TICK);
        inner.driver_wake.fetch_min(earliest, Ordering::SeqCst);
        if earliest == NO_TICK {
            return false;
        }
        inner.clock.advance_to(self.instant_of_tick(earliest));
        true
    }

    /// Runtime shutdown: fires every timer (their `Sleep`s then panic when polled) and refuses
    /// new ones. Idempotent.
    pub(crate) fn shutdown(&self) {
        // Before taking the locks: a registration that takes a shard lock after we drained the
        // shard sees the flag.
        self.inner.is_shutdown.store(true, Ordering::Release);
        for shard in self.inner.shards.iter() {
            let drained = {
                let mut wheel = shard.wheel.lock();
                let drained = wheel.drain();
                shard.next_tick.store(NO_TICK, Ordering::SeqCst);
                drained
            };
            // A woken `Sleep` sees `is_shutdown` (stored above) and completes with an error.
            for waker in drained {
                waker.wake();
            }
        }
    }

    /// Forbids auto-advance until the matching `allow_auto_advance` (for a blocking task, whose
    /// progress the paused clock cannot see).
    pub(crate) fn inhibit_auto_advance(&self) {
        self.inner.clock.inhibit_auto_advance();
    }

    /// Ends one `inhibit_auto_advance`; wakes the driver if auto-advance is allowed again (it
    /// may sleep with no deadline, waiting for this).
    pub(crate) fn allow_auto_advance(&self) {
        if let AutoAdvance::NowAllowed = self.inner.clock.allow_auto_advance() {
            self.unpark_driver();
        }
    }

    /// Wakes the thread asleep in the driver (or makes its next sleep return at once), so it
    /// looks at the clock again.
    pub(crate) fn unpark_driver(&self) {
        (self.inner.unpark)();
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The clock's current reading.
    pub(crate) fn now(&self) -> Instant {
        self.inner.clock.now()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.inner.is_shutdown.load(Ordering::Acquire)
    }

    /// True if a timer due at `tick` has certainly passed: `process` has fired that tick (a
    /// timer registered for it has left the wheel).
    pub(crate) fn has_processed(&self, tick: u64) -> bool {
        // Acquire: pairs with the Release in `process`; the wheel's own state is read under
        // its lock, so this orders only what the caller may assume about the entry.
        tick <= self.inner.processed.0.load(Ordering::Acquire)
    }

    /// The tick at which a timer due at `deadline` fires: rounded *up* to the next whole
    /// millisecond, so it never fires early.
    pub(crate) fn tick_of_deadline(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.inner.start);
        let round_up = u64::from(since.subsec_nanos() % 1_000_000 != 0);
        millis(since).saturating_add(round_up).min(MAX_TICK)
    }

    /// The last tick that has fully passed: rounded *down*.
    fn now_tick(&self) -> u64 {
        millis(self.now().saturating_duration_since(self.inner.start)).min(MAX_TICK)
    }

    fn instant_of_tick(&self, tick: u64) -> Instant {
        let start = self.inner.start;
        start
            .checked_add(Duration::from_millis(tick))
            .unwrap_or_else(|| far_future(start))
    }

    /// Steps 1 to 3 of "Waking the driver": the tick the driver may sleep until.
    pub(crate) fn next_wake_tick(&self) -> u64 {
        let inner = &*self.inner;
        // Step 1: from here on, any new timer unparks the driver...
        inner.driver_wake.store(NO_TICK, Ordering::SeqCst);
        // ...2: collect the shards' bounds...
        let tick = inner
            .shards
            .iter()
            .map(|s| s.next_tick.load(Ordering::SeqCst))
            .min()
            .unwrap_or(NO_TICK);
        // ...3: and from here on, only timers due before `tick` do.
        inner.driver_wake.fetch_min(tick, Ordering::SeqCst);
        tick
    }

    /// Timers in the wheel (for tests).
    #[cfg(test)]
    pub(crate) fn timer_count(&self) -> usize {
        self.inner.shards.iter().map(|s| s.wheel.lock().len()).sum()
    }

    /// Puts a clone of `waker` in this thread's shard, due at `tick`.
    pub(crate) fn insert(&self, tick: u64, waker: &Waker) -> Insert {
        let inner = &*self.inner;
        let index = shard_index(inner.shards.len());
        let shard = &inner.shards[index];
        // Cloned before the lock: a waker's `clone` is foreign code, which may poll a timer
        // of its own, on this thread and so in this shard.
        let waker = waker.clone();
        let refused = {
            let mut wheel = shard.wheel.lock();
            if self.is_shutdown() {
                drop(wheel);
                drop(waker);
                return Insert::Shutdown;
            }
            match wheel.insert(tick, waker) {
                Ok(key) => {
                    lower_bound(shard, tick);
                    drop(wheel);
                    self.notify_driver(tick);
                    return Insert::Armed(Slot { shard: index, key });
                }
                Err(refused) => refused,
            }
        };
        // Dropped outside the lock, as every value leaving the wheel.
        drop(refused);
        Insert::Due
    }

    /// Takes a registration out of the wheel, if it is still there (false: it has fired, or
    /// shutdown took it).
    pub(crate) fn remove(&self, slot: Slot) -> bool {
        // The lock guard is gone when the waker drops: its destructor may run any code.
        self.take(slot).is_some()
    }

    /// As `remove`, handing back the registration's waker.
    pub(crate) fn take(&self, slot: Slot) -> Option<Waker> {
        self.inner.shards[slot.shard].wheel.lock().remove(slot.key)
    }

    /// Moves a registration to a new deadline under one lock acquisition.
    pub(crate) fn reschedule(&self, slot: Slot, tick: u64) -> Reschedule {
        let shard = &self.inner.shards[slot.shard];
        let refused = {
            let mut wheel = shard.wheel.lock();
            let Some(entry) = wheel.remove(slot.key) else {
                return Reschedule::Gone;
            };
            match wheel.insert(tick, entry) {
                Ok(key) => {
                    lower_bound(shard, tick);
                    drop(wheel);
                    self.notify_driver(tick);
                    return Reschedule::Armed(Slot {
                        shard: slot.shard,
                        key,
                    });
                }
                Err(refused) => refused,
            }
        };
        Reschedule::Due(refused)
    }

    /// A timer due at `tick` was just armed: unpark the driver if it sleeps past `tick`.
    fn notify_driver(&self, tick: u64) {
        let wake = &self.inner.driver_wake;
        // SeqCst, as in `next_deadline`: the protocol needs a single order of the shard bound
        // written before this and the driver's reset of `driver_wake`. The plain load first
        // keeps the common case (a later deadline) from writing the shared line.
        if tick < wake.load(Ordering::SeqCst) && tick < wake.fetch_min(tick, Ordering::SeqCst) {
            (self.inner.unpark)();
        }
    }
}

/// Whole milliseconds in `d`, in 64-bit arithmetic (`as_millis` divides 128-bit numbers).
fn millis(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_millis()))
}

/// Lowers a shard's bound to `tick`, under its lock (the caller holds it).
fn lower_bound(shard: &Shard, tick: u64) {
    // Relaxed load: the bound is only written under the lock we hold.
    if tick < shard.next_tick.load(Ordering::Relaxed) {
        // SeqCst: step 2 of "Waking the driver" must see it, or the inserter must see step 1.
        shard.next_tick.store(tick, Ordering::SeqCst);
    }
}

/// Takes the entries of one shard due by `now` out of its wheel, into `due`, and stores the
/// shard's new lower bound: one lock acquisition, whose length is the moves of the due wakers.
fn take_due(shard: &Shard, now: u64, due: &mut Vec<Waker>) {
    let mut wheel = shard.wheel.lock();
    while let Some(waker) = wheel.poll(now) {
        due.push(waker);
    }
    let bound = wheel.next_expiration().unwrap_or(NO_TICK);
    shard.next_tick.store(bound, Ordering::SeqCst);
}

/// The most wakers `with_due_buffer` keeps room for between calls (256 KiB).
#[cfg(not(loom))]
const KEEP_DUE_CAPACITY: usize = 16 * 1024;

/// Runs `f` with an empty buffer for the wakers `process` collects: this thread's, kept
/// between calls so that firing a burst of timers does not regrow a vector each tick.
fn with_due_buffer<R>(f: impl FnOnce(&mut Vec<Waker>) -> R) -> R {
    #[cfg(not(loom))]
    {
        thread_local! {
            static DUE: Cell<Vec<Waker>> = const { Cell::new(Vec::new()) };
        }
        // Taken out of the cell, so a waker that fires timers itself gets a fresh one.
        let mut due = DUE.try_with(Cell::take).unwrap_or_default();
        let result = f(&mut due);
        if due.capacity() > KEEP_DUE_CAPACITY {
            // A rare flood of timers due at once: do not hold its memory for good.
            due.shrink_to(KEEP_DUE_CAPACITY);
        }
        let _ = DUE.try_with(|cell| cell.set(due));
        result
    }
    #[cfg(loom)]
    {
        f(&mut Vec::new())
    }
}

/// A value on a cache line (128 bytes, as adjacent-line prefetch pairs lines) of its own.
#[repr(align(128))]
struct CachePadded<T>(T);

/// One shard per CPU, up to `MAX_SHARDS` (asked of the OS once: it reads cgroup files).
fn default_shards() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static CACHED: AtomicUsize = AtomicUsize::new(0);
    match CACHED.load(Relaxed) {
        0 => {
            let n = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_SHARDS);
            CACHED.store(n, Relaxed);
            n
        }
        n => n,
    }
}

/// The shard the current thread registers timers in: threads are spread round-robin, in the
/// order they first register one.
fn shard_index(shards: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    if shards == 1 {
        return 0;
    }
    let seed = SHARD
        .try_with(|shard| {
            if shard.get() == usize::MAX {
                // Relaxed: any distinct-enough number will do.
                shard.set(NEXT.fetch_add(1, Relaxed));
            }
            shard.get()
        })
        .unwrap_or(0);
    seed % shards
}

/// About 30 years: how far ahead a timer that should never fire is put, and the longest delay
/// `sleep` and `Interval` use (as Tokio's "far future"; 1000 years overflow some platforms'
/// clocks).
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// An instant about 30 years after `from`; less if `from` is so late that `Instant` cannot
/// represent that (a clock advanced that far), never a panic.
pub(crate) fn far_future(from: Instant) -> Instant {
    let mut ahead = FAR_FUTURE;
    loop {
        if let Some(deadline) = from.checked_add(ahead) {
            return deadline;
        }
        // Ends: `from + 0` is `from`.
        ahead /= 2;
    }
}

/// `from + after`, with `after` capped at `FAR_FUTURE` (as Tokio's `sleep` and `Interval` cap
/// their delays): a user-supplied duration never overflows the clock.
pub(crate) fn deadline_after(from: Instant, after: Duration) -> Instant {
    from.checked_add(after.min(FAR_FUTURE))
        .unwrap_or_else(|| far_future(from))
}

/// The current runtime's time driver, if there is a runtime and it has one.
pub(crate) fn try_current() -> Option<TimeHandle> {
    let rt = crate::rt::context::try_current().ok()?;
    rt.time_handle().cloned()
}

/// The current runtime's time driver.
///
/// # Panics
/// Outside a runtime, or if the runtime was built without `enable_time`, with Tokio's messages.
#[track_caller]
pub(crate) fn current() -> TimeHandle {
    TimeRef::current().get().clone()
}

/// How a timer reaches its time driver: the current runtime's, taken when the `Sleep` is made
/// (one `Arc` clone per `Sleep`), or one a unit test made without a runtime.
pub(crate) enum TimeRef {
    Runtime(TimeHandle),
    #[cfg(test)]
    Direct(TimeHandle),
}

impl TimeRef {
    /// The current runtime, which must have a time driver.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime was built without `enable_time`, with Tokio's
    /// messages.
    #[track_caller]
    pub(crate) fn current() -> TimeRef {
        let rt = crate::rt::context::current();
        let Some(time) = rt.time_handle() else {
            panic!(
                "A Tokio 1.x context was found, but timers are disabled. Call \
                 `enable_time` on the runtime builder to enable timers."
            );
        };
        TimeRef::Runtime(time.clone())
    }

    pub(crate) fn get(&self) -> &TimeHandle {
        match self {
            TimeRef::Runtime(handle) => handle,
            #[cfg(test)]
            TimeRef::Direct(handle) => handle,
        }
    }
}

#[cfg(test)]
impl From<TimeHandle> for TimeRef {
    fn from(handle: TimeHandle) -> TimeRef {
        TimeRef::Direct(handle)
    }
}

impl fmt::Debug for TimeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeHandle")
            .field("shards", &self.inner.shards.len())
            .field("is_shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}
