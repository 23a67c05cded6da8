//! Model 2: a worker's local run queue (`queue.rs`), with `CAPACITY == 4` under loom.
//!
//! The owner pushes (past capacity, so half the queue overflows into the injection queue) and
//! pops while one or two stealers `steal_into` their own local queues. Every model ends by
//! draining every queue and the injection queue and checks that each task was seen exactly
//! once: none lost, none duplicated. Loom checks the slot accesses (`UnsafeCell`) for races, and
//! that every task allocation's `Notified` was consumed (a slot read twice would drop a task
//! twice and trip the reference-count assertions; a lost one would leave the allocation alive).

use super::{model, queue_task, task_id, NoopSched};
use crate::rt::scheduler::inject::Inject;
use crate::rt::scheduler::multi_thread::queue::{self, Local, CAPACITY};
use crate::rt::task::{Id, Notified};
use loom::thread;

fn tasks(n: usize) -> (Vec<Notified<NoopSched>>, Vec<Id>) {
    (0..n).map(|_| queue_task()).unzip()
}

fn drain_local(local: &mut Local<NoopSched>, seen: &mut Vec<Id>) {
    while let Some(task) = local.pop() {
        seen.push(task_id(task));
    }
}

fn drain_inject(inject: &Inject<NoopSched>, seen: &mut Vec<Id>) {
    while let Some(task) = inject.pop() {
        seen.push(task_id(task));
    }
}

/// A stealer thread: `steals` times, steal into its own queue and run (drain) what it got.
fn stealer(steal: queue::Steal<NoopSched>, steals: usize) -> thread::JoinHandle<Vec<Id>> {
    thread::spawn(move || {
        let (_, mut mine) = queue::local();
        let mut seen = Vec::new();
        for _ in 0..steals {
            if let Some(task) = steal.steal_into(&mut mine) {
                seen.push(task_id(task));
            }
            drain_local(&mut mine, &mut seen);
        }
        seen
    })
}

fn assert_each_once(mut seen: Vec<Id>, mut expected: Vec<Id>) {
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected, "tasks lost or duplicated");
}

/// Interleaved pushes and pops by the owner against a stealer that steals twice.
#[test]
fn loom_queue_push_pop_vs_steal() {
    model(|| {
        let (steal, mut local) = queue::local();
        let inject = Inject::new();
        let (tasks, expected) = tasks(4);
        let th = stealer(steal, 2);
        let mut seen = Vec::new();
        let mut tasks = tasks.into_iter();
        for _ in 0..2 {
            for task in tasks.by_ref().take(2) {
                local.push_back_or_overflow(task, &inject);
            }
            if let Some(task) = local.pop() {
                seen.push(task_id(task));
            }
        }
        seen.extend(th.join().unwrap());
        drain_local(&mut local, &mut seen);
        drain_inject(&inject, &mut seen);
        assert_each_once(seen, expected);
    });
}

/// The owner fills the queue past capacity while a stealer takes half of it: the overflow's
/// claim (a CAS on `head`) races the steal's, and a push that finds a steal in progress goes to
/// the injection queue.
#[test]
fn loom_queue_overflow_vs_steal() {
    model(|| {
        let (steal, mut local) = queue::local();
        let inject = Inject::new();
        let (tasks, expected) = tasks(CAPACITY + 2);
        let mut tasks = tasks.into_iter();
        // Before the race: the queue is one short of full.
        for task in tasks.by_ref().take(CAPACITY - 1) {
            local.push_back_or_overflow(task, &inject);
        }
        let th = stealer(steal, 1);
        for task in tasks {
            local.push_back_or_overflow(task, &inject);
        }
        let mut seen = th.join().unwrap();
        drain_local(&mut local, &mut seen);
        drain_inject(&inject, &mut seen);
        assert_each_once(seen, expected);
    });
}

/// Two stealers race each other (only one steal may be in progress) and the owner, who pushes
/// into a full queue (overflow, or the injection queue while a steal is in progress) and pops.
#[test]
fn loom_queue_two_stealers() {
    model(|| {
        let (steal, mut local) = queue::local();
        let inject = Inject::new();
        let (tasks, expected) = tasks(CAPACITY + 1);
        let mut tasks = tasks.into_iter();
        for task in tasks.by_ref().take(CAPACITY) {
            local.push_back_or_overflow(task, &inject);
        }
        let th1 = stealer(steal.clone(), 1);
        let th2 = stealer(steal, 1);
        for task in tasks {
            local.push_back_or_overflow(task, &inject);
        }
        let mut seen = Vec::new();
        if let Some(task) = local.pop() {
            seen.push(task_id(task));
        }
        seen.extend(th1.join().unwrap());
        seen.extend(th2.join().unwrap());
        drain_local(&mut local, &mut seen);
        drain_inject(&inject, &mut seen);
        assert_each_once(seen, expected);
    });
}

/// A queue that is being stolen from steals into itself: the owner empties its queue (popping
/// past a steal in progress), then steals from another queue into it, so it must not reuse
/// slots a stealer is still copying out of (`steal_into` checks room against `steal`, not
/// `real`).
#[test]
fn loom_queue_chained_steal() {
    model(|| {
        let (s1, mut l1) = queue::local();
        let (s2, mut l2) = queue::local();
        let inject = Inject::new();
        let (tasks, expected) = tasks(2 * CAPACITY);
        let mut tasks = tasks.into_iter();
        for task in tasks.by_ref().take(CAPACITY) {
            l1.push_back_or_overflow(task, &inject);
        }
        for task in tasks {
            l2.push_back_or_overflow(task, &inject);
        }
        let th = stealer(s1, 1);
        let mut seen = Vec::new();
        drain_local(&mut l1, &mut seen);
        if let Some(task) = s2.steal_into(&mut l1) {
            seen.push(task_id(task));
        }
        seen.extend(th.join().unwrap());
        drain_local(&mut l1, &mut seen);
        drain_local(&mut l2, &mut seen);
        drain_inject(&inject, &mut seen);
        assert_each_once(seen, expected);
    });
}
