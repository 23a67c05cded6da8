//! What the builder tells a scheduler of either flavour about its loop.

use crate::rt::blocking::Callback;
use std::num::NonZeroU64;

/// The tick intervals of a scheduler's loop: the same knobs, with the same defaults, for both
/// flavours (`Builder::global_queue_interval`, `Builder::event_interval`, the I/O event caps);
/// the park hooks; and the runtime's identity (`Builder::name`, `Handle::name`, `Handle::id`).
#[derive(Clone)]
pub(crate) struct Config {
    /// Every this many ticks the injection queue goes first (fairness: tasks woken from other
    /// threads are not starved by a run queue that never empties).
    pub(crate) global_queue_interval: u32,
    /// Multi-thread: every this many ticks a worker polls the driver and checks for shutdown.
    /// Current-thread: at most this many tasks run between two turns of the driver.
    pub(crate) event_interval: u32,
    /// The most I/O events one turn of the driver dispatches when the thread is about to sleep
    /// (`Builder::max_io_events_per_tick`)...
    pub(crate) max_io_events_per_tick: usize,
    /// ... and when it still has tasks to run, so the turn does not wait
    /// (`Builder::max_io_events_per_busy_tick`; the rest wait in the kernel for a later turn).
    pub(crate) max_io_events_per_busy_tick: usize,
    /// Run by a scheduler thread before it sleeps (`Builder::on_thread_park`).
    pub(crate) before_park: Option<Callback>,
    /// Run by a scheduler thread after it woke up (`Builder::on_thread_unpark`).
    pub(crate) after_unpark: Option<Callback>,
    /// The name the user gave the runtime, if any.
    pub(crate) name: Option<std::sync::Arc<str>>,
    /// The runtime's id (`runtime::Id`), unique among the runtimes of the process.
    pub(crate) id: NonZeroU64,
    /// A `LocalRuntime`'s: the thread that built it, the only one its local tasks may be
    /// spawned from (`spawn_local` elsewhere panics with Tokio's message naming it).
    pub(crate) local_owner: Option<std::thread::ThreadId>,
}

impl Config {
    /// The builder's defaults (for the scheduler's own tests).
    #[cfg(all(test, loom))]
    pub(crate) fn for_tests() -> Config {
        Config {
            global_queue_interval: 61,
            event_interval: 61,
            max_io_events_per_tick: 1024,
            max_io_events_per_busy_tick: 1024,
            before_park: None,
            after_unpark: None,
            name: None,
            id: NonZeroU64::MIN,
            local_owner: None,
        }
    }
}
