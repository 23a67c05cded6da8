//! `task::coop`: the cooperative budget as code outside Tandem sees it, on a current-thread
//! runtime (where a task that never yields keeps every other task from running).

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{ready, Poll};

use tandem::task::coop::{
    consume_budget, cooperative, has_budget_remaining, poll_proceed, unconstrained,
};

/// Runs `body` in a task that first spawns another task, which only sets a flag (queued
/// behind the running task, so it runs only if `body` yields); `body` gets the flag and returns
/// whether it saw it set before it finished its loop.
async fn beside_a_flag_task<F, Fut>(body: F) -> bool
where
    F: FnOnce(Arc<AtomicBool>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    tandem::spawn(async move {
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        tandem::spawn(async move { flag.store(true, SeqCst) });
        body(other_ran).await
    })
    .await
    .unwrap()
}

#[tandem::test]
async fn cooperative_makes_an_always_ready_loop_yield() {
    let saw_other = beside_a_flag_task(|other_ran| async move {
        for _ in 0..10_000 {
            if other_ran.load(SeqCst) {
                return true;
            }
            // Always ready, and knows nothing of the budget.
            cooperative(std::future::ready(())).await;
        }
        false
    })
    .await;
    assert!(saw_other, "the loop never yielded to the other task");
}

#[tandem::test]
async fn unconstrained_never_yields_for_the_budget() {
    let saw_other = beside_a_flag_task(|other_ran| {
        unconstrained(async move {
            for _ in 0..10_000 {
                if other_ran.load(SeqCst) {
                    return true;
                }
                consume_budget().await;
            }
            false
        })
    })
    .await;
    assert!(!saw_other, "an unconstrained loop yielded for the budget");
}

#[tandem::test]
async fn poll_proceed_spends_the_budget_until_none_is_left() {
    let spent = tandem::spawn(poll_fn(|cx| {
        let mut spent = 0u32;
        while has_budget_remaining() {
            let unit = ready!(poll_proceed(cx));
            unit.made_progress();
            spent += 1;
        }
        // The next unit is refused, and the task woken to run again later.
        assert!(poll_proceed(cx).is_pending());
        Poll::Ready(spent)
    }))
    .await
    .unwrap();
    assert!(spent > 0);
    // A unit taken and dropped without progress is given back.
    tandem::spawn(poll_fn(|cx| {
        let before = ready!(poll_proceed(cx));
        before.made_progress();
        for _ in 0..1_000 {
            drop(ready!(poll_proceed(cx)));
        }
        assert!(has_budget_remaining());
        Poll::Ready(())
    }))
    .await
    .unwrap();
}
