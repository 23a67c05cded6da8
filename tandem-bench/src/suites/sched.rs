//! The scheduler suite: the workloads of Tokio's own multi-thread scheduler
//! benchmarks (`benches/rt_multi_threaded.rs` in the Tokio repository),
//! written once against [`Rt`] and run on Tandem and Tokio.
//!
//! One iteration of each workload is one full run of it (e.g. spawning and
//! completing 10,000 tasks). Completion is signalled through `tokio::sync`
//! channels awaited in `block_on`, so both runtimes are also measured waking
//! the thread blocked outside of them.
//!
//! Differences from Tokio's code, all deliberate:
//! - `spawn_many_local` spawns its 10,000 tasks from inside a task. (Tokio's
//!   spawns them from the `block_on` future, which in a multi-thread runtime
//!   does not run on a worker, so its "local" spawns go through the injection
//!   queue; `spawn_many_remote_idle` already covers that path.)
//! - The busy tasks of `spawn_many_remote_busy*` are started before and
//!   stopped after every sample, not once: the Tandem and Tokio runtimes of a
//!   workload are alive at the same time, and one's busy tasks must not steal
//!   CPU from the other's samples. They run for [`BUSY_SETTLE`] before the
//!   clock starts; their start-up and shutdown are not timed.
//! - Signals use `tokio::sync::mpsc` rather than `std::sync::mpsc`.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::harness::{Config, Sampler, Workload};
use crate::rt::Rt;
use crate::workload;

/// Tasks spawned per iteration by the `spawn_many_*` workloads but `busy2`.
const NUM_SPAWN: usize = 10_000;
/// Tasks spawned per iteration by `spawn_many_remote_busy2` (as in Tokio).
const NUM_SPAWN_BUSY2: usize = 1_000;
/// Ping-pong pairs per iteration.
const NUM_PINGS: usize = 1_000;
/// Tasks per iteration of `yield_many`...
const YIELD_TASKS: usize = 200;
/// ...and how many times each yields.
const NUM_YIELD: usize = 1_000;
/// Length of the chain of spawns in `chained_spawn`.
const CHAIN_LEN: usize = 1_000;
/// CPU time the busy tasks burn between yields or spawns.
const STALL: Duration = Duration::from_micros(10);
/// How long the busy tasks run before a sample's clock starts. Without it,
/// the OS has not yet spread the just-woken workers over the CPUs and the
/// results are bimodal per runtime instance: on 2 CPUs, Tokio measured
/// against itself (`--tokio-vs-tokio`) came out 0.6x or 1.6x, consistently
/// for a whole run; with it, mostly within 10%.
const BUSY_SETTLE: Duration = Duration::from_millis(10);

/// The workloads of the suite, in the order they run.
pub fn workloads() -> Vec<Workload> {
    vec![
        workload!(
            spawn_many_local,
            "from inside a task, spawn 10,000 tasks that count down; the last signals"
        ),
        workload!(
            spawn_many_remote_idle,
            "through a Handle, spawn 10,000 empty tasks into an idle runtime; join all"
        ),
        workload!(
            spawn_many_remote_busy1,
            "as remote_idle, while 2 tasks per worker loop on yield_now + 10 µs of CPU"
        ),
        workload!(
            spawn_many_remote_busy2,
            "1,000 remote spawns while 1 chain per worker spawns its next link every 10 µs"
        ),
        workload!(
            ping_pong,
            "1,000 task pairs exchange a oneshot ping and pong (3,001 spawns)"
        ),
        workload!(
            yield_many,
            "200 tasks spawned from outside each call yield_now 1,000 times"
        ),
        workload!(
            spawn_join_batch,
            "from inside a task, spawn 10,000 tasks that yield once; await every JoinHandle"
        ),
        workload!(
            join_set,
            "from inside a task, spawn 10,000 tasks that yield once into a JoinSet; join_next all"
        ),
        workload!(
            chained_spawn,
            "a chain of 1,000 tasks, each spawning the next; the last signals"
        ),
    ]
}

