//! What the pool needs of the runtime it serves, without naming the scheduler above it.

use crate::rt::driver::TimeHandle;

/// The runtime a blocking task is spawned for, as the pool sees it: a small trait so that the
/// pool stays below the scheduler (`runtime/builder.rs` implements it for the scheduler's
/// handle, the one type that ever fills it).
pub(crate) trait RuntimeHandle: Clone + Send + 'static {
    /// Keeps the runtime current on this thread until it is dropped.
    type Entered;

    /// Makes the runtime the current one on a pool thread, so its blocking tasks can spawn,
    /// find their reactor and timers, and call `Handle::current()`.
    fn enter(&self) -> Self::Entered;

    /// The runtime's time driver, if it has one: a blocking task holds back its paused clock.
    fn time_handle(&self) -> Option<&TimeHandle>;
}
