//! JoinSet semantics, task ids and yield_now.
//!
//! Proves, on every flavour (current-thread, multi-thread with 1, 2, 8 workers):
//!   * `JoinSet::join_next` returns every spawned task's result exactly once
//!     (order-independent) and `None` once empty; `len`/`is_empty` track it;
//!   * `try_join_next` returns `None` while tasks are pending (and on an empty
//!     set) and the results once they finished;
//!   * `abort_all` makes every pending task come back as `Err(is_cancelled)`
//!     and drops their futures;
//!   * `shutdown` aborts and waits: when it returns the set is empty and every
//!     future has been dropped;
//!   * `detach_all` empties the set but the tasks keep running to completion;
//!   * dropping a JoinSet aborts its tasks (their futures get dropped);
//!   * `task::id()`/`try_id()` inside a task equal `JoinHandle::id()`, ids are
//!     unique, `try_id()` is None and `id()` panics outside tasks, and
//!     `JoinError::id()` is the failed task's id.
//!
//! And on the current-thread runtime, that `yield_now` lets other ready tasks
//! run (counter-based: a task spinning on yield_now until another task sets a
//! flag terminates within a few yields; two yield loops progress together).

mod support;

use std::collections::HashSet;
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use support::{each_flavor, silence_expected_panics, wait_until_async, Flavor, EXPECTED_PANIC};
use tandem::sync::{mpsc, Notify};
use tandem::task::{self, JoinSet};

const TIMEOUT: Duration = Duration::from_secs(30);

struct DropGuard(Arc<AtomicUsize>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Spawns `n` never-completing tasks holding drop guards into `set`.
fn spawn_pending(set: &mut JoinSet<()>, n: usize, drops: &Arc<AtomicUsize>) {
    for _ in 0..n {
        let guard = DropGuard(drops.clone());
        set.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
    }
}

#[test]
fn join_next_returns_all_results() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none(), "join_next on an empty set");
            const N: u64 = 1000;
            for i in 0..N {
                set.spawn(async move {
                    if i % 3 == 0 {
                        task::yield_now().await;
                    }
                    i
                });
            }
            assert_eq!(set.len(), N as usize);
            let mut seen = HashSet::new();
            while let Some(r) = set.join_next().await {
                assert!(
                    seen.insert(r.expect("task failed")),
                    "result returned twice"
                );
                assert_eq!(set.len(), N as usize - seen.len());
            }
            assert_eq!(seen, (0..N).collect::<HashSet<_>>());
            assert!(set.is_empty());
            assert_eq!(set.len(), 0);
        });
    });
}

#[test]
fn try_join_next() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            assert!(
                set.try_join_next().is_none(),
                "try_join_next on an empty set"
            );
            let gate = Arc::new(Notify::new());
            let started = Arc::new(AtomicUsize::new(0));
            const N: usize = 10;
            for i in 0..N {
                let gate = gate.clone();
                let started = started.clone();
                set.spawn(async move {
                    started.fetch_add(1, SeqCst);
                    gate.notified().await;
                    i
                });
            }
            assert!(wait_until_async(TIMEOUT, || started.load(SeqCst) == N).await);
            // All tasks are blocked on the gate: nothing to take yet.
            assert!(
                set.try_join_next().is_none(),
                "try_join_next returned a pending task"
            );
            assert_eq!(set.len(), N);
            gate.notify_waiters();
            let mut seen = HashSet::new();
            let all = wait_until_async(TIMEOUT, || {
                while let Some(r) = set.try_join_next() {
                    assert!(seen.insert(r.expect("task failed")));
                }
                seen.len() == N
            })
            .await;
            assert!(
                all,
                "try_join_next returned only {} of {N} results",
                seen.len()
            );
            assert_eq!(seen, (0..N).collect::<HashSet<_>>());
            assert!(set.is_empty());
            assert!(set.try_join_next().is_none());
        });
    });
}

#[test]
fn abort_all_yields_cancelled_errors() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            const N: usize = 100;
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            spawn_pending(&mut set, N, &drops);
            task::yield_now().await;
            set.abort_all();
            assert_eq!(
                set.len(),
                N,
                "abort_all must not remove tasks before they are joined"
            );
            let mut cancelled = 0;
            while let Some(r) = set.join_next().await {
                let e = r.expect_err("aborted pending task returned Ok");
                assert!(e.is_cancelled(), "expected cancelled, got {e:?}");
                cancelled += 1;
            }
            assert_eq!(cancelled, N);
            assert_eq!(
                drops.load(SeqCst),
                N,
                "futures dropped by the time their cancellation is joined"
            );
        });
    });
}

