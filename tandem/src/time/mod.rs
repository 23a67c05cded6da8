//! Utilities for tracking time: [`sleep`], [`timeout`], [`interval`], and a clock tests can
//! pause.
//!
//! The names mirror `tokio::time`. Timers have millisecond resolution and never complete early:
//! a deadline is rounded *up* to the next millisecond tick. They need a runtime built with
//! `enable_time` (as `enable_all`, `#[tandem::main]` and `#[tandem::test]` do).
//!
//! ```
//! use std::time::Duration;
//! use tandem::time::{sleep, timeout};
//!
//! # tandem::runtime::Runtime::new().unwrap().block_on(async {
//! sleep(Duration::from_millis(1)).await;
//! let slow = sleep(Duration::from_secs(60));
//! assert!(timeout(Duration::from_millis(1), slow).await.is_err());
//! # });
//! ```
//!
//! # Design
//!
//! Files, lowest layer first. The engine is in `rt/time/` (crate-private); this folder is the
//! public surface over it.
//!
//! | file | responsibility |
//! |---|---|
//! | `rt/time/wheel.rs` | the hierarchical timing wheel: a pure data structure of deadlines in ticks (6 levels of 64 slots, 1 ms ticks, an overflow list past 2^36 ms); entries in an arena, each slot a vector of arena indices (removal O(1) by swapping the last index in; expiring a slot overlaps its cache misses), and no `unsafe` |
//! | `rt/time/clock.rs` | a runtime's clock (OS time, or paused/advanced for tests) |
//! | `rt/time/entry.rs` | `TimerEntry`, a `Sleep`'s timer: lazy registration (a clone of the task's waker in the wheel), reset, cancel |
//! | `rt/time/handle.rs` | the per-runtime state (clock, wheel shards) and what the driver calls: `next_deadline`, `process`, `is_paused`, `advance_to_next_deadline`, `shutdown`; `TimeRef`, how a `Sleep` reaches it (one `Arc` clone of the time driver's handle per `Sleep`) |
//! | `clock.rs` | `pause`, `resume`, `advance` |
//! | `instant.rs`, `sleep.rs`, `timeout.rs`, `interval.rs`, `error.rs` | the rest of the public API |
//!
//! The wheel is sharded: a timer goes into the shard of the thread that first polls it (threads
//! are spread round-robin over up to one shard per CPU), so workers registering timers do not
//! contend on one lock. Each shard keeps, in an atomic, a lower bound of its deadlines, so the
//! driver finds the next deadline and skips shards with nothing due without locking.
//!
//! ## Invariants
//!
//! - A registration is one cell of one shard's wheel, holding a clone of the registering
//!   task's waker; the `Sleep` keeps its shard, key and tick. The cell leaves the wheel only
//!   under the shard lock: taken by `process` (deadline), by `shutdown`, or by the owning
//!   `TimerEntry` (cancel, reset, waker change).
//! - `processed` (one atomic per runtime, on its own cache line) is the last tick `process`
//!   finished taking out: every timer due at or before it has left the wheel. `process`
//!   publishes it *before* it wakes any of the timers it took out. So a registered `Sleep`
//!   whose tick is at or before `processed` has fired, completes at once, and never locks to
//!   cancel; one whose tick is later is still in the wheel, or in the hands of a `process`
//!   call that has yet to publish and then wake it. There is no per-timer state word and no
//!   per-timer allocation.
//! - Wakers are cloned before a shard's lock is taken, and woken, or dropped as values leaving
//!   the wheel, only after it is released ("collect, release, wake"): a waker's code may
//!   register or cancel timers.
//! - A timer fires at tick `ceil(deadline)` and `process` fires tick `t` only once the clock
//!   reads at least `t` ms after tick 0 (`floor(now)`), so nothing fires early. A deadline at
//!   or before `processed` completes at its first poll without touching the wheel (so does
//!   `sleep(0)`, known due when made).
//! - A registration's waker is fixed. The `Sleep` remembers the registered waker's identity
//!   (the two pointers `Waker::will_wake` compares): a poll with a waker that would not wake
//!   it takes the cell out and registers again (rare: the future moved to another task); a
//!   repeated poll with the same waker reads `processed` and compares two words, with no lock
//!   and no waker clone. The identity cannot be stale: while the `Sleep` is registered and
//!   unfired, the wheel's clone (or the firing `process` call's) keeps that waker alive, so
//!   its addresses cannot be reused by another.
//!
//! ## Cancelling a timer (dropping a `Sleep`)
//!
//! 1. Never polled (no registration): nothing to do; no lock, no allocation.
//! 2. If its tick is at or before `processed`, the wheel has already let go of it: done.
//! 3. Otherwise lock the entry's shard and remove it by key (O(1): swap it out of its slot's
//!    list, free the arena cell). The key carries a serial number, so if the entry fired between
//!    steps 2 and 3 the removal finds nothing and is harmless (the fire's wake-up is spurious).
//! 4. Drop the removed waker after releasing the lock.
//!
//! ## Firing (`process`, run by whichever thread drives the driver)
//!
//! 1. Read the clock once: `now = floor(ms since tick 0)`.
//! 2. For each shard whose lower bound is `<= now`: lock it, advance its wheel to `now`, move
//!    every due entry's waker into a per-thread buffer, store the shard's new lower bound,
//!    unlock.
//! 3. Publish `processed = now` (Release; `Sleep`s read it with Acquire).
//! 4. Wake the collected wakers.
//!
//! ## Waking the driver
//!
//! The driver sleeps until `next_deadline()`. A timer registered meanwhile with an earlier
//! deadline must wake it; one with a later deadline must not (that would cost a syscall per
//! timer). `driver_wake` holds the tick the driver sleeps until, and all accesses are `SeqCst`:
//!
//! 1. `next_deadline` stores `driver_wake = ∞` ("any new timer must unpark me"),
//! 2. reads every shard's lower bound, giving `m`,
//! 3. and does `driver_wake = min(driver_wake, m)`; the driver then sleeps until `m`.
//!
//! A registration of tick `t` inserts under its shard's lock, lowers the shard's bound to `t`,
//! and after unlocking does `prev = fetch_min(driver_wake, t)`, unparking the driver if
//! `t < prev`. If step 2 missed the new bound, the registration's `fetch_min` comes after
//! step 1 in the single order and sees `∞`, a value from step 3 (then `m <= t`, or it unparks),
//! or another registration's `t' <= t` (which already guaranteed a wake-up by `t'`). The unpark
//! is sticky (a pending unpark makes the next sleep return at once), so it is never lost.
//!
//! ## Paused clock
//!
//! On a current-thread runtime the clock can be frozen (`pause`, or `start_paused`); it then
//! moves only through `advance` or auto-advance, which is forbidden while something the clock
//! cannot see is under way: an `advance`, until the runtime has had a turn to fire what it made
//! due; a blocking task, from its spawn until it is released (complete, its `JoinHandle` woken).
//! When the scheduler finds nothing to run, the driver's park:
//!
//! 1. If auto-advance is forbidden, sleeps with no deadline (a frozen clock reaches none).
//!    Whatever lifts the last inhibition (`allow_auto_advance`) or moves the clock (`advance`,
//!    `resume`, `pause`) unparks the driver, so it looks again.
//! 2. Otherwise collects what is ready without sleeping (a zero-timeout turn: I/O events, ring
//!    completions, signals, unparks). If anything arrived, it returns with the clock where it
//!    stands: a task woken now runs at this instant (a datagram already queued is received
//!    before a sleep's deadline, not after it).
//! 3. Otherwise `advance_to_next_deadline` finds the earliest deadline under the shard locks
//!    (exact, not a slot boundary), jumps the clock to it, and `process` fires it; with no timer
//!    at all the driver sleeps with no deadline. Either way it records what it sleeps until
//!    (steps 1 to 3 of "Waking the driver", `∞` with no timer), so a timer registered from
//!    another thread unparks it.
//!
//! A wake that precedes a release is never overtaken by a jump: a blocking task wakes its
//! joiner (a remote schedule, which unparks) before its release lifts the inhibition. If step 1
//! saw the inhibition lifted, that unpark came before, and step 2, after step 1, consumes it
//! (the unpark is sticky). Loom models: `tests/loom_paused.rs`.
//!
//! ## Shutdown
//!
//! 1. Set the shutdown flag (new registrations check it under the shard lock and fail).
//! 2. For each shard: lock, drain the wheel, set `FIRED | SHUTDOWN` on every entry, unlock.
//! 3. Wake them all. A `Sleep` polled afterwards panics ("A Tokio 1.x context was found, but it is
//!    being shutdown."), as does one first polled after shutdown.

mod clock;
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};

/// `std::time::Duration`, re-exported for convenience (as Tokio does).
pub use std::time::Duration;
