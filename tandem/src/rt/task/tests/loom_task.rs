//! Model 1: the state machine of one task.
//!
//! Each model spawns one real task through `OwnedTasks::bind` and races one of its transitions
//! against another thread. Every model checks, at the end of every execution:
//! - the task completed (no lost wake-up, no lost cancellation): `JoinHandle::is_finished`;
//! - the `JoinHandle` yields the output, or a cancelled error only where something cancelled;
//! - the future's destructor ran exactly once, and every output made was dropped exactly once;
//! - nothing is left queued or listed, and (by loom's leak check on the scheduler and gate
//!   `Arc`s the task holds) the task's allocation was freed;
//! - no panic happened anywhere, including inside the harness's `catch_unwind`s.

use super::{block_on, check_result, model, poll_join, FlagWaker, Gate, TestSched};
use loom::thread;
use std::task::Poll;

/// (a) The first poll races a wake that comes before it (the poll sees the gate open), during it
/// (the wake marks the running task NOTIFIED and the poll reschedules it through `yield_now`) or
/// after it (the wake schedules the idle task). The queued notifications run on the polling
/// thread while the wake may still be in progress. With `yields`, the poll also yields
/// (`yield_now` with the task's own waker: the harness notifies the task as it goes idle, in
/// the same transition): the yield's notification and the wake's make one run, or two in
/// turn, never a lost or a doubled reference.
fn poll_vs_wake(by_val: bool, yields: bool) {
    model(move || {
        let sched = TestSched::new(1);
        if yields {
            sched.yield_next_polls(1);
        }
        let gate = Gate::new(false);
        let (join, notified) = sched.spawn(&gate);
        let waker_gate = gate.clone();
        let th = thread::spawn(move || waker_gate.open(by_val));
        notified.run();
        sched.run_queued();
        th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "lost wake-up");
        assert!(check_result(block_on(join), false));
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_task_poll_vs_wake_by_val() {
    poll_vs_wake(true, false);
}

#[test]
fn loom_task_poll_vs_wake_by_ref() {
    poll_vs_wake(false, false);
}

#[test]
fn loom_task_yield_vs_wake_by_val() {
    poll_vs_wake(true, true);
}

#[test]
fn loom_task_yield_vs_wake_by_ref() {
    poll_vs_wake(false, true);
}

/// (a'') A poll that yields with no waker registered anywhere: the harness's notification is the
/// only thing that runs the task again, and it does, once.
#[test]
fn loom_task_yield_alone() {
    model(|| {
        let sched = TestSched::new(1);
        sched.yield_next_polls(1);
        let gate = Gate::yielding(true);
        let (join, notified) = sched.spawn(&gate);
        notified.run();
        assert_eq!(sched.run_queued(), 1, "the yield's notification");
        assert!(join.is_finished(), "the yield's notification was lost");
        assert!(check_result(block_on(join), false));
        sched.assert_idle();
        gate.finish();
    });
}

/// (a''') The same yielding poll, racing an abort from another thread: the task ends exactly
/// once, cancelled or with its output, and the yield's notification is neither lost nor run
/// twice.
#[test]
fn loom_task_yield_alone_vs_abort() {
    model(|| {
        let sched = TestSched::new(1);
        sched.yield_next_polls(1);
        let gate = Gate::yielding(true);
        let (join, notified) = sched.spawn(&gate);
        let abort = join.abort_handle();
        let th = thread::spawn(move || abort.abort());
        notified.run();
        sched.run_queued();
        th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "the yield's notification was lost");
        let _ = block_on(join);
        sched.assert_idle();
        gate.finish();
    });
}

/// (b) The completing poll races the `JoinHandle`'s drop: whoever comes second drops the output,
/// exactly once. With `register`, the handle first polls (storing a join waker, unless the task
/// already completed), so the drop also races the completion's read and release of the waker
/// slot.
fn complete_vs_join_drop(register: bool) {
    model(move || {
        let sched = TestSched::new(1);
        let gate = Gate::new(true);
        let (mut join, notified) = sched.spawn(&gate);
        let th = thread::spawn(move || {
            if register {
                if let Poll::Ready(res) = poll_join(&mut join, &FlagWaker::new_waker()) {
                    assert!(check_result(res, false));
                }
            }
            drop(join);
        });
        notified.run();
        th.join().unwrap();
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_task_complete_vs_join_drop() {
    complete_vs_join_drop(false);
}

#[test]
fn loom_task_complete_vs_join_poll_then_drop() {
    complete_vs_join_drop(true);
}

/// (c) The completing poll races the `JoinHandle`'s poll, which registers the join waker: the
/// completion must wake it or the poll must see the output (else `block_on` deadlocks, which
/// loom reports). With `swap`, the handle first registers a different waker, so `block_on`'s
/// poll replaces it (`unset_join_waker` then `set_join_waker`) while the task completes.
fn complete_vs_join_poll(swap: bool) {
    model(move || {
        let sched = TestSched::new(1);
        let gate = Gate::new(true);
        let (mut join, notified) = sched.spawn(&gate);
        let th = thread::spawn(move || {
            if swap {
                if let Poll::Ready(res) = poll_join(&mut join, &FlagWaker::new_waker()) {
                    return check_result(res, false);
                }
            }
            check_result(block_on(join), false)
        });
        notified.run();
        assert!(th.join().unwrap());
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_task_complete_vs_join_poll() {
    complete_vs_join_poll(false);
}

#[test]
fn loom_task_complete_vs_join_poll_swap_waker() {
    complete_vs_join_poll(true);
}

/// (d) `abort` from another thread races the first poll. With the gate open the poll may
/// complete first (output) or the abort may win (cancelled); with it closed the task can only
/// end cancelled: by the poll that sees CANCELLED when it starts, by `transition_to_idle` after
/// it, or by the notification the abort schedules for the idle task.
fn abort_vs_poll(open: bool) {
    model(move || {
        let sched = TestSched::new(1);
        let gate = Gate::new(open);
        let (join, notified) = sched.spawn(&gate);
        let abort = join.abort_handle();
        let th = thread::spawn(move || abort.abort());
        notified.run();
        th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "lost abort");
        let completed = check_result(block_on(join), true);
        assert!(open || !completed, "completed with the gate closed");
        assert_eq!(completed, gate.outputs_made() == 1);
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_task_abort_vs_poll() {
    abort_vs_poll(false);
}

#[test]
fn loom_task_abort_vs_complete() {
    abort_vs_poll(true);
}

/// (d) Three-way: the first poll, an abort and the wake that completes the task. Whichever of
/// completion and cancellation wins, the task ends exactly once.
#[test]
fn loom_task_abort_vs_poll_vs_wake() {
    model(|| {
        let sched = TestSched::new(1);
        let gate = Gate::new(false);
        let (join, notified) = sched.spawn(&gate);
        let abort = join.abort_handle();
        let th_abort = thread::spawn(move || abort.abort());
        let waker_gate = gate.clone();
        let th_wake = thread::spawn(move || waker_gate.open(true));
        notified.run();
        th_abort.join().unwrap();
        th_wake.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "lost wake-up or abort");
        let completed = check_result(block_on(join), true);
        assert_eq!(completed, gate.outputs_made() == 1);
        sched.assert_idle();
        gate.finish();
    });
}

/// (e) Runtime shutdown (`close_and_shutdown_all`) races the first poll: shutdown cancels the
/// idle task in place, or marks the running one CANCELLED for its poll to finish, or finds it
/// completed (gate open) or already released from the list.
fn shutdown_vs_poll(open: bool) {
    model(move || {
        let sched = TestSched::new(1);
        let gate = Gate::new(open);
        let (join, notified) = sched.spawn(&gate);
        let closer = sched.clone();
        let th = thread::spawn(move || closer.close_and_shutdown_all(0));
        notified.run();
        th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "a task survived shutdown");
        let completed = check_result(block_on(join), true);
        assert!(open || !completed, "completed with the gate closed");
        sched.assert_idle();
        gate.finish();
    });
}

#[test]
fn loom_task_shutdown_vs_poll() {
    shutdown_vs_poll(false);
}

#[test]
fn loom_task_shutdown_vs_complete() {
    shutdown_vs_poll(true);
}

/// (e) Shutdown races a wake of an idle task and the run of the notification it queues:
/// shutdown claims the idle task (the notification then finds it complete or running), or the
/// run claims it first (shutdown marks it CANCELLED, or finds it completed).
#[test]
fn loom_task_shutdown_vs_wake() {
    model(|| {
        let sched = TestSched::new(1);
        let gate = Gate::new(false);
        let (join, notified) = sched.spawn(&gate);
        // First poll before the race: the task is idle with its waker registered.
        notified.run();
        let closer = sched.clone();
        let th = thread::spawn(move || closer.close_and_shutdown_all(0));
        gate.open(true);
        sched.run_queued();
        th.join().unwrap();
        sched.run_queued();
        assert!(join.is_finished(), "a task survived shutdown");
        let completed = check_result(block_on(join), true);
        assert_eq!(completed, gate.outputs_made() == 1);
        sched.assert_idle();
        gate.finish();
    });
}
