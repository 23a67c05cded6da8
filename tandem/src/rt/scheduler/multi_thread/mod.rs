//! The multi-thread, work-stealing scheduler.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `queue.rs` | a worker's local run queue: a bounded ring buffer its owner pushes to and pops from, others steal from |
//! | `idle.rs` | Which workers sleep, and how many are searching for work |
//! | `handle.rs` | the shared side of the multi-thread scheduler: spawning, scheduling from anywhere, waking, shutdown |
//! | `worker.rs` | A worker: the loop that runs tasks on one thread |
//!
//! N workers, each with a bounded local queue (`queue.rs`) and a LIFO slot, share an injection
//! queue (`../inject.rs`), an idle registry (`idle.rs`) and the owned-tasks list. Worker threads
//! are mandatory tasks of the blocking pool, so `block_in_place` can move a worker's core to a
//! fresh pool thread and shutdown joins them like any pool thread. `worker.rs` documents the
//! loop, fairness and shutdown.

mod handle;
mod idle;
pub(crate) mod queue;
mod worker;

#[cfg(all(test, loom))]
mod tests;

pub(crate) use handle::MultiThreadHandle;
pub(crate) use worker::WorkerContext;

use crate::loom::sync::Arc;
use crate::rt::blocking;
use crate::rt::scheduler::{Config, SchedulerHandle};
use crate::util::atomic_cell::AtomicCell;
use crate::util::rand::FastRand;
use worker::{Worker, WorkerCore};

/// Runs `f`, a closure that blocks, on the current worker thread after moving the worker's
/// queue to another thread, so other tasks keep running.
///
/// Outside a runtime, or inside `block_on` of a multi-thread runtime, `f` simply runs.
///
/// # Panics
/// On a current-thread runtime, where no other thread could take over.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// tandem::spawn(async {
///     let answer = tandem::task::block_in_place(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         42
///     });
///     assert_eq!(answer, 42);
/// })
/// .await
/// .unwrap();
/// # });
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    worker::block_in_place(f)
}

/// The multi-thread scheduler owned by a `Runtime`.
pub(crate) struct MultiThread;

impl MultiThread {
    /// Builds the scheduler and starts its workers on the blocking pool.
    pub(crate) fn new(
        num_workers: usize,
        config: Config,
        blocking_spawner: blocking::Spawner,
        driver: crate::rt::driver::Driver,
        driver_handle: crate::rt::driver::DriverHandle,
    ) -> (MultiThread, Arc<MultiThreadHandle>) {
        let shared_driver = crate::rt::driver::SharedDriver::new(driver, driver_handle);
        let seeds = FastRand::from_entropy();
        let mut cores = Vec::with_capacity(num_workers);
        let mut remotes = Vec::with_capacity(num_workers);
        for index in 0..num_workers {
            let (steal, run_queue) = queue::local();
            let park = crate::rt::driver::WorkerParker::new(shared_driver.clone());
            let unparker = park.unparker();
            let ring = shared_driver
                .handle
                .uring
                .take_local(index, move || unparker.unpark());
            remotes.push(handle::Remote {
                steal,
                unpark: park.unparker(),
            });
            let seed = u64::from(seeds.below(u32::MAX)) << 32 | u64::from(seeds.below(u32::MAX));
            cores.push(Box::new(WorkerCore::new(
                run_queue, park, ring, seed, &config,
            )));
        }
        let (idle, idle_synced) = idle::Idle::new(num_workers);
        let handle = Arc::new(MultiThreadHandle::new(
            remotes.into_boxed_slice(),
            idle,
            idle_synced,
            config,
            blocking_spawner,
            shared_driver,
        ));
        let scheduler_handle = SchedulerHandle::MultiThread(handle.clone());
        for (index, core) in cores.into_iter().enumerate() {
            let worker = Arc::new(Worker {
                handle: handle.clone(),
                index,
                core: AtomicCell::new(Some(core)),
            });
            // Worker loops are mandatory: they must run even if shutdown comes first, to hand in
            // their cores.
            drop(
                handle
                    .blocking_spawner
                    .spawn_mandatory(&scheduler_handle, move || worker::run(worker)),
            );
        }
        (MultiThread, handle)
    }

    /// Starts shutdown; the blocking pool's shutdown then waits for the workers to finish it.
    pub(crate) fn shutdown(&self, handle: &MultiThreadHandle) {
        handle.shutdown();
    }
}
