//! `LocalSet` and `spawn_local`: `!Send` tasks run on the thread that drives the set, woken from
//! any thread; abort, panics, cancellation on drop (futures dropped on the owner thread), the
//! panic outside a set, and fairness of a tick.

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use support::panic_message;
use tandem::runtime::{Builder, Runtime};
use tandem::sync::oneshot;
use tandem::task::{self, LocalSet};

fn current_rt() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_rt() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Records the thread its destructor runs on; `!Send` through the `Rc`.
struct DropGuard {
    dropped_on: Rc<RefCell<Option<ThreadId>>>,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        *self.dropped_on.borrow_mut() = Some(std::thread::current().id());
    }
}

#[test]
fn spawn_local_rc_futures_with_run_until() {
    for rt in [current_rt(), multi_rt()] {
        let local = LocalSet::new();
        let counter = Rc::new(Cell::new(0));
        let out = rt.block_on(local.run_until({
            let counter = counter.clone();
            async move {
                let mut handles = Vec::new();
                for i in 0..10 {
                    let counter = counter.clone();
                    handles.push(task::spawn_local(async move {
                        task::yield_now().await;
                        counter.set(counter.get() + 1);
                        Rc::new(i)
                    }));
                }
                let mut sum = 0;
                for h in handles {
                    sum += *h.await.unwrap();
                }
                sum
            }
        }));
        assert_eq!(out, 45);
        assert_eq!(counter.get(), 10);
    }
}

#[test]
fn block_on_and_spawn_local_method() {
    let rt = current_rt();
    let local = LocalSet::new();
    let rc = Rc::new(5);
    let handle = local.spawn_local({
        let rc = rc.clone();
        async move { *rc + 1 }
    });
    assert_eq!(local.block_on(&rt, handle).unwrap(), 6);
}

#[test]
fn local_set_is_a_future_until_all_tasks_complete() {
    let rt = current_rt();
    let local = LocalSet::new();
    let done = Rc::new(Cell::new(0));
    for _ in 0..5 {
        let done = done.clone();
        local.spawn_local(async move {
            tandem::time::sleep(Duration::from_millis(5)).await;
            done.set(done.get() + 1);
        });
    }
    rt.block_on(local);
    assert_eq!(done.get(), 5);
}

#[test]
fn nested_spawn_local_from_a_local_task() {
    let rt = current_rt();
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        task::spawn_local(async {
            let inner = task::spawn_local(async { Rc::new("inner") });
            *inner.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(out, "inner");
}

#[test]
fn woken_from_a_std_thread() {
    for rt in [current_rt(), multi_rt()] {
        let local = LocalSet::new();
        let (tx, rx) = oneshot::channel::<u32>();
        let owner = std::thread::current().id();
        let out = local.block_on(&rt, async move {
            let handle = task::spawn_local(async move {
                let marker = Rc::new(());
                let v = rx.await.unwrap();
                assert_eq!(std::thread::current().id(), owner);
                drop(marker);
                v
            });
            let th = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.send(9).unwrap();
            });
            let v = handle.await.unwrap();
            th.join().unwrap();
            v
        });
        assert_eq!(out, 9);
    }
}

#[test]
fn woken_from_a_spawned_send_task() {
    let rt = multi_rt();
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        let (tx, rx) = oneshot::channel();
        let local_task = task::spawn_local(async move {
            let rc = Rc::new(rx.await.unwrap());
            *rc * 2
        });
        tandem::spawn(async move {
            tandem::time::sleep(Duration::from_millis(10)).await;
            tx.send(21).unwrap();
        });
        local_task.await.unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn send_spawn_and_task_id_inside_a_local_task() {
    let rt = multi_rt();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let handle = task::spawn_local(async {
            let id = task::id();
            let inner = tandem::spawn(async { task::id() }).await.unwrap();
            assert_ne!(id, inner);
            id
        });
        let expected = handle.id();
        assert_eq!(handle.await.unwrap(), expected);
    });
}

