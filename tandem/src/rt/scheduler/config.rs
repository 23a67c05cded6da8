//! What the builder tells a scheduler of either flavour about its loop.

/// The tick intervals of a scheduler's loop: the same two knobs, with the same defaults, for
/// both flavours (`Builder::global_queue_interval`, `Builder::event_interval`); and the
/// runtime's name (`Builder::name`, `Handle::name`).
#[derive(Clone)]
pub(crate) struct Config {
    /// Every this many ticks the injection queue goes first (fairness: tasks woken from other
    /// threads are not starved by a run queue that never empties).
    pub(crate) global_queue_interval: u32,
    /// Multi-thread: every this many ticks a worker polls the driver and checks for shutdown.
    /// Current-thread: at most this many tasks run between two turns of the driver.
    pub(crate) event_interval: u32,
    /// The name the user gave the runtime, if any.
    pub(crate) name: Option<std::sync::Arc<str>>,
}
