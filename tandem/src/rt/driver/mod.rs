//! What a thread parks on when it has nothing to run: the I/O reactor (`epoll_wait`) bounded by
//! the next timer deadline, or, without I/O, a condition variable with that timeout.
//!
//! One `Driver` per runtime. On the multi-thread runtime the first idle worker to take it (a
//! `try_lock`) sleeps in it; the other idle workers sleep on their own condition variables
//! (`worker_park.rs`). Waking the driver's sleeper goes through `DriverUnpark`: the mio waker (an
//! eventfd write) or the fallback parker.
//!
//! | file | responsibility |
//! |---|---|
//! | `park_state.rs` | the sleep-and-wake protocol both parkers share: the state word (EMPTY, PARKED_CONDVAR, PARKED_DRIVER, NOTIFIED), the condvar sleep, what an unpark must wake |
//! | `park.rs` | `Parker`: a thread's sleep on a condition variable (`block_on`, and the driver without I/O) |
//! | `worker_park.rs` | `WorkerParker`: a worker's sleep, in the shared driver if it can take it, else on its condition variable |
//! | `mod.rs` | `Driver` (one turn: timeout from the next timer, sleep, dispatch, fire timers), its `DriverHandle` |
//!
//! A park:
//! 1. Work out the timeout: the caller's limit, shortened to the next timer deadline. With a
//!    paused clock and nothing else to do, collect what is ready without sleeping, and only if
//!    nothing arrived advance the clock to that deadline instead of sleeping.
//! 2. Sleep in the reactor (or the fallback parker); dispatch I/O events (tasks get woken).
//! 3. Fire the timers that are due.

mod park;
mod park_state;
mod worker_park;

#[cfg(all(test, loom))]
pub(crate) mod tests;

/// The time driver's handle.
pub(crate) use crate::rt::time::TimeHandle;

pub(crate) use park::{Parker, Unparker};
pub(crate) use worker_park::{SharedDriver, WorkerParker, WorkerUnparker};

use crate::rt::reactor;
use std::io;
use std::time::{Duration, Instant};

/// The runtime's driver: owned by whichever thread parks on it.
pub(crate) struct Driver {
    inner: Inner,
    is_shutdown: bool,
}

enum Inner {
    Io(reactor::Driver),
    /// No I/O: a thread parker with a timeout stands in for `epoll_wait`.
    Thread(Parker),
}

/// The shared handles of the driver's parts.
pub(crate) struct DriverHandle {
    pub(crate) io: Option<reactor::IoHandle>,
    pub(crate) uring: crate::rt::uring::UringHandle,
    pub(crate) time: Option<TimeHandle>,
    pub(crate) unpark: DriverUnpark,
}

/// Wakes the thread sleeping in the driver.
#[derive(Clone)]
pub(crate) struct DriverUnpark {
    inner: UnparkInner,
}

#[derive(Clone)]
enum UnparkInner {
    Io(reactor::IoHandle),
    Thread(Unparker),
}

/// How many tasks one turn of the driver may wake into the caller's run queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TurnLimits {
    /// I/O events taken from the kernel's ready list (the builder's `max_io_events_per_tick`).
    /// A multi-thread worker may take more than its queue has room for: the overflow goes to
    /// the injection queue, which its fairness ticks serve at a guaranteed rate
    /// (`scheduler/multi_thread/worker.rs`, "Fairness").
    pub(crate) events: usize,
    /// Ring completions reaped, counting the events dispatched before them: the queue's room.
    /// Completions beyond it wait in their CQ, in order (io_uring networking measured faster
    /// that way than with overflow: `docs/URING-NET.md`).
    pub(crate) completions: usize,
}

impl TurnLimits {
    /// The same bound for both (a queue that never overflows: the current-thread scheduler's).
    pub(crate) fn both(n: usize) -> TurnLimits {
        TurnLimits {
            events: n,
            completions: n,
        }
    }
}

/// What the builder asks of the driver.
pub(crate) struct Cfg {
    pub(crate) enable_io: bool,
    pub(crate) enable_time: bool,
    pub(crate) start_paused: bool,
    pub(crate) uring_mode: crate::rt::uring::UringMode,
    /// File reads (and lone opens) try the kernel's caches on the calling thread first.
    pub(crate) fs_nowait_first: bool,
    /// Rings to set up for workers (one per worker; one for a current-thread runtime).
    pub(crate) worker_rings: usize,
    /// TCP receives on io_uring (`Builder::net_io_uring`): each worker ring's buffer group.
    pub(crate) net_bufs: Option<crate::rt::uring::NetBufs>,
}

