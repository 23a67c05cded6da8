//! `block_on`'s machinery: a thread polls a future and sleeps on its own parker between
//! wake-ups. The caller enters the runtime first (`Runtime::block_on` on a multi-thread
//! runtime, `Handle::block_on`); a current-thread runtime's own `block_on` drives its scheduler
//! instead (`rt/scheduler/current_thread.rs`).

use crate::rt::driver::Parker;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

thread_local! {
    /// One parker per thread for `block_on`, so blocking on a future allocates nothing.
    static BLOCK_ON_PARKER: (Parker, Waker) = {
        let parker = Parker::new();
        let waker = parker.waker();
        (parker, waker)
    };
}

/// Polls `future` on this thread, sleeping between wake-ups, until it completes (with the
/// runtime entered by the caller).
pub(crate) fn block_on_thread<F: Future>(future: F) -> F::Output {
    block_on_thread_reaping(future, None)
}

/// How long a thread that reaps the shared ring for itself waits on it before it checks its own
/// wake-ups again: a bound on how late a wake-up that is not a completion is seen.
const SHARED_RING_WAIT: Duration = Duration::from_millis(1);

/// As `block_on_thread`, for a thread whose operations on the runtime's shared io_uring ring
/// nobody else may reap: a `Handle::block_on` on a current-thread runtime, whose driver only
/// turns inside `Runtime::block_on`. While operations are in flight there, it waits on the
/// ring (with a bound, to see its other wake-ups) and reaps it itself, as Tokio's blocking
/// pool would have completed the same call.
pub(crate) fn block_on_thread_reaping<F: Future>(
    future: F,
    uring: Option<&crate::rt::uring::UringHandle>,
) -> F::Output {
    let mut future = pin!(future);
    BLOCK_ON_PARKER.with(|(parker, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) = crate::rt::coop::budget(|| future.as_mut().poll(&mut cx)) {
                return output;
            }
            let reaped = uring.is_some_and(|uring| uring.wait_shared(SHARED_RING_WAIT));
            if !reaped {
                parker.park_shared();
            }
        }
    })
}
