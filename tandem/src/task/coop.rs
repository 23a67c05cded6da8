//! Cooperative scheduling, at Tokio's path (`tokio::task::coop`).
//!
//! A worker gives each poll of a task a budget of units; every runtime resource that is ready
//! (a channel's message, a socket's bytes, a timer, a join handle) spends one, and when none is
//! left it returns `Pending` and wakes the task at once, so an always-ready loop still lets the
//! worker's other tasks run. This module lets code outside Tandem take part: spend a unit
//! ([`consume_budget`], [`poll_proceed`]), look ([`has_budget_remaining`]), wrap a future that
//! knows nothing of the budget ([`cooperative`]), or opt a future out ([`unconstrained`]). The
//! budget itself is the engine's (`rt/coop.rs`).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pub use crate::rt::coop::{consume_budget, poll_proceed, RestoreOnPending};

/// True if the running task still has budget (or runs unconstrained, or outside a runtime).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// tandem::spawn(async {
///     assert!(tandem::task::coop::has_budget_remaining());
/// })
/// .await
/// .unwrap();
/// # });
/// ```
pub fn has_budget_remaining() -> bool {
    crate::rt::coop::has_budget_remaining()
}

pin_project_lite::pin_project! {
    /// A future polled without a budget: see [`unconstrained`].
    #[must_use = "Unconstrained does nothing unless polled"]
    #[derive(Debug)]
    pub struct Unconstrained<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        crate::rt::coop::with_unconstrained(|| inner.poll(cx))
    }
}

/// Polls `inner` without a cooperative budget: the resources it awaits never make it yield.
/// A future that never yields on its own can starve the other tasks of its worker, so use it
/// only where the starvation is bounded or intended.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = tandem::sync::mpsc::unbounded_channel();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// let sum = tandem::task::coop::unconstrained(async move {
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     sum
/// })
/// .await;
/// assert_eq!(sum, 499_500);
/// # });
/// ```
pub fn unconstrained<F>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner }
}

pin_project_lite::pin_project! {
    /// A future that spends the cooperative budget: see [`cooperative`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Coop<F: Future> {
        #[pin]
        fut: F,
    }
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let unit = ready!(poll_proceed(cx));
        let output = ready!(self.project().fut.poll(cx));
        unit.made_progress();
        Poll::Ready(output)
    }
}

/// Makes `fut` spend the task's budget as Tandem's own resources do: each poll first takes a
/// unit (returning `Pending` and waking the task if none is left), refunded unless `fut`
/// completes. For futures of other crates that may be ready without waiting (a
/// `futures::channel::mpsc` receiver, say).
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let value = tandem::task::coop::cooperative(async { 7 }).await;
/// assert_eq!(value, 7);
/// # });
/// ```
pub fn cooperative<F: Future>(fut: F) -> Coop<F> {
    Coop { fut }
}
