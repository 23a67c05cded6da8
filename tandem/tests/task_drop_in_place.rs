//! A task's future is dropped where it was polled: it never moves between its first poll and
//! its destructor (`Pin`'s drop guarantee), however the task ends.
//!
//! Proves, on every flavour (current-thread, multi-thread with 1, 2, 8 workers):
//!   * a future that records its own address at its first poll finds the same address in its
//!     destructor when its task is aborted while pending, when its `JoinSet` is dropped, and
//!     when the runtime is shut down with the task pending (`address_*` tests; before the fix
//!     the harness moved the future out of the task's cell onto the stack and dropped it there,
//!     which these tests catch deterministically, without a sanitizer);
//!   * a destructor that panics still drops the rest of the future exactly once, and the task
//!     ends with that panic (the slot is left empty, never dropped twice);
//!   * the scenario of issue 10: futures that link their own address into an intrusive waiter
//!     list (`tandem::sync::Mutex::lock`, `Semaphore::acquire`, `Notify::notified`) are
//!     aborted, or dropped by a runtime shutdown, while queued; the primitive is then released
//!     and used again. With a moved future the waiter list kept a pointer into the freed task
//!     (a use-after-free: valgrind and AddressSanitizer report it; in debug builds Tokio's list
//!     `debug_assert`s also turn some of those drops into task panics, so the aborted tasks
//!     did not end cancelled).
//!
//! `TANDEM_WAITER_ROUNDS` (default 50) sets how many times each waiter scenario repeats per
//! flavour; `scripts/asan.sh` and valgrind runs lower it.

mod support;

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use support::{each_flavor, flavors, silence_expected_panics, wait_until_async, EXPECTED_PANIC};
use tandem::sync::{Mutex, Notify, Semaphore};
use tandem::task::{JoinHandle, JoinSet};

/// Pending tasks per scenario.
const TASKS: usize = 64;

/// Waiters queued on a primitive per round.
const WAITERS: usize = 24;

/// A hang detector, never the thing under test.
const PATIENCE: Duration = Duration::from_secs(30);

fn rounds() -> usize {
    std::env::var("TANDEM_WAITER_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .max(1)
}

/// What the `AddressCheck` futures of one scenario saw.
#[derive(Default)]
struct Seen {
    polled: AtomicUsize,
    dropped: AtomicUsize,
    /// Destructors that ran at another address than the first poll.
    moved: AtomicUsize,
}

/// Pending forever; remembers where it was first polled and checks, when dropped, that it is
/// still there.
struct AddressCheck {
    /// 0 until the first poll.
    polled_at: Cell<usize>,
    seen: Arc<Seen>,
    _pinned: PhantomPinned,
}

impl AddressCheck {
    fn new(seen: &Arc<Seen>) -> AddressCheck {
        AddressCheck {
            polled_at: Cell::new(0),
            seen: Arc::clone(seen),
            _pinned: PhantomPinned,
        }
    }

    fn address(&self) -> usize {
        self as *const AddressCheck as usize
    }
}

impl Future for AddressCheck {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let me = self.as_ref().get_ref();
        if me.polled_at.get() == 0 {
            me.polled_at.set(me.address());
            me.seen.polled.fetch_add(1, SeqCst);
        }
        Poll::Pending
    }
}

impl Drop for AddressCheck {
    fn drop(&mut self) {
        let polled_at = self.polled_at.get();
        let here = self.address();
        self.seen.dropped.fetch_add(1, SeqCst);
        if polled_at != 0 && polled_at != here {
            // Counted as well as asserted: a runtime shutdown swallows the panic.
            self.seen.moved.fetch_add(1, SeqCst);
            panic!("a pinned future moved: first polled at {polled_at:#x}, dropped at {here:#x}");
        }
    }
}

/// Waits (driving the runtime) until every `AddressCheck` of `seen` has been polled.
async fn all_polled(seen: &Seen, n: usize) {
    assert!(
        wait_until_async(PATIENCE, || seen.polled.load(SeqCst) == n).await,
        "only {} of {n} tasks were polled",
        seen.polled.load(SeqCst)
    );
}

fn assert_dropped_in_place(seen: &Seen, n: usize) {
    assert_eq!(
        seen.moved.load(SeqCst),
        0,
        "futures dropped at another address than they were polled at"
    );
    assert_eq!(seen.dropped.load(SeqCst), n, "futures dropped");
}

#[test]
fn address_unchanged_when_aborted_while_pending() {
    each_flavor(|_flavor, rt| {
        let seen = Arc::new(Seen::default());
        let handles: Vec<JoinHandle<()>> = (0..TASKS)
            .map(|_| rt.spawn(AddressCheck::new(&seen)))
            .collect();
        rt.block_on(async {
            all_polled(&seen, TASKS).await;
            for handle in &handles {
                handle.abort();
            }
            for handle in handles {
                let err = handle.await.expect_err("an aborted task cannot finish");
                assert!(
                    err.is_cancelled(),
                    "aborted task ended with {err:?}, not cancelled"
                );
            }
        });
        assert_dropped_in_place(&seen, TASKS);
    });
}