fn spawn_many_local<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    let remaining = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            remaining.store(NUM_SPAWN, Relaxed);
            rt.block_on(async {
                let remaining = remaining.clone();
                let done_tx = done_tx.clone();
                drop(R::task_spawn(async move {
                    for _ in 0..NUM_SPAWN {
                        let remaining = remaining.clone();
                        let done_tx = done_tx.clone();
                        drop(R::task_spawn(async move {
                            if remaining.fetch_sub(1, Relaxed) == 1 {
                                done_tx.try_send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().await.unwrap();
            });
        }
        start.elapsed()
    })
}

fn spawn_many_remote_idle<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    let handle = rt.handle();
    let mut tasks = Vec::with_capacity(NUM_SPAWN);

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            spawn_remote_and_join(&rt, &handle, &mut tasks, NUM_SPAWN);
        }
        start.elapsed()
    })
}

fn spawn_many_remote_busy1<R: Rt>(cfg: &Config) -> Sampler {
    let busy_tasks = 2 * cfg.workers;
    let rt = R::build(cfg.workers);
    let handle = rt.handle();
    let mut tasks = Vec::with_capacity(NUM_SPAWN);

    Box::new(move |iters| {
        // Set-up, not timed: make every worker busy.
        let stop = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicUsize::new(0));
        let busy: Vec<_> = (0..busy_tasks)
            .map(|_| {
                let stop = stop.clone();
                let started = started.clone();
                rt.spawn(async move {
                    started.fetch_add(1, Relaxed);
                    while !stop.load(Relaxed) {
                        R::yield_now().await;
                        stall();
                    }
                })
            })
            .collect();
        wait_until(|| started.load(Relaxed) == busy_tasks);
        std::thread::sleep(BUSY_SETTLE);

        let start = Instant::now();
        for _ in 0..iters {
            spawn_remote_and_join(&rt, &handle, &mut tasks, NUM_SPAWN);
        }
        let elapsed = start.elapsed();

        stop.store(true, Relaxed);
        rt.block_on(async {
            for task in busy {
                R::join(task).await;
            }
        });
        elapsed
    })
}

fn spawn_many_remote_busy2<R: Rt>(cfg: &Config) -> Sampler {
    let chains = cfg.workers;
    let rt = R::build(cfg.workers);
    let handle = rt.handle();
    let mut tasks = Vec::with_capacity(NUM_SPAWN_BUSY2);

    Box::new(move |iters| {
        // Set-up, not timed: one endless chain of spawns per worker.
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(AtomicUsize::new(0));
        for _ in 0..chains {
            let stop = stop.clone();
            let live = live.clone();
            drop(rt.spawn(async move {
                live.fetch_add(1, Relaxed);
                busy_chain::<R>(stop, live);
            }));
        }
        wait_until(|| live.load(Relaxed) == chains);
        std::thread::sleep(BUSY_SETTLE);

        let start = Instant::now();
        for _ in 0..iters {
            spawn_remote_and_join(&rt, &handle, &mut tasks, NUM_SPAWN_BUSY2);
        }
        let elapsed = start.elapsed();

        stop.store(true, Relaxed);
        wait_until(|| live.load(Relaxed) == 0);
        elapsed
    })
}

