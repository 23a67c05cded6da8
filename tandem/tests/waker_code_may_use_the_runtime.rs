//! A waker's own code (its `clone`, `wake`, `drop`) may use the runtime's shared structures:
//! none of them runs it under a lock or borrow that the same code could need. Before the
//! fixes:
//! - registering a timer cloned the polling task's waker under the shard lock of the thread
//!   (which every timer of that thread uses), and polling a signal stream under the lock of that
//!   signal's listeners: a waker whose `clone` polled or dropped a timer, or polled a stream of
//!   the same signal, deadlocked its thread;
//! - a yield with a waker that is not a task's cloned it under the worker's `RefCell` of
//!   deferred wakers: a waker whose `clone` yielded too panicked the runtime;
//! - a `LocalSet` cloned its poller's waker, and dropped the one it replaced, under the lock its
//!   tasks' wake-ups from other threads take; a `JoinSet` cloned its poller's waker under the
//!   lock its members' wake-ups take: a waker whose code woke such a task deadlocked its thread.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;
use tandem::signal::unix::{signal, SignalKind};

type Action = RefCell<Option<Box<dyn FnOnce()>>>;

thread_local! {
    /// What the next clone of a `TOUCHING` waker does, once...
    static ON_CLONE: Action = const { RefCell::new(None) };
    /// ...and the next drop of one.
    static ON_DROP: Action = const { RefCell::new(None) };
}

/// Runs the action in `cell`, if any. Taken out first: the action may clone or drop wakers.
fn run(cell: &'static std::thread::LocalKey<Action>) {
    if let Some(action) = cell.with(|cell| cell.borrow_mut().take()) {
        action();
    }
}

fn clone(data: *const ()) -> RawWaker {
    run(&ON_CLONE);
    RawWaker::new(data, &TOUCHING)
}

fn noop(_: *const ()) {}

fn drop_waker(_: *const ()) {
    run(&ON_DROP);
}

/// A waker whose `clone` runs `ON_CLONE`'s action, and whose `drop` runs `ON_DROP`'s.
static TOUCHING: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, drop_waker);

fn set(cell: &'static std::thread::LocalKey<Action>, action: impl FnOnce() + 'static) {
    cell.with(|cell| *cell.borrow_mut() = Some(Box::new(action)));
}

fn has_run(cell: &'static std::thread::LocalKey<Action>) -> bool {
    cell.with(|cell| cell.borrow().is_none())
}

fn touching_waker() -> Waker {
    // SAFETY: `TOUCHING`'s functions ignore the data pointer and manage no resource, so any
    // pointer upholds the `RawWaker` contract.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &TOUCHING)) }
}

/// Polls `future` with `waker`; it must be pending.
fn pending_with<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) {
    assert!(future.poll(&mut Context::from_waker(waker)).is_pending());
}

/// Runs `body` on a thread of its own, failing (not hanging) if it does not end.
fn on_own_thread(body: impl FnOnce() + Send + 'static) {
    hang_guard::within(
        Duration::from_secs(20),
        "a waker's code under a lock it needs",
        body,
    );
}

/// Runs `body` in a current-thread runtime on a thread of its own, as `on_own_thread`.
fn on_own_runtime(body: impl FnOnce() + Send + 'static) {
    on_own_thread(|| {
        let rt = tandem::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { body() });
    });
}

/// Polls a 60 s sleep with a waker whose clone runs `action`; checks the clone ran it.
fn register_a_sleep_with_a_clone_that(action: impl FnOnce() + 'static) {
    set(&ON_CLONE, action);
    let mut sleep = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
    pending_with(sleep.as_mut(), &touching_waker());
    assert!(has_run(&ON_CLONE), "no clone was made");
}

#[test]
fn a_waker_whose_clone_registers_a_timer() {
    on_own_runtime(|| {
        let mut other = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
        register_a_sleep_with_a_clone_that(move || pending_with(other.as_mut(), Waker::noop()));
    });
}

#[test]
fn a_waker_whose_clone_cancels_a_timer() {
    on_own_runtime(|| {
        let mut other = Box::pin(tandem::time::sleep(Duration::from_secs(60)));
        // Registered now, so the clone has an entry to take out of the same shard.
        pending_with(other.as_mut(), Waker::noop());
        register_a_sleep_with_a_clone_that(move || drop(other));
    });
}

