//! The semaphore's behaviour, polled by hand (no runtime): fairness, give-back on cancel,
//! close, and the cooperative budget.

use super::super::error::AcquireError;
use crate::rt::coop;
use crate::sync::{Semaphore, TryAcquireError};
use futures::task::{waker, ArcWake};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl ArcWake for Count {
    fn wake_by_ref(me: &Arc<Self>) {
        me.0.fetch_add(1, SeqCst);
    }
}

/// A future under test, with its own counting waker.
struct Task<F> {
    future: Pin<Box<F>>,
    wakes: Arc<Count>,
}

impl<F: Future> Task<F> {
    fn new(future: F) -> Task<F> {
        Task {
            future: Box::pin(future),
            wakes: Arc::default(),
        }
    }

    fn poll(&mut self) -> Poll<F::Output> {
        let waker = waker(self.wakes.clone());
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    fn woken(&self) -> bool {
        self.wakes.0.load(SeqCst) > 0
    }
}

/// Polls `task` with the cooperative budget spent.
fn poll_without_budget<F: Future>(task: &mut Task<F>) -> Poll<F::Output> {
    coop::budget(|| {
        let noop = futures::task::noop_waker();
        let mut cx = Context::from_waker(&noop);
        while let Poll::Ready(guard) = coop::poll_proceed(&mut cx) {
            guard.made_progress();
        }
        task.poll()
    })
}

#[test]
fn a_waiter_for_many_collects_permits_and_blocks_those_behind_it() {
    let sem = Semaphore::new(1);
    let mut big = Task::new(sem.acquire_many(3));
    let mut small = Task::new(sem.acquire());
    assert!(big.poll().is_pending(), "one of three");
    assert!(small.poll().is_pending(), "queued behind the big one");
    assert_eq!(
        sem.available_permits(),
        0,
        "the big waiter holds the one there was"
    );
    sem.add_permits(1);
    assert!(!big.woken() && !small.woken());
    assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::NoPermits));
    sem.add_permits(2);
    assert!(
        big.woken() && small.woken(),
        "one permit was left for the next"
    );
    let permit = match big.poll() {
        Poll::Ready(Ok(permit)) => permit,
        other => panic!("{other:?}"),
    };
    assert_eq!(permit.num_permits(), 3);
    assert!(matches!(small.poll(), Poll::Ready(Ok(_))));
}

#[test]
fn a_cancelled_waiter_gives_its_share_to_the_next() {
    let sem = Semaphore::new(2);
    let mut big = Task::new(sem.acquire_many(4));
    let mut next = Task::new(sem.acquire_many(2));
    assert!(big.poll().is_pending());
    assert!(next.poll().is_pending());
    drop(big);
    assert!(next.woken());
    assert_eq!(sem.available_permits(), 0, "both went to the next waiter");
    assert!(matches!(next.poll(), Poll::Ready(Ok(_))));
}

#[test]
fn a_served_waiter_dropped_before_its_poll_passes_the_permits_on() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut served = Task::new(sem.acquire());
    let mut next = Task::new(sem.acquire());
    assert!(served.poll().is_pending());
    assert!(next.poll().is_pending());
    drop(held);
    assert!(served.woken() && !next.woken());
    drop(served);
    assert!(next.woken());
    assert!(matches!(next.poll(), Poll::Ready(Ok(_))));
}

#[test]
fn a_waiter_in_the_middle_leaves_without_disturbing_the_queue() {
    let sem = Semaphore::new(0);
    let mut first = Task::new(sem.acquire());
    let mut middle = Task::new(sem.acquire());
    let mut last = Task::new(sem.acquire());
    for task in [&mut first, &mut middle, &mut last] {
        assert!(task.poll().is_pending());
    }
    drop(middle);
    sem.add_permits(1);
    assert!(first.woken() && !last.woken());
    sem.add_permits(1);
    assert!(last.woken());
    assert!(matches!(first.poll(), Poll::Ready(Ok(_))));
    assert!(matches!(last.poll(), Poll::Ready(Ok(_))));
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn close_fails_waiters_and_they_give_back_what_they_collected() {
    let sem = Semaphore::new(1);
    let mut waiter = Task::new(sem.acquire_many(2));
    assert!(waiter.poll().is_pending());
    sem.close();
    assert!(waiter.woken());
    assert_eq!(
        sem.available_permits(),
        0,
        "the waiter holds its share until it leaves"
    );
    assert!(matches!(waiter.poll(), Poll::Ready(Err(AcquireError(())))));
    assert_eq!(sem.available_permits(), 1, "the waiter's share is back");
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::Closed));
}

#[test]
fn a_waiter_served_before_close_fails_and_gives_its_permits_back() {
    let sem = Semaphore::new(0);
    let mut waiter = Task::new(sem.acquire());
    assert!(waiter.poll().is_pending());
    sem.add_permits(1);
    sem.close();
    assert!(matches!(waiter.poll(), Poll::Ready(Err(_))));
    assert_eq!(sem.available_permits(), 1);
}

/// With its budget spent, an acquirer still takes its place (and permits), then yields.
#[test]
fn a_spent_budget_keeps_the_place_in_the_queue() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut first = Task::new(sem.acquire());
    let mut second = Task::new(sem.acquire());
    assert!(poll_without_budget(&mut first).is_pending());
    assert!(!first.woken(), "queued, not yielded");
    assert!(second.poll().is_pending());
    drop(held);
    assert!(first.woken() && !second.woken());
    // Served, but no budget: it yields (woken again at once) holding the permit...
    assert!(poll_without_budget(&mut first).is_pending());
    assert_eq!(first.wakes.0.load(SeqCst), 2);
    assert!(!second.woken());
    // ...which goes to the next in line if it is dropped meanwhile.
    drop(first);
    assert!(second.woken());
    assert!(matches!(second.poll(), Poll::Ready(Ok(_))));
}

#[test]
fn an_uncontended_acquire_spends_one_unit_of_budget() {
    let sem = Semaphore::new(1);
    let mut acquire = Task::new(sem.acquire());
    assert!(poll_without_budget(&mut acquire).is_pending());
    assert!(acquire.woken(), "yielded to the scheduler");
    assert_eq!(sem.available_permits(), 0, "holding the permit meanwhile");
    drop(acquire);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn messages_are_tokios() {
    assert_eq!(AcquireError(()).to_string(), "semaphore closed");
    assert_eq!(TryAcquireError::Closed.to_string(), "semaphore closed");
    assert_eq!(
        TryAcquireError::NoPermits.to_string(),
        "no permits available"
    );
}

#[test]
fn bounds() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn unpin<T: Unpin>() {}
    unpin::<Semaphore>();
    unpin::<crate::sync::SemaphorePermit<'_>>();
    let sem = Arc::new(Semaphore::new(0));
    send_sync(&sem.acquire());
    send_sync(&sem.clone().acquire_owned());
    send_sync(&sem.try_acquire_many(0).unwrap());
}

#[test]
#[should_panic(expected = "Cannot block the current thread from within a runtime")]
fn blocking_acquire_inside_a_runtime_panics() {
    crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let _ = Semaphore::new(1).blocking_acquire();
        });
}

/// Tokio checks this on 32-bit targets only (where a `u32` count can exceed the maximum); the
/// batch semaphore under `Mutex` and `RwLock` takes a `usize`, so check it here.
#[test]
#[should_panic(expected = "a semaphore may not have more than MAX_PERMITS permits")]
fn asking_for_more_than_max_permits_panics() {
    let sem = super::super::BatchSemaphore::new(0);
    drop(sem.acquire(Semaphore::MAX_PERMITS + 1));
}
