//! Cooperative scheduling: a per-poll budget so an always-ready task yields.
//!
//! A worker gives each task poll a budget of [`INITIAL`](context::INITIAL) units (so does `block_on` to its
//! future). Runtime resources spend one unit each time they are ready: join handles (and
//! `JoinSet`), socket and `AsyncFd` readiness, timers, io_uring operations, file reads served
//! inline, `io::empty`/`repeat`/`sink`, and `task::consume_budget`.
//! When the budget is spent they return `Pending` and wake the task once the scheduler has
//! polled its driver (a deferred wake-up, as `yield_now`'s; at once off a scheduler thread), so
//! it goes to the back of the run queue and other tasks, and new I/O events, get the worker.

use super::context::{self, Budget};
use std::cell::Cell;
use std::marker::PhantomData;
use std::task::{Context, Poll};

/// Runs `f` (a task poll) with a fresh budget.
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::initial(), f)
}

/// Runs `f` without a budget (blocking tasks, `block_on`'s own future).
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::unconstrained(), f)
}

fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Budget>);
    impl Drop for Reset {
        fn drop(&mut self) {
            if let Some(prev) = self.0 {
                context::budget(|cell| cell.set(prev));
            }
        }
    }
    let prev = context::budget(|cell| cell.replace(budget));
    let _reset = Reset(prev);
    f()
}

/// True if the running task still has budget (or runs unconstrained).
pub(crate) fn has_budget_remaining() -> bool {
    context::budget(|cell| !cell.get().is_exhausted()).unwrap_or(true)
}

/// `Pending` (after waking the task) if the running task's budget is spent, without spending
/// any: `select!` checks it first, since a branch that is always ready would never yield.
pub(crate) fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    if has_budget_remaining() {
        Poll::Ready(())
    } else {
        context::defer_or_wake(cx.waker());
        Poll::Pending
    }
}

/// Spends one unit for a resource that was ready without being polled for it (a file read or
/// open served inline). Nothing happens if the budget is spent already or unconstrained: the
/// caller checked [`has_budget_remaining`] first, and took the slow path otherwise.
pub(crate) fn spend() {
    context::budget(|cell| {
        let mut budget = cell.get();
        if let Some(n) = &mut budget.0 {
            *n = n.saturating_sub(1);
            cell.set(budget);
        }
    });
}

/// Spends one unit of the running task's budget, or returns `Pending` (after waking the task)
/// if none is left. The returned guard refunds the unit when dropped, unless
/// [`made_progress`](RestoreOnPending::made_progress) was called: a resource takes the unit
/// first, then calls it once it turned out ready.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    context::budget(|cell| {
        let mut budget = cell.get();
        match &mut budget.0 {
            Some(0) => {
                // As Tokio: the task runs again only after the scheduler has polled its driver
                // (a task that spends its budget in a loop waiting for I/O would otherwise get
                // the thread back before the I/O it waits for is ever seen).
                context::defer_or_wake(cx.waker());
                Poll::Pending
            }
            Some(n) => {
                *n -= 1;
                let restore = RestoreOnPending::new(cell.get());
                cell.set(budget);
                Poll::Ready(restore)
            }
            None => Poll::Ready(RestoreOnPending::new(budget)),
        }
    })
    .unwrap_or(Poll::Ready(RestoreOnPending::new(Budget::unconstrained())))
}

/// The unit of budget [`poll_proceed`] took: refunded when dropped, unless the resource made
/// progress.
///
/// `!Send` and `!Sync`, as Tokio's: the budget it refunds is the current thread's, so it must be
/// dropped on the thread that took it.
#[derive(Debug)]
#[must_use]
pub struct RestoreOnPending(Cell<Budget>, PhantomData<*const ()>);

impl RestoreOnPending {
    fn new(budget: Budget) -> RestoreOnPending {
        RestoreOnPending(Cell::new(budget), PhantomData)
    }

    /// The resource was ready: the unit stays spent.
    pub fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        let budget = self.0.get();
        if budget.0.is_some() {
            context::budget(|cell| cell.set(budget));
        }
    }
}

/// Spends one unit of the task's cooperative budget, yielding to the scheduler if it is spent.
///
/// For long computations made of many small steps that never await a runtime resource: calling
/// this in the loop keeps the task from starving the others on its worker.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     sum += i;
///     tandem::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # });
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(|cx| {
        let restore = std::task::ready!(poll_proceed(cx));
        restore.made_progress();
        Poll::Ready(())
    })
    .await
}

/// Runs `future` under the budget: each poll spends one unit first (yielding if none is left),
/// refunded unless the poll completes. For futures that may be ready without waiting (a
/// `watch` change already sent) yet know nothing of the budget themselves.
pub(crate) async fn cooperative<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let coop = std::task::ready!(poll_proceed(cx));
        let output = std::task::ready!(future.as_mut().poll(cx));
        coop.made_progress();
        Poll::Ready(output)
    })
    .await
}
