//! The sync suite: each runtime's own synchronisation primitives on that runtime (Tandem's
//! `tandem::sync` on Tandem, Tokio's `tokio::sync` on Tokio), the same workloads.
//!
//! The two crates give the primitives the same names and signatures, so every workload is
//! written once, inside `primitives_on!`, and instantiated twice: once with `tandem::sync`
//! and Tandem, once with `tokio::sync` and Tokio. Every workload runs its tasks on a
//! multi-thread runtime with the suite's worker count, from one task spawned per iteration.
//!
//! - `mpsc_bounded_1p`/`_8p`, `mpsc_unbounded_1p`/`_8p`: 1 or 8 producer tasks send 20,000
//!   numbers in all (a bounded channel holds 128), one consumer receives them all.
//! - `oneshot_ping_pong`: 100 task pairs, each exchanging 10 pings and pongs over fresh
//!   oneshot channels.
//! - `mutex_contended`: 8 tasks each lock a `Mutex<u64>` 1,000 times and add to it.
//! - `rwlock_read_heavy`: 8 tasks each take an `RwLock<u64>` 1,000 times, one in 10 to write.
//! - `semaphore`: 8 tasks each acquire and release one of 4 permits 1,000 times.
//! - `notify_ping_pong`: two tasks hand a turn back and forth 5,000 times through two `Notify`s.
//! - `broadcast_8rx`: one sender sends 2,000 numbers, 8 receivers each receive them all.
//! - `watch`: one sender sends 0..=5,000, yielding every 10; 4 receivers wait for changes until
//!   they see the last value.

use crate::harness::Workload;

/// Numbers sent per iteration of the `mpsc_*` workloads.
const MPSC_MESSAGES: u64 = 20_000;
/// The bounded channels' capacity.
const MPSC_CAPACITY: usize = 128;
/// Tasks of the `mutex`, `rwlock` and `semaphore` workloads...
const CONTENDERS: usize = 8;
/// ...and how many times each takes the lock or a permit.
const ROUNDS: usize = 1_000;
/// Task pairs of `oneshot_ping_pong`, and round trips per pair.
const PAIRS: usize = 100;
const ROUND_TRIPS: usize = 10;
/// Turns handed over in `notify_ping_pong`.
const NOTIFY_TURNS: usize = 5_000;
/// Values of `broadcast_8rx`, and its receivers.
const BROADCAST_VALUES: u64 = 2_000;
const BROADCAST_RECEIVERS: usize = 8;
/// The last value `watch` sends, and its receivers.
const WATCH_LAST: u64 = 5_000;
const WATCH_RECEIVERS: usize = 4;

