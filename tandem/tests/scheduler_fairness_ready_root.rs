//! Fairness toward spawned tasks while `block_on`'s own future never waits.
//!
//! On the current-thread runtime the thread that calls `block_on` is the only worker: it polls
//! the root future and runs the spawned tasks in turn. A root future that is always ready (a loop
//! over a channel that always holds a message, a socket that is always writable) runs out of
//! cooperative budget, wakes itself and returns `Pending`. Tokio then runs a batch of spawned
//! tasks before polling the root again; a scheduler that goes back to the root whenever it is
//! woken never runs them at all. Counted, not timed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Root iterations allowed before the spawned task must have run: ten budgets' worth.
const ROOT_ITERATIONS: usize = 1280;

#[test]
fn spawned_tasks_run_while_the_root_future_stays_ready() {
    let rt = tandem::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let polls = rt.block_on(async {
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = polls.clone();
        tandem::spawn(async move {
            loop {
                counter.fetch_add(1, Ordering::Relaxed);
                tandem::task::yield_now().await;
            }
        });
        for _ in 0..ROOT_ITERATIONS {
            // Always ready; every 128th call finds the budget spent and yields.
            tandem::task::consume_budget().await;
        }
        polls.load(Ordering::Relaxed)
    });
    // One yield of the root per 128 iterations: the spawned task ran at least once per yield
    // but the last (Tokio's count in its coop_budget test: iterations / budget).
    assert!(
        polls >= ROOT_ITERATIONS / 128 - 1,
        "the spawned task was polled {polls} times while the root yielded {} times",
        ROOT_ITERATIONS / 128
    );
}
