//! `Barrier`: tasks wait until a given number of them have arrived, then all go on.
//!
//! A count of arrivals and a generation number sit under a mutex with the waiting tasks
//! (a `WaitList` of wakers). The `n`th arrival is the leader: it starts the next generation,
//! takes every waker, releases the lock and wakes them. A waiter is done once the generation it
//! arrived in is over.

use crate::loom::sync::Mutex;
use crate::rt::coop;
use crate::sync::wait_list::{WaitKey, WaitList};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

/// A barrier enables multiple tasks to synchronize the beginning of some computation.
///
/// ```
/// use std::sync::Arc;
/// use tandem::sync::Barrier;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let barrier = Arc::new(Barrier::new(10));
/// let mut handles = Vec::new();
/// for _ in 0..10 {
///     let barrier = barrier.clone();
///     handles.push(tandem::spawn(async move { barrier.wait().await }));
/// }
/// let mut leaders = 0;
/// for handle in handles {
///     if handle.await.unwrap().is_leader() {
///         leaders += 1;
///     }
/// }
/// // Exactly one task of the ten is the leader.
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    state: Mutex<State>,
    n: usize,
}

struct State {
    /// Tasks that arrived in this generation.
    arrived: usize,
    /// How many generations are over (wraps).
    generation: usize,
    /// The tasks waiting for this generation to be over.
    waiters: WaitList<Waker>,
}

impl Barrier {
    /// Creates a new barrier that can block a given number of tasks.
    ///
    /// A barrier will block `n`-1 tasks which call [`Barrier::wait`] and then wake up all tasks
    /// at once when the `n`th task calls `wait`. A barrier of 0 behaves as one of 1 (as
    /// `std::sync::Barrier` does): every `wait` returns at once.
    pub fn new(n: usize) -> Barrier {
        Barrier {
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                waiters: WaitList::new(),
            }),
            n: n.max(1),
        }
    }

    /// Does not resolve until all tasks have rendezvoused here.
    ///
    /// Barriers are re-usable after all tasks have rendezvoused once, and can be used
    /// continuously.
    ///
    /// A single (arbitrary) future will receive a [`BarrierWaitResult`] that returns `true` from
    /// [`BarrierWaitResult::is_leader`] when returning from this function, and all other tasks
    /// will receive a result that will return `false` from `is_leader`.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: a task counts as arrived from the first poll on, even if
    /// the future is dropped before the barrier opens.
    pub async fn wait(&self) -> BarrierWaitResult {
        Wait {
            barrier: self,
            stage: Stage::Arrive,
        }
        .await
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}

/// A `BarrierWaitResult` is returned by `wait` when all tasks in the `Barrier` have
/// rendezvoused.
#[derive(Debug, Clone)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Returns `true` if this task from wait is the "leader task".
    ///
    /// Only one task will have `true` returned from their result, all other tasks will have
    /// `false` returned.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

/// The future inside [`Barrier::wait`].
struct Wait<'a> {
    barrier: &'a Barrier,
    stage: Stage,
}

enum Stage {
    /// Not counted yet.
    Arrive,
    /// Counted in `generation`, queued under `key`.
    Waiting {
        generation: usize,
        key: WaitKey,
    },
    Done,
}

impl Future for Wait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        match self.stage {
            Stage::Arrive => {
                // Clone before locking: a waker's clone may run any code.
                let waker = cx.waker().clone();
                let mut state = self.barrier.state.lock();
                state.arrived += 1;
                if state.arrived < self.barrier.n {
                    let generation = state.generation;
                    let key = state.waiters.push_back(waker);
                    drop(state);
                    self.stage = Stage::Waiting { generation, key };
                    return Poll::Pending;
                }
                // The leader: open the barrier for this generation.
                state.arrived = 0;
                state.generation = state.generation.wrapping_add(1);
                let wakers: Vec<Waker> = state.waiters.drain().collect();
                drop(state);
                self.stage = Stage::Done;
                for waker in wakers {
                    waker.wake();
                }
                Poll::Ready(BarrierWaitResult(true))
            }
            Stage::Waiting { generation, key } => {
                let coop = ready!(coop::poll_proceed(cx));
                let mut state = self.barrier.state.lock();
                if state.generation != generation {
                    drop(state);
                    coop.made_progress();
                    self.stage = Stage::Done;
                    return Poll::Ready(BarrierWaitResult(false));
                }
                let slot = state
                    .waiters
                    .get_mut(key)
                    .expect("a waiter stays queued until its generation is over");
                let old = if slot.will_wake(cx.waker()) {
                    None
                } else {
                    Some(std::mem::replace(slot, cx.waker().clone()))
                };
                drop(state);
                drop(old);
                Poll::Pending
            }
            Stage::Done => panic!("`Barrier::wait` polled after completion"),
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Stage::Waiting { generation, key } = self.stage {
            // Still counted as arrived (Tokio's semantics); only the waker leaves the queue.
            let mut state = self.barrier.state.lock();
            let waker = if state.generation == generation {
                state.waiters.remove(key)
            } else {
                None
            };
            drop(state);
            drop(waker);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Barrier;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    /// A waiter dropped before the barrier opens still counts (Tokio's semantics) and leaves no
    /// waker behind.
    #[test]
    fn a_dropped_waiter_still_counts() {
        let barrier = Barrier::new(2);
        let mut cx = Context::from_waker(Waker::noop());
        {
            let mut first = pin!(barrier.wait());
            assert!(first.as_mut().poll(&mut cx).is_pending());
        }
        assert!(barrier.state.lock().waiters.is_empty());
        let mut second = pin!(barrier.wait());
        let result = second.as_mut().poll(&mut cx);
        assert!(matches!(result, std::task::Poll::Ready(r) if r.is_leader()));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::Barrier;
    use crate::loom::model::model;
    use loom::future::block_on;
    use loom::sync::Arc;
    use loom::thread;

    /// Two tasks meet: both pass, exactly one leads.
    #[test]
    fn loom_barrier_one_leader() {
        model(|| {
            let barrier = Arc::new(Barrier::new(2));
            let other = {
                let barrier = barrier.clone();
                thread::spawn(move || block_on(barrier.wait()).is_leader())
            };
            let me = block_on(barrier.wait()).is_leader();
            let other = other.join().unwrap();
            assert!(me ^ other, "exactly one leader");
        });
    }
}