/// The workloads of `$sync` (a `sync` module with Tokio's API) on runtime `$rt`.
macro_rules! primitives_on {
    ($module:ident, $rt:ty, $sync:path) => {
        pub mod $module {
            use std::sync::Arc;
            use std::time::Instant;

            use super::*;
            use crate::harness::{Config, Sampler};
            use crate::rt::Rt;
            use $sync as sync;

            type R = $rt;

            /// Builds the runtime and a sampler that runs `iteration` (an async block made
            /// fresh each time) to completion inside one spawned task, `iters` times.
            fn sampler<F, Fut>(cfg: &Config, iteration: F) -> Sampler
            where
                F: Fn() -> Fut + 'static,
                Fut: std::future::Future<Output = ()> + Send + 'static,
            {
                let rt = R::build(cfg.workers);
                Box::new(move |iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let task = rt.spawn(iteration());
                        rt.block_on(R::join(task));
                    }
                    start.elapsed()
                })
            }

            async fn mpsc_bounded(producers: u64) {
                let (tx, mut rx) = sync::mpsc::channel::<u64>(MPSC_CAPACITY);
                let each = MPSC_MESSAGES / producers;
                for p in 0..producers {
                    let tx = tx.clone();
                    drop(R::task_spawn(async move {
                        for i in 0..each {
                            tx.send(p * each + i).await.unwrap();
                        }
                    }));
                }
                drop(tx);
                let mut sum = 0;
                while let Some(n) = rx.recv().await {
                    sum += n;
                }
                assert_eq!(sum, (0..MPSC_MESSAGES).sum::<u64>());
            }

            async fn mpsc_unbounded(producers: u64) {
                let (tx, mut rx) = sync::mpsc::unbounded_channel::<u64>();
                let each = MPSC_MESSAGES / producers;
                for p in 0..producers {
                    let tx = tx.clone();
                    drop(R::task_spawn(async move {
                        for i in 0..each {
                            tx.send(p * each + i).unwrap();
                        }
                    }));
                }
                drop(tx);
                let mut sum = 0;
                while let Some(n) = rx.recv().await {
                    sum += n;
                }
                assert_eq!(sum, (0..MPSC_MESSAGES).sum::<u64>());
            }

            pub fn mpsc_bounded_1p(cfg: &Config) -> Sampler {
                sampler(cfg, || mpsc_bounded(1))
            }

            pub fn mpsc_bounded_8p(cfg: &Config) -> Sampler {
                sampler(cfg, || mpsc_bounded(8))
            }

            pub fn mpsc_unbounded_1p(cfg: &Config) -> Sampler {
                sampler(cfg, || mpsc_unbounded(1))
            }

            pub fn mpsc_unbounded_8p(cfg: &Config) -> Sampler {
                sampler(cfg, || mpsc_unbounded(8))
            }

            pub fn oneshot_ping_pong(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let mut pairs = Vec::with_capacity(PAIRS);
                    for _ in 0..PAIRS {
                        pairs.push(R::task_spawn(async {
                            for i in 0..ROUND_TRIPS {
                                let (ping_tx, ping_rx) = sync::oneshot::channel::<usize>();
                                let (pong_tx, pong_rx) = sync::oneshot::channel::<usize>();
                                drop(R::task_spawn(async move {
                                    let n = ping_rx.await.unwrap();
                                    pong_tx.send(n + 1).unwrap();
                                }));
                                ping_tx.send(i).unwrap();
                                assert_eq!(pong_rx.await.unwrap(), i + 1);
                            }
                        }));
                    }
                    for pair in pairs {
                        R::join(pair).await;
                    }
                })
            }

            pub fn mutex_contended(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let total = Arc::new(sync::Mutex::new(0u64));
                    let mut tasks = Vec::with_capacity(CONTENDERS);
                    for _ in 0..CONTENDERS {
                        let total = total.clone();
                        tasks.push(R::task_spawn(async move {
                            for _ in 0..ROUNDS {
                                *total.lock().await += 1;
                            }
                        }));
                    }
                    for task in tasks {
                        R::join(task).await;
                    }
                    assert_eq!(*total.lock().await, (CONTENDERS * ROUNDS) as u64);
                })
            }

            pub fn rwlock_read_heavy(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let value = Arc::new(sync::RwLock::new(0u64));
                    let mut tasks = Vec::with_capacity(CONTENDERS);
                    for _ in 0..CONTENDERS {
                        let value = value.clone();
                        tasks.push(R::task_spawn(async move {
                            let mut seen = 0;
                            for i in 0..ROUNDS {
                                if i % 10 == 0 {
                                    *value.write().await += 1;
                                } else {
                                    seen += *value.read().await;
                                }
                            }
                            std::hint::black_box(seen);
                        }));
                    }
                    for task in tasks {
                        R::join(task).await;
                    }
                    assert_eq!(*value.read().await, (CONTENDERS * ROUNDS / 10) as u64);
                })
            }

            pub fn semaphore(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let permits = Arc::new(sync::Semaphore::new(4));
                    let mut tasks = Vec::with_capacity(CONTENDERS);
                    for _ in 0..CONTENDERS {
                        let permits = permits.clone();
                        tasks.push(R::task_spawn(async move {
                            for _ in 0..ROUNDS {
                                drop(permits.acquire().await.unwrap());
                            }
                        }));
                    }
                    for task in tasks {
                        R::join(task).await;
                    }
                    assert_eq!(permits.available_permits(), 4);
                })
            }

            pub fn notify_ping_pong(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let ping = Arc::new(sync::Notify::new());
                    let pong = Arc::new(sync::Notify::new());
                    let (ping2, pong2) = (ping.clone(), pong.clone());
                    let other = R::task_spawn(async move {
                        for _ in 0..NOTIFY_TURNS {
                            ping2.notified().await;
                            pong2.notify_one();
                        }
                    });
                    for _ in 0..NOTIFY_TURNS {
                        ping.notify_one();
                        pong.notified().await;
                    }
                    R::join(other).await;
                })
            }

            pub fn broadcast_8rx(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    // Room for every value: no receiver lags.
                    let (tx, _) = sync::broadcast::channel::<u64>(4096);
                    let mut receivers = Vec::with_capacity(BROADCAST_RECEIVERS);
                    for _ in 0..BROADCAST_RECEIVERS {
                        let mut rx = tx.subscribe();
                        receivers.push(R::task_spawn(async move {
                            let mut sum = 0;
                            while let Ok(n) = rx.recv().await {
                                sum += n;
                            }
                            sum
                        }));
                    }
                    for n in 0..BROADCAST_VALUES {
                        tx.send(n).unwrap();
                    }
                    drop(tx);
                    for rx in receivers {
                        assert_eq!(R::join(rx).await, (0..BROADCAST_VALUES).sum::<u64>());
                    }
                })
            }

            pub fn watch(cfg: &Config) -> Sampler {
                sampler(cfg, || async {
                    let (tx, rx) = sync::watch::channel(0u64);
                    let mut receivers = Vec::with_capacity(WATCH_RECEIVERS);
                    for _ in 0..WATCH_RECEIVERS {
                        let mut rx = rx.clone();
                        receivers.push(R::task_spawn(async move {
                            while *rx.borrow_and_update() != WATCH_LAST {
                                rx.changed().await.unwrap();
                            }
                        }));
                    }
                    for n in 1..=WATCH_LAST {
                        tx.send(n).unwrap();
                        if n % 10 == 0 {
                            R::yield_now().await;
                        }
                    }
                    for rx in receivers {
                        R::join(rx).await;
                    }
                })
            }
        }
    };
}