fn ping_pong<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    let remaining = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            remaining.store(NUM_PINGS, Relaxed);
            rt.block_on(async {
                let remaining = remaining.clone();
                let done_tx = done_tx.clone();
                drop(R::task_spawn(async move {
                    for _ in 0..NUM_PINGS {
                        let remaining = remaining.clone();
                        let done_tx = done_tx.clone();
                        drop(R::task_spawn(async move {
                            let (ping_tx, ping_rx) = oneshot::channel::<()>();
                            let (pong_tx, pong_rx) = oneshot::channel::<()>();
                            drop(R::task_spawn(async move {
                                ping_rx.await.unwrap();
                                pong_tx.send(()).unwrap();
                            }));
                            ping_tx.send(()).unwrap();
                            pong_rx.await.unwrap();
                            if remaining.fetch_sub(1, Relaxed) == 1 {
                                done_tx.try_send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().await.unwrap();
            });
        }
        start.elapsed()
    })
}

fn yield_many<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(YIELD_TASKS);

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            for _ in 0..YIELD_TASKS {
                let done_tx = done_tx.clone();
                drop(rt.spawn(async move {
                    for _ in 0..NUM_YIELD {
                        R::yield_now().await;
                    }
                    done_tx.try_send(()).unwrap();
                }));
            }
            rt.block_on(async {
                for _ in 0..YIELD_TASKS {
                    done_rx.recv().await.unwrap();
                }
            });
        }
        start.elapsed()
    })
}

fn spawn_join_batch<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            let sum = rt.block_on(R::join(R::handle_spawn(&rt.handle(), async {
                let mut handles = Vec::with_capacity(NUM_SPAWN);
                for i in 0..NUM_SPAWN {
                    handles.push(R::task_spawn(async move {
                        R::yield_now().await;
                        i
                    }));
                }
                let mut sum = 0;
                for handle in handles {
                    sum += R::join(handle).await;
                }
                sum
            })));
            assert_eq!(sum, NUM_SPAWN * (NUM_SPAWN - 1) / 2);
        }
        start.elapsed()
    })
}

fn join_set<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            let sum = rt.block_on(R::join(R::handle_spawn(
                &rt.handle(),
                R::join_set_round(NUM_SPAWN),
            )));
            assert_eq!(sum, NUM_SPAWN * (NUM_SPAWN - 1) / 2);
        }
        start.elapsed()
    })
}

fn chained_spawn<R: Rt>(cfg: &Config) -> Sampler {
    /// Spawns the `n`th-to-last link of the chain; the last one signals.
    fn link<R: Rt>(done_tx: mpsc::Sender<()>, n: usize) {
        if n == 0 {
            done_tx.try_send(()).unwrap();
        } else {
            drop(R::task_spawn(async move { link::<R>(done_tx, n - 1) }));
        }
    }

    let rt = R::build(cfg.workers);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);

    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            rt.block_on(async {
                let done_tx = done_tx.clone();
                drop(R::task_spawn(async move { link::<R>(done_tx, CHAIN_LEN) }));
                done_rx.recv().await.unwrap();
            });
        }
        start.elapsed()
    })
}

/// Spawns `n` empty tasks through `handle` from this (non-runtime) thread,
/// then joins them all from `block_on`.
fn spawn_remote_and_join<R: Rt>(
    rt: &R,
    handle: &R::Handle,
    tasks: &mut Vec<R::JoinHandle<()>>,
    n: usize,
) {
    for _ in 0..n {
        tasks.push(R::handle_spawn(handle, async {}));
    }
    rt.block_on(async {
        for task in tasks.drain(..) {
            R::join(task).await;
        }
    });
}

/// One link of a busy chain: burns [`STALL`] of CPU, then spawns the next
/// link, until `stop`; the last link decrements `live`.
fn busy_chain<R: Rt>(stop: Arc<AtomicBool>, live: Arc<AtomicUsize>) {
    drop(R::task_spawn(async move {
        if stop.load(Relaxed) {
            live.fetch_sub(1, Relaxed);
        } else {
            stall();
            busy_chain::<R>(stop, live);
        }
    }));
}

/// Keeps the current thread busy for [`STALL`], yielding it to the OS
/// scheduler meanwhile (as Tokio's benchmark does).
fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// Spins (yielding the thread) until `done()`; the harness's watchdog turns
/// a condition that never comes true into an error.
fn wait_until(done: impl Fn() -> bool) {
    while !done() {
        std::thread::yield_now();
    }
}