impl Driver {
    pub(crate) fn new(cfg: Cfg) -> io::Result<(Driver, DriverHandle)> {
        let (inner, io, unpark) = if cfg.enable_io {
            let (driver, handle) = reactor::Driver::new()?;
            let unpark = DriverUnpark {
                inner: UnparkInner::Io(handle.clone()),
            };
            (Inner::Io(driver), Some(handle), unpark)
        } else {
            let parker = Parker::new();
            let unpark = DriverUnpark {
                inner: UnparkInner::Thread(parker.unparker()),
            };
            (Inner::Thread(parker), None, unpark)
        };
        let time = cfg.enable_time.then(|| {
            let unpark = unpark.clone();
            TimeHandle::new(cfg.start_paused, move || unpark.unpark())
        });
        let uring = crate::rt::uring::UringHandle::new(
            cfg.uring_mode,
            cfg.fs_nowait_first,
            cfg.worker_rings,
            io.as_ref().map(reactor::IoHandle::epoll_fd),
            cfg.net_bufs,
        )?;
        let driver = Driver {
            inner,
            is_shutdown: false,
        };
        Ok((
            driver,
            DriverHandle {
                io,
                uring,
                time,
                unpark,
            },
        ))
    }

    /// Sleeps until woken, an I/O event, or the next timer. Wakes no more tasks than `limits`
    /// allows (the rest wait in the kernel's ready list and the rings' CQs, in order, for a
    /// later turn: see `reactor/mod.rs`).
    pub(crate) fn park(&mut self, handle: &DriverHandle, limits: TurnLimits) {
        self.park_internal(handle, None, limits);
    }

    /// As `park`, for at most `limit` (zero: just collect what is ready).
    pub(crate) fn park_timeout(
        &mut self,
        handle: &DriverHandle,
        limit: Duration,
        limits: TurnLimits,
    ) {
        self.park_internal(handle, Some(limit), limits);
    }

    fn park_internal(
        &mut self,
        handle: &DriverHandle,
        limit: Option<Duration>,
        limits: TurnLimits,
    ) {
        if self.is_shutdown {
            return;
        }
        let mut timeout = limit;
        if let Some(time) = &handle.time {
            if time.is_paused() {
                // Idle with a paused clock (steps 2 and 3 of "Paused clock" in `time/mod.rs`):
                // what is ready now runs at the current instant; only if nothing arrived does
                // the clock jump to the next deadline instead of sleeping.
                if limit.is_none()
                    && (self.collect_ready(handle, limits) || time.advance_to_next_deadline())
                {
                    time.process();
                    return;
                }
            } else if let Some(deadline) = time.next_deadline() {
                let until = deadline.saturating_duration_since(Instant::now());
                timeout = Some(timeout.map_or(until, |t| t.min(until)));
            }
        }
        self.turn(handle, timeout, limits);
        if let Some(time) = &handle.time {
            time.process();
        }
        // Children dropped unreaped whose runtime may be gone (as Tokio's drivers, at every park).
        crate::rt::orphans::reap_if_any();
    }

    /// Sleeps in the reactor (or the fallback parker) up to `timeout` and dispatches what
    /// arrived: I/O events, ring completions, signals, unparks. Returns true if anything did,
    /// as far as it can tell (after a timed sleep on the fallback parker it cannot, and says
    /// true: that only makes a paused clock look again before it jumps).
    fn turn(
        &mut self,
        handle: &DriverHandle,
        timeout: Option<Duration>,
        limits: TurnLimits,
    ) -> bool {
        match &mut self.inner {
            Inner::Io(driver) => {
                let io = handle.io.as_ref().expect("an I/O driver has an I/O handle");
                let arrived = driver.turn(io, timeout, limits.events);
                // Each completion may wake a task into the caller's queue, as each event may:
                // one bound for all of the rings' completions, less what the events took. A
                // bound per ring woke up to (rings + 1) times the room into the queue, and the
                // overflow waited in the injection queue (thousands of tasks at -c10000 over
                // io_uring, BENCHMARKS.md).
                let mut room = limits
                    .completions
                    .saturating_sub(driver.events_dispatched());
                for ring in driver.take_ring_events() {
                    room = room.saturating_sub(handle.uring.on_ring_event(ring, room));
                }
                if driver.take_signal_ready() {
                    crate::rt::signal::dispatch();
                }
                arrived
            }
            Inner::Thread(parker) => match timeout {
                None => {
                    parker.park();
                    true
                }
                Some(t) if t.is_zero() => parker.take_notification(),
                Some(t) => {
                    parker.park_timeout(t);
                    true
                }
            },
        }
    }

    /// Dispatches what is ready without sleeping. Returns true if anything arrived (an event, a
    /// completion, an unpark): a task may have been woken.
    fn collect_ready(&mut self, handle: &DriverHandle, limits: TurnLimits) -> bool {
        self.turn(handle, Some(Duration::ZERO), limits)
    }

    /// Shuts the drivers down: timers fire, readiness futures get an error. Idempotent.
    pub(crate) fn shutdown(&mut self, handle: &DriverHandle) {
        if std::mem::replace(&mut self.is_shutdown, true) {
            return;
        }
        if let Some(time) = &handle.time {
            time.shutdown();
        }
        if let (Inner::Io(driver), Some(io)) = (&mut self.inner, &handle.io) {
            driver.shutdown(io);
        }
    }
}

impl DriverUnpark {
    pub(crate) fn unpark(&self) {
        match &self.inner {
            UnparkInner::Io(handle) => handle.unpark(),
            UnparkInner::Thread(unparker) => unparker.unpark(),
        }
    }
}

impl DriverHandle {
    pub(crate) fn unpark(&self) {
        self.unpark.unpark();
    }
}