#[test]
fn abort_a_local_task() {
    let rt = current_rt();
    let local = LocalSet::new();
    let dropped_on = Rc::new(RefCell::new(None));
    local.block_on(&rt, {
        let dropped_on = dropped_on.clone();
        async move {
            let guard = DropGuard { dropped_on };
            let handle = task::spawn_local(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            task::yield_now().await;
            handle.abort();
            let err = handle.await.unwrap_err();
            assert!(err.is_cancelled());
        }
    });
    assert_eq!(*dropped_on.borrow(), Some(std::thread::current().id()));
}

#[test]
fn abort_from_another_thread() {
    let rt = current_rt();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let handle = task::spawn_local(async {
            let _rc = Rc::new(());
            std::future::pending::<()>().await
        });
        let abort = handle.abort_handle();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn drop_cancels_tasks_and_drops_futures_on_the_owner_thread() {
    let rt = multi_rt();
    let local = LocalSet::new();
    let dropped_on = Rc::new(RefCell::new(None));
    let (tx, rx) = oneshot::channel::<()>();
    let handle = local.spawn_local({
        let guard = DropGuard {
            dropped_on: dropped_on.clone(),
        };
        async move {
            let _guard = guard;
            let _ = rx.await;
        }
    });
    // Run it once so the future is pinned and waiting.
    local.block_on(&rt, task::yield_now());
    // A remote wake-up racing the drop must not run or drop the future on the waking thread.
    let th = std::thread::spawn(move || {
        let _ = tx.send(());
    });
    drop(local);
    th.join().unwrap();
    assert_eq!(*dropped_on.borrow(), Some(std::thread::current().id()));
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn panic_in_a_local_task_is_a_join_error() {
    let rt = current_rt();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let handle = task::spawn_local(async {
            let _rc = Rc::new(());
            panic!("local boom");
        });
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(&*err.into_panic()), "local boom");
    });
}

#[test]
fn spawn_local_outside_a_local_set_panics() {
    let rt = current_rt();
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            task::spawn_local(async {});
        })
    }))
    .unwrap_err();
    assert_eq!(
        panic_message(&*payload),
        "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`"
    );
}

#[test]
fn enter_guard_spawns_onto_the_set() {
    let rt = current_rt();
    let local = LocalSet::new();
    let handle = {
        let _guard = local.enter();
        task::spawn_local(async { Rc::new(3) })
    };
    assert_eq!(*local.block_on(&rt, handle).unwrap(), 3);
}

#[test]
fn a_tick_is_bounded_and_the_run_until_future_progresses() {
    // A local task that wakes itself forever must not starve the `run_until` future.
    let rt = current_rt();
    let local = LocalSet::new();
    let polls = Rc::new(Cell::new(0u64));
    local.spawn_local({
        let polls = polls.clone();
        async move {
            loop {
                polls.set(polls.get() + 1);
                task::yield_now().await;
            }
        }
    });
    local.block_on(&rt, async {
        for _ in 0..100 {
            task::yield_now().await;
        }
    });
    assert!(polls.get() > 0);
}

#[test]
fn many_remote_wakeups_all_arrive() {
    let rt = multi_rt();
    let local = LocalSet::new();
    let n = 200;
    let done = Arc::new(AtomicUsize::new(0));
    local.block_on(&rt, async {
        let mut handles = Vec::new();
        let mut senders = Vec::new();
        for _ in 0..n {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            let done = done.clone();
            handles.push(task::spawn_local(async move {
                let _rc = Rc::new(());
                rx.await.unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            }));
        }
        task::yield_now().await;
        let th = std::thread::spawn(move || {
            for tx in senders {
                tx.send(()).unwrap();
            }
        });
        for h in handles {
            h.await.unwrap();
        }
        th.join().unwrap();
    });
    assert_eq!(done.load(Ordering::SeqCst), n);
}
