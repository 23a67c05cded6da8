//! `Acquire`, the future of a waiting acquisition of `n` permits.
//!
//! | stage | the future... | its `Drop` |
//! |---|---|---|
//! | `Start` | has not asked yet | nothing |
//! | `Waiting(key)` | is in the wait list under `key` (maybe already served) | leaves the list; permits it was given go to the next in line |
//! | `Holding` | got its permits, but the task's budget was spent | gives the permits back |
//! | `Done` | handed the permits to its caller | nothing |
//!
//! As Tokio's, it consults the cooperative budget only once the permits are its own: a task
//! whose budget is spent still takes its place in the queue (and the permits, if there are
//! some), then yields with them, so fairness does not depend on budgets.

use super::batch::{BatchSemaphore, Enqueued, WaiterPoll};
use super::error::{AcquireError, TryAcquireError};
use crate::rt::coop;
use crate::sync::wait_list::WaitKey;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Resolves once `n` permits of the semaphore are the caller's (who must give them back with
/// `BatchSemaphore::release`), or fails if the semaphore closes first.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    semaphore: &'a BatchSemaphore,
    n: usize,
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    Start,
    Waiting(WaitKey),
    Holding,
    Done,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(semaphore: &'a BatchSemaphore, n: usize) -> Acquire<'a> {
        Acquire {
            semaphore,
            n,
            stage: Stage::Start,
        }
    }

    fn fail(&mut self) -> Poll<Result<(), AcquireError>> {
        self.stage = Stage::Done;
        Poll::Ready(Err(AcquireError(())))
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (semaphore, n) = (this.semaphore, this.n);
        match this.stage {
            Stage::Start => match semaphore.try_take(n) {
                Ok(()) => {}
                Err(TryAcquireError::Closed) => return this.fail(),
                Err(TryAcquireError::NoPermits) => match semaphore.enqueue(n, cx.waker()) {
                    Enqueued::Taken => {}
                    Enqueued::Closed => return this.fail(),
                    Enqueued::Waiting(key) => {
                        this.stage = Stage::Waiting(key);
                        return Poll::Pending;
                    }
                },
            },
            Stage::Waiting(key) => match semaphore.poll_waiter(key, n, cx.waker()) {
                WaiterPoll::Served => {}
                WaiterPoll::Waiting => return Poll::Pending,
                WaiterPoll::Closed => return this.fail(),
            },
            Stage::Holding => {
                // As Tokio's: a closed semaphore fails every acquisition not yet handed out.
                if semaphore.is_closed() {
                    semaphore.release(n);
                    return this.fail();
                }
            }
            Stage::Done => panic!("`Acquire` polled after it completed"),
        }
        this.stage = Stage::Holding;
        ready!(coop::poll_proceed(cx)).made_progress();
        this.stage = Stage::Done;
        Poll::Ready(Ok(()))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        match self.stage {
            Stage::Waiting(key) => self.semaphore.leave(key, self.n),
            Stage::Holding => self.semaphore.release(self.n),
            Stage::Start | Stage::Done => {}
        }
    }
}