#[test]
fn shutdown_aborts_and_waits() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            const N: usize = 100;
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            spawn_pending(&mut set, N, &drops);
            // Some tasks that complete normally as well.
            for _ in 0..10 {
                set.spawn(async {});
            }
            set.shutdown().await;
            assert!(set.is_empty(), "set not empty after shutdown");
            assert_eq!(
                drops.load(SeqCst),
                N,
                "shutdown returned before every future was dropped"
            );
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn detach_all_lets_tasks_keep_running() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            const N: usize = 50;
            let gate = Arc::new(Notify::new());
            let started = Arc::new(AtomicUsize::new(0));
            let (tx, mut rx) = mpsc::unbounded_channel();
            let mut set = JoinSet::new();
            for i in 0..N {
                let gate = gate.clone();
                let started = started.clone();
                let tx = tx.clone();
                set.spawn(async move {
                    started.fetch_add(1, SeqCst);
                    gate.notified().await;
                    tx.send(i).unwrap();
                });
            }
            drop(tx);
            assert!(wait_until_async(TIMEOUT, || started.load(SeqCst) == N).await);
            set.detach_all();
            assert!(set.is_empty(), "detach_all must empty the set");
            assert_eq!(set.len(), 0);
            drop(set); // must not abort the detached tasks
            gate.notify_waiters();
            let mut seen = HashSet::new();
            while let Some(i) = rx.recv().await {
                seen.insert(i);
            }
            assert_eq!(
                seen,
                (0..N).collect::<HashSet<_>>(),
                "detached tasks did not all run to completion"
            );
        });
    });
}

#[test]
fn dropping_join_set_aborts_tasks() {
    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            const N: usize = 200;
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            spawn_pending(&mut set, N, &drops);
            task::yield_now().await;
            drop(set);
            let all = wait_until_async(TIMEOUT, || drops.load(SeqCst) == N).await;
            assert!(
                all,
                "only {} of {N} tasks were dropped after dropping their JoinSet",
                drops.load(SeqCst)
            );
        });
    });
}

#[test]
fn task_ids() {
    silence_expected_panics();
    // Outside any task.
    assert!(task::try_id().is_none(), "try_id outside a task");
    assert!(
        panic::catch_unwind(task::id).is_err(),
        "task::id() outside a task must panic"
    );

    each_flavor(|_flavor, rt| {
        rt.block_on(async {
            // JoinHandle::id equals the id seen inside the task; ids are unique.
            let mut handles = Vec::new();
            for _ in 0..100 {
                handles.push(tandem::spawn(async {
                    let id = task::id();
                    assert_eq!(task::try_id(), Some(id), "try_id() != id() inside a task");
                    task::yield_now().await;
                    assert_eq!(task::id(), id, "task id changed across an await");
                    id
                }));
            }
            let mut ids = HashSet::new();
            for h in handles {
                let outer = h.id();
                let inner = h.await.unwrap();
                assert_eq!(
                    outer, inner,
                    "JoinHandle::id differs from task::id() inside the task"
                );
                assert!(ids.insert(inner), "duplicate task id {inner:?}");
            }

            // JoinError::id for a cancelled and for a panicked task.
            let h = tandem::spawn(std::future::pending::<()>());
            let id = h.id();
            h.abort();
            let e = h.await.unwrap_err();
            assert!(e.is_cancelled());
            assert_eq!(e.id(), id, "JoinError::id of a cancelled task");

            let h = tandem::spawn(async { panic!("{EXPECTED_PANIC} task id test") });
            let id = h.id();
            let e = h.await.unwrap_err();
            assert!(e.is_panic());
            assert_eq!(e.id(), id, "JoinError::id of a panicked task");

            // JoinSet tasks have ids too.
            let mut set = JoinSet::new();
            let ah = set.spawn(async { task::id() });
            let _ = ah; // AbortHandle
            let seen = set.join_next().await.unwrap().unwrap();
            assert!(ids.insert(seen), "JoinSet task reused an id");
        });
    });
}

#[test]
fn yield_now_lets_another_task_run_current_thread() {
    let rt = Flavor::CURRENT_THREAD.build();
    rt.block_on(async {
        // 1. A task spinning on `yield_now` until another task sets a flag
        //    terminates: with a single thread, only yield_now lets the other
        //    task run (the flag has no waker).
        let flag = Arc::new(AtomicUsize::new(0));
        let f2 = flag.clone();
        let spinner = tandem::spawn(async move {
            let mut yields = 0;
            while f2.load(SeqCst) == 0 {
                task::yield_now().await;
                yields += 1;
                assert!(
                    yields <= 10,
                    "another ready task did not run during {yields} yield_now calls"
                );
            }
            yields
        });
        let setter = tandem::spawn(async move {
            flag.store(1, SeqCst);
        });
        let yields = spinner.await.unwrap();
        setter.await.unwrap();
        assert!(
            yields >= 1,
            "the setter ran before the spinner even started?"
        );

        // 2. Two tasks that both loop on yield_now make progress together: over
        //    100 yields of one, the other advanced at least 50 times (a fair
        //    scheduler gives ~100; the exact interleaving is not specified).
        let other = Arc::new(AtomicUsize::new(0));
        let other2 = other.clone();
        let bg = tandem::spawn(async move {
            for _ in 0..300 {
                other2.fetch_add(1, SeqCst);
                task::yield_now().await;
            }
        });
        let measured = tandem::spawn(async move {
            let start = other.load(SeqCst);
            for _ in 0..100 {
                task::yield_now().await;
            }
            other.load(SeqCst) - start
        });
        let progressed = measured.await.unwrap();
        assert!(
            progressed >= 50,
            "other task advanced only {progressed} times during 100 yield_now calls"
        );
        bg.await.unwrap();
    });
}
