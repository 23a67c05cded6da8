//! Model 4: `OwnedTasks::bind` (a spawn) racing `OwnedTasks::close_and_shutdown_all` (runtime
//! shutdown).
//!
//! Either the bind lists the task before the closer drains its shard, and the closer shuts it
//! down, or the bind sees the list closed, returns no notification and cancels the task itself.
//! No task may escape: at the end every `JoinHandle` is finished, with a cancelled error (or the
//! output, if the task ran to completion before shutdown reached it), the list is empty, the
//! future was dropped exactly once and (loom's leak check) the allocation was freed.

use super::{block_on, check_result, model, Gate, TestSched};
use crate::rt::task::Schedule;
use loom::thread;

/// `run`: the spawning thread runs the task at once (a worker spawning onto its own queue and
/// polling it), so shutdown also races the poll; else it queues the notification.
fn bind_vs_close(open: bool, run: bool) {
    model(move || {
        let sched = TestSched::new(1);
        let gate = Gate::new(open);
        let spawner = sched.clone();
        let spawn_gate = gate.clone();
        let th = thread::spawn(move || {
            let (join, notified) = spawner.bind(&spawn_gate, 0);
            let listed = notified.is_some();
            if let Some(notified) = notified {
                if run {
                    notified.run();
                } else {
                    spawner.schedule(notified);
                }
            }
            (join, listed)
        });
        sched.close_and_shutdown_all(0);
        let (join, listed) = th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "a task escaped shutdown");
        let completed = check_result(block_on(join), true);
        assert!(listed || !completed, "bind refused the task, yet it ran");
        assert!(open || !completed, "completed with the gate closed");
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_list_bind_vs_close() {
    bind_vs_close(false, false);
}

#[test]
fn loom_list_bind_and_run_vs_close() {
    bind_vs_close(true, true);
}

/// Two spawns into different shards while the closer walks the shards: the bind of each is
/// ordered against the drain of its own shard only.
#[test]
fn loom_list_bind_two_shards_vs_close() {
    model(|| {
        let sched = TestSched::new(2);
        let gates = [Gate::new(false), Gate::new(false)];
        let spawner = sched.clone();
        let spawn_gates = gates.clone();
        let th = thread::spawn(move || {
            let mut shard = 0;
            spawn_gates.map(|gate| {
                let (join, notified) = spawner.bind(&gate, shard);
                shard += 1;
                if let Some(notified) = notified {
                    spawner.schedule(notified);
                }
                join
            })
        });
        sched.close_and_shutdown_all(0);
        let joins = th.join().unwrap();
        sched.run_queued();
        for join in joins {
            assert!(join.is_finished(), "a task escaped shutdown");
            assert!(!check_result(block_on(join), true));
        }
        sched.assert_idle();
        for gate in &gates {
            gate.finish();
        }
    });
}

/// All workers take part in shutdown: two closers, starting at different shards, race each other
/// and a spawn. Each listed task is popped and shut down by exactly one of them.
#[test]
fn loom_list_two_closers_vs_bind() {
    model(|| {
        let sched = TestSched::new(2);
        let gate = Gate::new(false);
        let spawner = sched.clone();
        let spawn_gate = gate.clone();
        let th_spawn = thread::spawn(move || {
            let (join, notified) = spawner.bind(&spawn_gate, 1);
            if let Some(notified) = notified {
                spawner.schedule(notified);
            }
            join
        });
        let closer = sched.clone();
        let th_close = thread::spawn(move || closer.close_and_shutdown_all(1));
        sched.close_and_shutdown_all(0);
        th_close.join().unwrap();
        let join = th_spawn.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "a task escaped shutdown");
        assert!(!check_result(block_on(join), true));
        sched.assert_idle();
        gate.finish();
    });
}