#[test]
fn a_waker_whose_clone_polls_a_stream_of_the_same_signal() {
    on_own_runtime(|| {
        let kind = SignalKind::user_defined2();
        let mut stream = signal(kind).unwrap();
        let mut other = signal(kind).unwrap();
        set(&ON_CLONE, move || {
            let mut cx = Context::from_waker(Waker::noop());
            assert!(other.poll_recv(&mut cx).is_pending());
        });
        let polled = stream.poll_recv(&mut Context::from_waker(&touching_waker()));
        assert!(polled.is_pending());
        assert!(has_run(&ON_CLONE), "no clone was made");
    });
}

#[test]
fn a_waker_whose_clone_yields() {
    for multi_thread in [false, true] {
        let mut builder = if multi_thread {
            tandem::runtime::Builder::new_multi_thread()
        } else {
            tandem::runtime::Builder::new_current_thread()
        };
        let rt = builder.build().unwrap();
        let task = async {
            // Another yield with a waker that is not a task's: it is deferred too.
            set(&ON_CLONE, || {
                pending_with(std::pin::pin!(tandem::task::yield_now()), Waker::noop())
            });
            // Not the task's own waker: the runtime keeps a clone until it has run the others.
            pending_with(std::pin::pin!(tandem::task::yield_now()), &touching_waker());
            assert!(has_run(&ON_CLONE), "no clone was made");
        };
        rt.block_on(async { tandem::spawn(task).await }).unwrap();
    }
}

/// A `LocalSet` with a task parked, whose waker comes back, and a `run_until` of the set that
/// was polled once, with `first` (the task has run).
fn a_set_with_a_parked_task<'a>(
    set: &'a tandem::task::LocalSet,
    first: &Waker,
) -> (Pin<Box<impl Future<Output = ()> + 'a>>, Waker) {
    let published: Rc<RefCell<Option<Waker>>> = Rc::default();
    let publish = published.clone();
    set.spawn_local(std::future::poll_fn(move |cx| {
        *publish.borrow_mut() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    let mut run = Box::pin(set.run_until(std::future::pending::<()>()));
    pending_with(run.as_mut(), first);
    let task = published.borrow_mut().take().expect("the task ran");
    (run, task)
}

/// Wakes `task` as a waker's code away from its set would: with another set entered.
fn wake_from_another_set(task: Waker) -> impl FnOnce() {
    move || {
        let other = tandem::task::LocalSet::new();
        let _entered = other.enter();
        task.wake();
    }
}

#[test]
fn a_waker_whose_clone_wakes_a_task_of_the_local_set_it_polls() {
    on_own_thread(|| {
        let local_set = tandem::task::LocalSet::new();
        let (mut run, task) = a_set_with_a_parked_task(&local_set, Waker::noop());
        set(&ON_CLONE, wake_from_another_set(task));
        // Another waker than the first poll's: the set registers a clone of it.
        pending_with(run.as_mut(), &touching_waker());
        assert!(has_run(&ON_CLONE), "no clone was made");
    });
}

#[test]
fn a_replaced_waker_whose_drop_wakes_a_task_of_the_local_set() {
    on_own_thread(|| {
        let local_set = tandem::task::LocalSet::new();
        let (mut run, task) = a_set_with_a_parked_task(&local_set, &touching_waker());
        set(&ON_DROP, wake_from_another_set(task));
        // A new waker: the set drops the `TOUCHING` clone it held.
        pending_with(run.as_mut(), Waker::noop());
        assert!(has_run(&ON_DROP), "the registered waker was not dropped");
    });
}

#[test]
fn a_waker_whose_clone_completes_a_member_of_the_join_set_it_polls() {
    on_own_thread(|| {
        let members = Arc::new(
            tandem::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
        );
        let mut join_set = tandem::task::JoinSet::new();
        join_set.spawn_on(async { 1 }, members.handle());
        let mut next = Box::pin(join_set.join_next());
        // Nobody drives `members` yet: the member has not run.
        pending_with(next.as_mut(), Waker::noop());
        set(&ON_CLONE, move || {
            // The member runs to completion, and its wake-up reaches the set.
            std::thread::scope(|s| {
                s.spawn(|| members.block_on(tandem::task::yield_now()));
            });
        });
        let polled = next
            .as_mut()
            .poll(&mut Context::from_waker(&touching_waker()));
        assert!(has_run(&ON_CLONE), "no clone was made");
        assert!(matches!(polled, Poll::Ready(Some(Ok(1)))), "{polled:?}");
    });
}
