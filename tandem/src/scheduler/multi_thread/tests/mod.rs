//! Loom models of the multi-thread scheduler (built only with `RUSTFLAGS="--cfg loom"`).
//!
//! - `loom_queue`: the local run queue (push, overflow to the injection queue, pop, steal).
//! - `loom_park`: the `Parker`, and the idle protocol between spawners and parking workers.
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS=2 cargo test -p tandem
//! --release --lib loom`.

mod loom_park;
mod loom_queue;

use crate::task::{Id, Notified, Schedule, Task};
use std::cell::Cell;

thread_local! {
    /// Panics raised on this OS thread (loom runs every model thread on the test's thread).
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f` under loom, failing if any panic happened in an execution, even one caught by the
/// task harness (which would hide a data race loom reports by panicking). Without
/// `LOOM_MAX_PREEMPTIONS` the bound defaults to 2, so a bare `cargo test` stays fast.
pub(super) fn model(f: impl Fn() + Sync + Send + 'static) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            prev(info);
        }));
    });
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = executions.clone();
    builder.check(move || {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PANICS.with(|p| p.set(0));
        f();
        assert_eq!(
            PANICS.with(Cell::get),
            0,
            "a panic was caught inside the runtime"
        );
    });
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!(
        "{name}: {} executions",
        executions.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// A task id that is 0 modulo 64, so it selects shard 0 of any owned-tasks list of up to 64
/// shards. Ids come from a process-wide counter that other tests advance too: a model that took
/// `Id::next()` as is could lock a different shard in each execution, and loom needs every
/// execution of a model to be deterministic.
pub(super) fn shard_zero_id() -> Id {
    loop {
        let id = Id::next();
        if id.as_u64() % 64 == 0 {
            return id;
        }
    }
}

/// A scheduler for tasks that are only moved between queues, never run.
pub(super) struct NoopSched;

impl Schedule for NoopSched {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }

    fn schedule(&self, _task: Notified<Self>) {
        unreachable!("queue-model tasks are never woken");
    }
}

/// A task that is never run, standing only for its notification; returns it with its id. The
/// owned and join references are dropped at once, so dropping the notification frees the task.
pub(super) fn queue_task() -> (Notified<NoopSched>, Id) {
    let id = Id::next();
    let (task, notified, join) = crate::task::new_task(std::future::ready(()), NoopSched, id);
    drop(task);
    drop(join);
    (notified, id)
}

/// Consumes a notification, returning its task's id.
pub(super) fn task_id(task: Notified<NoopSched>) -> Id {
    let raw = task.into_raw();
    let id = raw.header().id();
    // SAFETY: `raw` is the notification reference `into_raw` just gave up; rebuilding the
    // `Notified` and dropping it releases that reference.
    drop(unsafe { Notified::<NoopSched>::from_raw(raw) });
    id
}
