//! The timer suite: the cost of a timer's life, written once against [`Rt`] and run on Tandem
//! and Tokio.
//!
//! - `insert_cancel`: the common life of a timeout, which almost never fires: create a `Sleep`,
//!   poll it once (both runtimes register a timer at its first poll), drop it (cancel). One
//!   iteration does this 1,000,000 times from one task. Deadlines are spread from 10 ms to 10 s,
//!   so timers land on several levels of the wheels, and none fires during the loop.
//! - `insert_cancel_parallel`: the same 1,000,000 timers, split over one task per worker, all
//!   running at once: what contention on the timer wheel costs.
//! - `fire`: 100,000 timers with deadlines spread over 50 ms, all awaited: 100 tasks each
//!   register 1,000 sleeps, then await them in deadline order. An iteration cannot take less
//!   than 50 ms; what it takes beyond that is the cost of firing and waking (and lateness).
//! - `fire_lateness`: the same 100,000 timers, timed differently: its "time per iteration" is
//!   the mean lateness of a timer, from its deadline to its task running after the wake-up.
//!   `fire`'s floor hides how late timers fire (both runtimes spend ~50 ms of each iteration
//!   waiting for deadlines); this is that lateness alone. Both runtimes tick in milliseconds
//!   and never fire early, so a timer is late by up to a millisecond by design, plus whatever
//!   the runtime adds.
//!
//! Polls of a `Sleep` that return `Pending` give back the cooperative budget unit they took, on
//! both runtimes, so the million polls of one task poll are all real registrations.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::harness::{Config, Sampler, Workload};
use crate::rt::Rt;
use crate::workload;

/// Timers inserted and cancelled per iteration of the `insert_cancel*` workloads.
const INSERT_CANCEL: usize = 1_000_000;
/// Timers fired per iteration of `fire`...
const FIRE_TIMERS: usize = 100_000;
/// ...by this many tasks...
const FIRE_TASKS: usize = 100;
/// ...with deadlines spread over this long.
const FIRE_SPREAD: Duration = Duration::from_millis(50);

/// The workloads of the suite, in the order they run.
pub fn workloads() -> Vec<Workload> {
    vec![
        workload!(
            insert_cancel,
            "one task creates 1,000,000 Sleeps (10 ms to 10 s), polls each once, drops it"
        ),
        workload!(
            insert_cancel_parallel,
            "as insert_cancel, the 1,000,000 split over one task per worker, all at once"
        ),
        workload!(
            fire,
            "100 tasks register 1,000 sleeps each (spread over 50 ms) and await them all"
        ),
        workload!(
            fire_lateness,
            "as fire; the time reported is a timer's mean lateness (deadline to its task running)"
        ),
    ]
}

/// The deadline of the `i`th timer of `insert_cancel`: 10 ms to 10 s, scattered.
fn cancel_deadline(i: usize) -> Duration {
    Duration::from_millis(10 + (i as u64).wrapping_mul(7919) % 10_000)
}

/// Creates `n` sleeps, registering each with one poll and dropping it at once.
async fn insert_and_cancel<R: Rt>(first: usize, n: usize) {
    for i in first..first + n {
        let mut sleep = pin!(R::sleep(cancel_deadline(i)));
        poll_fn(|cx| {
            let _ = sleep.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    }
}

fn insert_cancel<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            rt.block_on(async {
                R::join(R::task_spawn(insert_and_cancel::<R>(0, INSERT_CANCEL))).await;
            });
        }
        start.elapsed()
    })
}

fn insert_cancel_parallel<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    let tasks = cfg.workers;
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            rt.block_on(async {
                let per_task = INSERT_CANCEL / tasks;
                let handles: Vec<_> = (0..tasks)
                    .map(|t| {
                        let n = if t + 1 == tasks {
                            INSERT_CANCEL - per_task * t
                        } else {
                            per_task
                        };
                        R::task_spawn(insert_and_cancel::<R>(per_task * t, n))
                    })
                    .collect();
                for handle in handles {
                    R::join(handle).await;
                }
            });
        }
        start.elapsed()
    })
}

/// One task of `fire`: registers its share of the timers, then awaits them in deadline order.
/// Returns how late its timers were in all: from each deadline to the task running after it.
async fn fire_task<R: Rt>(begin: Instant, task: usize) -> Duration {
    let per_task = FIRE_TIMERS / FIRE_TASKS;
    let spread = FIRE_SPREAD.as_micros() as u64;
    let mut sleeps: Vec<(Instant, Pin<Box<_>>)> = (0..per_task)
        .map(|i| {
            let n = (task * per_task + i) as u64;
            let deadline = begin + Duration::from_micros(n.wrapping_mul(7919) % spread);
            (deadline, Box::pin(R::sleep_until(deadline)))
        })
        .collect();
    // Register them all before awaiting any, so all are pending at once.
    for (_, sleep) in &mut sleeps {
        poll_fn(|cx| {
            let _ = sleep.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    }
    sleeps.sort_by_key(|(deadline, _)| *deadline);
    let mut late = Duration::ZERO;
    for (deadline, sleep) in sleeps {
        sleep.await;
        late += Instant::now().saturating_duration_since(deadline);
    }
    late
}

/// Runs one iteration of `fire` on `rt`: returns the timers' lateness in all.
fn fire_once<R: Rt>(rt: &R) -> Duration {
    rt.block_on(async {
        let begin = Instant::now();
        let handles: Vec<_> = (0..FIRE_TASKS)
            .map(|t| R::task_spawn(fire_task::<R>(begin, t)))
            .collect();
        let mut late = Duration::ZERO;
        for handle in handles {
            late += R::join(handle).await;
        }
        late
    })
}

fn fire<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            fire_once(&rt);
        }
        start.elapsed()
    })
}

fn fire_lateness<R: Rt>(cfg: &Config) -> Sampler {
    let rt = R::build(cfg.workers);
    Box::new(move |iters| {
        let mut mean_late = Duration::ZERO;
        for _ in 0..iters {
            mean_late += fire_once(&rt) / FIRE_TIMERS as u32;
        }
        mean_late
    })
}
