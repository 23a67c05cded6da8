//! A local set (a `LocalSet`, a `LocalRuntime`) is the current one while it drops its tasks, as
//! Tokio's `LocalSet` is: a task's destructor, or an output's, that calls `task::spawn_local`
//! spawns onto the set being dropped, and gets a task cancelled at once. Before the fix the set
//! was not entered: with no other set current, `spawn_local` panicked there (and the panic
//! replaced the task's cancellation); inside another set's `run_until`, the new task went to that
//! other set and ran there.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use tandem::runtime::{Builder, LocalRuntime, Runtime};
use tandem::task::{self, JoinHandle, LocalSet};

/// Runs `body` on a thread of its own, failing (not hanging) if it does not end.
fn on_own_thread(body: impl FnOnce() + Send + 'static) {
    hang_guard::within(Duration::from_secs(20), "the test", body);
}

/// What a destructor's `task::spawn_local` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spawn {
    NotYet,
    Spawned,
    Panicked,
}

/// Calls `task::spawn_local` when dropped, recording what it did and whether the task ran.
struct SpawnsOnDrop {
    spawn: Rc<Cell<Spawn>>,
    ran: Rc<Cell<bool>>,
}

impl SpawnsOnDrop {
    fn new() -> SpawnsOnDrop {
        SpawnsOnDrop {
            spawn: Rc::new(Cell::new(Spawn::NotYet)),
            ran: Rc::new(Cell::new(false)),
        }
    }

    /// What the destructor will record into.
    fn probes(&self) -> (Rc<Cell<Spawn>>, Rc<Cell<bool>>) {
        (self.spawn.clone(), self.ran.clone())
    }
}

impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        let ran = self.ran.clone();
        let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            drop(task::spawn_local(async move { ran.set(true) }))
        }));
        self.spawn.set(match spawned {
            Ok(()) => Spawn::Spawned,
            Err(_) => Spawn::Panicked,
        });
    }
}

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// A set with one task that holds `guard` and never completes; polled once on `rt` if given.
fn a_set_holding(guard: SpawnsOnDrop, rt: Option<&Runtime>) -> LocalSet {
    let set = LocalSet::new();
    set.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    if let Some(rt) = rt {
        rt.block_on(set.run_until(task::yield_now()));
    }
    set
}

fn assert_spawned_onto_the_dropped_set(probes: (Rc<Cell<Spawn>>, Rc<Cell<bool>>)) {
    assert_eq!(probes.0.get(), Spawn::Spawned);
    assert!(
        !probes.1.get(),
        "the task spawned while its set dropped ran"
    );
}

#[test]
fn a_pending_task_dropped_with_its_set_outside_any_runtime() {
    on_own_thread(|| {
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        drop(a_set_holding(guard, Some(&runtime())));
        assert_spawned_onto_the_dropped_set(probes);
    });
}

#[test]
fn a_pending_task_dropped_with_its_set_inside_block_on() {
    on_own_thread(|| {
        let rt = runtime();
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        let set = a_set_holding(guard, Some(&rt));
        rt.block_on(async move { drop(set) });
        assert_spawned_onto_the_dropped_set(probes);
    });
}

#[test]
fn a_task_never_polled_dropped_with_its_set() {
    on_own_thread(|| {
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        drop(a_set_holding(guard, None));
        assert_spawned_onto_the_dropped_set(probes);
    });
}

#[test]
fn a_set_dropped_inside_another_sets_run_until_keeps_its_spawns() {
    on_own_thread(|| {
        let rt = runtime();
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        let inner = a_set_holding(guard, Some(&rt));
        let outer = LocalSet::new();
        rt.block_on(outer.run_until(async move {
            drop(inner);
            // Time for a task wrongly spawned onto `outer` to run.
            for _ in 0..10 {
                task::yield_now().await;
            }
        }));
        assert_spawned_onto_the_dropped_set(probes);
    });
}

#[test]
fn an_output_dropped_with_the_set_that_holds_its_handle() {
    on_own_thread(|| {
        let rt = runtime();
        let set = LocalSet::new();
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        // A completed task's output, whose handle a pending task holds.
        let handle: Rc<RefCell<Option<JoinHandle<SpawnsOnDrop>>>> = Rc::default();
        *handle.borrow_mut() = Some(set.spawn_local(async move { guard }));
        let holder = handle.clone();
        set.spawn_local(async move {
            let _handle = holder.borrow_mut().take();
            std::future::pending::<()>().await
        });
        rt.block_on(set.run_until(async {
            for _ in 0..4 {
                task::yield_now().await;
            }
        }));
        assert!(handle.borrow().is_none(), "the holder has not run");
        drop(set);
        assert_spawned_onto_the_dropped_set(probes);
    });
}

#[test]
fn a_pending_task_dropped_with_its_local_runtime() {
    on_own_thread(|| {
        let rt = LocalRuntime::new().unwrap();
        let guard = SpawnsOnDrop::new();
        let probes = guard.probes();
        rt.spawn_local(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        rt.block_on(task::yield_now());
        drop(rt);
        assert_spawned_onto_the_dropped_set(probes);
    });
}