#[test]
fn address_unchanged_when_join_set_dropped() {
    each_flavor(|_flavor, rt| {
        let seen = Arc::new(Seen::default());
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..TASKS {
                set.spawn(AddressCheck::new(&seen));
            }
            all_polled(&seen, TASKS).await;
            drop(set);
            let done = wait_until_async(PATIENCE, || seen.dropped.load(SeqCst) == TASKS).await;
            assert!(done, "dropping the JoinSet did not drop every task");
        });
        assert_dropped_in_place(&seen, TASKS);
    });
}

#[test]
fn address_unchanged_when_runtime_shut_down() {
    each_flavor(|_flavor, rt| {
        let seen = Arc::new(Seen::default());
        for _ in 0..TASKS {
            drop(rt.spawn(AddressCheck::new(&seen)));
        }
        rt.block_on(all_polled(&seen, TASKS));
        drop(rt);
        assert_dropped_in_place(&seen, TASKS);
    });
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Panics in its destructor, after which its `rest` is still dropped (by the drop glue).
struct PanicOnDrop {
    _rest: DropCount,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{EXPECTED_PANIC} destructor of an aborted task");
    }
}

#[test]
fn panicking_destructor_drops_the_rest_once() {
    silence_expected_panics();
    each_flavor(|_flavor, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicUsize::new(0));
        let handles: Vec<JoinHandle<()>> = (0..TASKS)
            .map(|_| {
                let guard = PanicOnDrop {
                    _rest: DropCount(Arc::clone(&drops)),
                };
                let polled = Arc::clone(&polled);
                rt.spawn(async move {
                    let _guard = guard;
                    polled.fetch_add(1, SeqCst);
                    std::future::pending::<()>().await;
                })
            })
            .collect();
        rt.block_on(async {
            let ready = wait_until_async(PATIENCE, || polled.load(SeqCst) == TASKS).await;
            assert!(ready, "tasks never reached their pending point");
            for handle in &handles {
                handle.abort();
            }
            for handle in handles {
                let err = handle.await.expect_err("an aborted task cannot finish");
                assert!(
                    err.is_panic(),
                    "the destructor's panic is the task's: {err:?}"
                );
            }
        });
        assert_eq!(
            drops.load(SeqCst),
            TASKS,
            "the rest of each future dropped once"
        );
        drop(rt);
        assert_eq!(
            drops.load(SeqCst),
            TASKS,
            "nothing dropped twice at shutdown"
        );
    });
}

/// One of the primitives whose waiters are intrusive list nodes inside the waiting future.
#[derive(Clone, Copy, Debug)]
enum Primitive {
    Mutex,
    Semaphore,
    Notify,
}

/// A primitive held so that every waiter queues, and released by `release`.
struct Held {
    mutex: Arc<Mutex<usize>>,
    guard: Option<tandem::sync::OwnedMutexGuard<usize>>,
    semaphore: Arc<Semaphore>,
    notify: Arc<Notify>,
}

impl Held {
    fn new() -> Held {
        let mutex = Arc::new(Mutex::new(0));
        let guard = Some(
            Arc::clone(&mutex)
                .try_lock_owned()
                .expect("a new mutex is free"),
        );
        Held {
            mutex,
            guard,
            semaphore: Arc::new(Semaphore::new(0)),
            notify: Arc::new(Notify::new()),
        }
    }

    /// A task body that queues on `primitive`, counting itself in `queued` first (the count and
    /// the queueing happen in the same poll), and that finishes once the primitive lets it pass.
    fn waiter(&self, primitive: Primitive, queued: &Arc<AtomicUsize>) -> impl Future<Output = ()> {
        let queued = Arc::clone(queued);
        let mutex = Arc::clone(&self.mutex);
        let semaphore = Arc::clone(&self.semaphore);
        let notify = Arc::clone(&self.notify);
        async move {
            match primitive {
                Primitive::Mutex => {
                    let lock = mutex.lock();
                    queued.fetch_add(1, SeqCst);
                    *lock.await += 1;
                }
                Primitive::Semaphore => {
                    let acquire = semaphore.acquire_many(2);
                    queued.fetch_add(1, SeqCst);
                    acquire.await.expect("never closed").forget();
                }
                Primitive::Notify => {
                    // Enlisted before it is counted: `notify_one` with nobody on the list keeps
                    // one permit, not one per call, so a waiter counted before it is on the list
                    // could miss its notification (a hang seen once in 8-worker runs).
                    let mut notified = std::pin::pin!(notify.notified());
                    notified.as_mut().enable();
                    queued.fetch_add(1, SeqCst);
                    notified.await;
                }
            }
        }
    }

    /// Lets `n` queued waiters of `primitive` through, walking its waiter list.
    fn release(&mut self, primitive: Primitive, n: usize) {
        match primitive {
            Primitive::Mutex => drop(self.guard.take()),
            Primitive::Semaphore => self.semaphore.add_permits(2 * n),
            // Wakes every waiter queued now: the whole list is walked.
            Primitive::Notify => self.notify.notify_waiters(),
        }
    }

