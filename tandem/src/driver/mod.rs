//! What a thread parks on when it has nothing to run.
//!
//! For now a parker (mutex + condition variable + state word); the I/O reactor and the timer
//! wheel will join it here, so that a parked worker can wait in `epoll_wait` until the next
//! timer deadline.

mod park;

pub(crate) use park::{Parker, Unparker};

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

thread_local! {
    /// One parker per thread for `block_on`, so blocking on a future allocates nothing.
    static BLOCK_ON_PARKER: (Parker, Waker) = {
        let parker = Parker::new();
        let waker = parker.waker();
        (parker, waker)
    };
}

/// Polls `future` on this thread, sleeping between wake-ups, until it completes.
pub(crate) fn block_on_thread<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    BLOCK_ON_PARKER.with(|(parker, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) =
                crate::runtime::coop::budget(|| future.as_mut().poll(&mut cx))
            {
                return output;
            }
            parker.park_shared();
        }
    })
}
