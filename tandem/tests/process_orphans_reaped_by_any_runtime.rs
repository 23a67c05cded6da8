//! A child dropped before it exited is reaped by any runtime that runs, as Tokio's drivers do at
//! every park, not only by a later spawn: before the fix, a child whose runtime had shut down
//! (or that was dropped outside any runtime, its spawning runtime never driven again) stayed a
//! zombie while another runtime ran without spawning.
//!
//! Alone in its binary: another test's spawn would retry the orphan queue and hide the bug.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::time::Duration;
use tandem::process::Command;
use tandem::runtime::{Builder, Runtime};

/// Whether the process `pid` still exists (a zombie does).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Spawns a child that exits after 0.2 s in a runtime of `make`, and drops it there: unreaped.
fn a_running_child_dropped_in(rt: &Runtime) -> u32 {
    rt.block_on(async {
        let child = Command::new("sleep").arg("0.2").spawn().unwrap();
        child.id().unwrap()
    })
}

/// Runs `rt` idle (a timer, no spawn) long enough for the child to exit and a park to see it.
fn run_idle(rt: &Runtime) {
    rt.block_on(async { tandem::time::sleep(Duration::from_millis(1500)).await });
}

#[test]
fn orphans_are_reaped_by_a_runtime_that_spawns_nothing() {
    hang_guard::within(Duration::from_secs(60), "the orphan cases", || {
        let mut left = Vec::new();

        // Dropped outside any runtime; the runtime that spawned it is alive, never driven again.
        let spawner = current_thread();
        let child = spawner.block_on(async { Command::new("sleep").arg("0.2").spawn().unwrap() });
        let pid = child.id().unwrap();
        drop(child);
        run_idle(&multi_thread());
        if exists(pid) {
            left.push(format!("dropped outside a runtime: {pid}"));
        }
        drop(spawner);

        // Dropped in a runtime that then shut down; another one runs.
        for (name, make) in [
            ("current-thread", current_thread as fn() -> Runtime),
            ("multi-thread", multi_thread),
        ] {
            let rt = make();
            let pid = a_running_child_dropped_in(&rt);
            drop(rt);
            run_idle(&make());
            if exists(pid) {
                left.push(format!("{name}, its runtime shut down: {pid}"));
            }
        }
        assert!(left.is_empty(), "children left unreaped: {left:?}");
    });
}
