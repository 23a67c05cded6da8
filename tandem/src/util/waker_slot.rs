//! `register`: puts a waker in a slot that a lock guards without running any of the waker's
//! code under that lock.
//!
//! A waker's `clone` and `drop` are foreign code. Where a lock guards a waker slot and also
//! what wakes it (a `LocalSet`'s remote queue, a `JoinSet`'s ready list), that code may wake
//! the very thing the slot waits for, which takes the same lock: cloned under it, such a
//! waker deadlocks its thread. So the clone is made between two lock acquisitions, and the
//! waker it replaces is handed back to drop after the lock. The common poll, with the waker
//! already registered, locks once.

use std::ops::DerefMut;
use std::task::Waker;

/// Registers `waker` in the slot `slot` picks out of what `lock` guards, unless that slot holds
/// a waker that wakes the same task. Returns the guard (still held: what the caller does under
/// it happens after the registration) and the waker replaced, which the caller drops once the
/// guard is gone.
pub(crate) fn register<G, T>(
    lock: impl Fn() -> G,
    slot: fn(&mut T) -> &mut Option<Waker>,
    waker: &Waker,
) -> (G, Option<Waker>)
where
    G: DerefMut<Target = T>,
{
    let mut guard = lock();
    if slot(&mut guard)
        .as_ref()
        .is_some_and(|w| w.will_wake(waker))
    {
        return (guard, None);
    }
    drop(guard);
    let clone = waker.clone();
    let mut guard = lock();
    // Another poll may have registered meanwhile: the last one wins, as with one acquisition.
    let replaced = slot(&mut guard).replace(clone);
    (guard, replaced)
}
