//! What the macros' expansions name, as `$crate::macros::support::...`: public so that they
//! resolve from the user's crate, hidden because they are no API of Tandem's.

pub use super::maybe_done::{MaybeDone, TryFuture, TryMaybeDone};
pub use std::future::{poll_fn, Future, IntoFuture};
pub use std::pin::{pin, Pin};
pub use std::task::{ready, Context, Poll};
#[cfg(feature = "macros")]
pub use tandem_macros::{join_internal, select_internal, try_join_internal};

/// A number in `0..n` from this thread's generator: the branch `select!` polls first.
#[inline]
pub fn thread_rng_n(n: u32) -> u32 {
    crate::util::rand::thread_rng_n(n)
}

/// `Pending` (after waking the task) if the running task's cooperative budget is spent; spends
/// nothing.
#[inline]
pub fn poll_budget_available(cx: &mut Context<'_>) -> Poll<()> {
    crate::rt::coop::poll_budget_available(cx)
}