    /// Uses `primitive` again, after a release, with `WAITERS` new waiters contending.
    async fn use_again(&self, primitive: Primitive) {
        let queued = Arc::new(AtomicUsize::new(0));
        match primitive {
            Primitive::Mutex => {
                let before = *self.mutex.lock().await;
                let handles: Vec<_> = (0..WAITERS)
                    .map(|_| tandem::spawn(self.waiter(primitive, &queued)))
                    .collect();
                for handle in handles {
                    handle.await.expect("a waiter of a free mutex finishes");
                }
                assert_eq!(*self.mutex.lock().await, before + WAITERS);
            }
            Primitive::Semaphore => {
                let before = self.semaphore.available_permits();
                let handles: Vec<_> = (0..WAITERS)
                    .map(|_| tandem::spawn(self.waiter(primitive, &queued)))
                    .collect();
                self.semaphore.add_permits(2 * WAITERS);
                for handle in handles {
                    handle
                        .await
                        .expect("a waiter of a refilled semaphore finishes");
                }
                assert_eq!(self.semaphore.available_permits(), before);
            }
            Primitive::Notify => {
                let handles: Vec<_> = (0..WAITERS)
                    .map(|_| tandem::spawn(self.waiter(primitive, &queued)))
                    .collect();
                let all = wait_until_async(PATIENCE, || queued.load(SeqCst) == WAITERS).await;
                assert!(all, "new waiters never queued");
                // One waiter per call, each taken off the list.
                for _ in 0..WAITERS {
                    self.notify.notify_one();
                }
                for handle in handles {
                    handle.await.expect("a notified waiter finishes");
                }
            }
        }
    }
}

/// Waiters abort while queued (all but every third, so the list loses nodes at its head, middle
/// and tail), then the primitive is released: the survivors pass, and it works again.
fn aborted_waiters_leave_the_list(primitive: Primitive) {
    each_flavor(|flavor, rt| {
        for round in 0..rounds() {
            let what = format!("[{}] {primitive:?}, round {round}", flavor.name);
            rt.block_on(async {
                let mut held = Held::new();
                let queued = Arc::new(AtomicUsize::new(0));
                let handles: Vec<JoinHandle<()>> = (0..WAITERS)
                    .map(|_| tandem::spawn(held.waiter(primitive, &queued)))
                    .collect();
                let all = wait_until_async(PATIENCE, || queued.load(SeqCst) == WAITERS).await;
                assert!(all, "{what}: waiters never queued");
                let mut survivors = Vec::new();
                let mut aborted = Vec::new();
                for (i, handle) in handles.into_iter().enumerate() {
                    if i % 3 == 0 {
                        survivors.push(handle);
                    } else {
                        handle.abort();
                        aborted.push(handle);
                    }
                }
                for handle in aborted {
                    let err = handle.await.expect_err("aborted while queued");
                    assert!(err.is_cancelled(), "{what}: aborted waiter ended {err:?}");
                }
                held.release(primitive, survivors.len());
                for handle in survivors {
                    handle
                        .await
                        .unwrap_or_else(|e| panic!("{what}: survivor failed: {e:?}"));
                }
                if let Primitive::Mutex = primitive {
                    assert_eq!(*held.mutex.lock().await, WAITERS.div_ceil(3));
                }
                held.use_again(primitive).await;
            });
        }
    });
}

/// Waiters are queued when their runtime shuts down (the shutdown drops them), then the
/// primitive is released and used again on a new runtime of the same flavour.
fn waiters_dropped_by_shutdown_leave_the_list(primitive: Primitive) {
    for flavor in flavors() {
        support::run_flavor(flavor, |flavor| {
            for round in 0..rounds() {
                let what = format!("[{}] {primitive:?}, round {round}", flavor.name);
                let mut held = Held::new();
                let rt = flavor.build();
                let queued = Arc::new(AtomicUsize::new(0));
                for _ in 0..WAITERS {
                    drop(rt.spawn(held.waiter(primitive, &queued)));
                }
                let all = rt.block_on(wait_until_async(PATIENCE, || {
                    queued.load(SeqCst) == WAITERS
                }));
                assert!(all, "{what}: waiters never queued");
                drop(rt);
                held.release(primitive, WAITERS);
                let rt = flavor.build();
                rt.block_on(held.use_again(primitive));
            }
        });
    }
}

#[test]
fn mutex_waiters_aborted() {
    aborted_waiters_leave_the_list(Primitive::Mutex);
}

#[test]
fn semaphore_waiters_aborted() {
    aborted_waiters_leave_the_list(Primitive::Semaphore);
}

#[test]
fn notify_waiters_aborted() {
    aborted_waiters_leave_the_list(Primitive::Notify);
}

#[test]
fn mutex_waiters_dropped_by_shutdown() {
    waiters_dropped_by_shutdown_leave_the_list(Primitive::Mutex);
}

#[test]
fn semaphore_waiters_dropped_by_shutdown() {
    waiters_dropped_by_shutdown_leave_the_list(Primitive::Semaphore);
}

#[test]
fn notify_waiters_dropped_by_shutdown() {
    waiters_dropped_by_shutdown_leave_the_list(Primitive::Notify);
}