primitives_on!(on_tandem, crate::rt::Tandem, tandem::sync);
primitives_on!(on_tokio, crate::rt::Tokio, tokio::sync);

/// A [`Workload`] of `$name`, instantiated on each runtime with its own primitives.
macro_rules! own_primitives {
    ($name:ident, $about:expr) => {
        Workload {
            name: stringify!($name),
            about: $about,
            tandem: on_tandem::$name,
            tokio: on_tokio::$name,
        }
    };
}

/// The workloads of the suite, in the order they run.
pub fn workloads() -> Vec<Workload> {
    vec![
        own_primitives!(
            mpsc_bounded_1p,
            "1 task sends 20,000 numbers through a bounded mpsc (128); 1 receives"
        ),
        own_primitives!(
            mpsc_bounded_8p,
            "8 tasks send 2,500 numbers each through a bounded mpsc (128); 1 receives"
        ),
        own_primitives!(
            mpsc_unbounded_1p,
            "1 task sends 20,000 numbers through an unbounded mpsc; 1 receives"
        ),
        own_primitives!(
            mpsc_unbounded_8p,
            "8 tasks send 2,500 numbers each through an unbounded mpsc; 1 receives"
        ),
        own_primitives!(
            oneshot_ping_pong,
            "100 task pairs each exchange 10 pings and pongs over fresh oneshots"
        ),
        own_primitives!(
            mutex_contended,
            "8 tasks each lock a Mutex<u64> 1,000 times and add one"
        ),
        own_primitives!(
            rwlock_read_heavy,
            "8 tasks each take an RwLock<u64> 1,000 times, 1 in 10 to write"
        ),
        own_primitives!(
            semaphore,
            "8 tasks each acquire and release one of 4 permits 1,000 times"
        ),
        own_primitives!(
            notify_ping_pong,
            "2 tasks hand a turn back and forth 5,000 times through two Notify"
        ),
        own_primitives!(
            broadcast_8rx,
            "1 sender sends 2,000 numbers to 8 receivers (capacity 4,096)"
        ),
        own_primitives!(
            watch,
            "1 sender sends 1..=5,000 (yielding every 10); 4 receivers follow to the last"
        ),
    ]
}
