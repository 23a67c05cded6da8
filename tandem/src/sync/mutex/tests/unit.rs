//! The mutex's behaviour, polled by hand (no runtime): guards and their maps, FIFO hand-over
//! with a spent cooperative budget, formatting.

use crate::rt::coop;
use crate::sync::{MappedMutexGuard, Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
use futures::task::{noop_waker, waker, ArcWake};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

#[derive(Default)]
struct Count(AtomicUsize);

impl ArcWake for Count {
    fn wake_by_ref(me: &Arc<Self>) {
        me.0.fetch_add(1, SeqCst);
    }
}

/// Spends the whole cooperative budget of the current poll.
fn spend_budget() {
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    while let Poll::Ready(guard) = coop::poll_proceed(&mut cx) {
        guard.made_progress();
    }
}

#[test]
fn a_mapped_guard_keeps_the_lock_until_dropped() {
    let mutex = Mutex::new((1, String::from("a")));
    let mut mapped = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    mapped.push('b');
    assert!(mutex.try_lock().is_err());
    let mapped = MappedMutexGuard::map(mapped, |s| &mut s[1..]);
    assert_eq!(&*mapped, "b");
    drop(mapped);
    assert_eq!(mutex.try_lock().unwrap().1, "ab");
}

#[test]
fn a_failed_try_map_gives_the_guard_back() {
    let mutex = Arc::new(Mutex::new(vec![1]));
    let guard = mutex.clone().try_lock_owned().unwrap();
    let guard = OwnedMutexGuard::try_map(guard, |v| v.get_mut(5)).unwrap_err();
    assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&guard), &mutex));
    let mut mapped = OwnedMutexGuard::try_map(guard, |v| v.get_mut(0)).unwrap();
    *mapped = 7;
    assert!(mutex.try_lock().is_err());
    drop(mapped);
    assert_eq!(*mutex.try_lock().unwrap(), vec![7]);
}

/// A task whose budget is spent keeps its place: it is the one the lock goes to.
#[test]
fn the_lock_goes_in_order_even_with_a_spent_budget() {
    let mutex = Mutex::new(());
    let held = mutex.try_lock().unwrap();
    let (first_wakes, second_wakes) = (Arc::new(Count::default()), Arc::new(Count::default()));
    let (first_waker, second_waker) = (waker(first_wakes.clone()), waker(second_wakes.clone()));
    let mut first = pin!(mutex.lock());
    let mut second = pin!(mutex.lock());
    coop::budget(|| {
        spend_budget();
        assert!(first
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending());
    });
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    drop(held);
    assert_eq!(first_wakes.0.load(SeqCst), 1);
    assert_eq!(second_wakes.0.load(SeqCst), 0);
}

#[test]
fn formats_as_tokio() {
    let mutex = Mutex::new("data".to_string());
    assert_eq!(format!("{mutex:?}"), r#"Mutex { data: "data" }"#);
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{guard:?} {guard}"), r#""data" data"#);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    assert_eq!(TryLockError(()).to_string(), "operation would block");
}

#[test]
fn blocking_lock_waits_for_the_holder_on_another_thread() {
    let mutex = Arc::new(Mutex::new(0));
    let held = mutex.try_lock().unwrap();
    let thread = {
        let mutex = mutex.clone();
        std::thread::spawn(move || *mutex.blocking_lock() += 1)
    };
    drop(held);
    thread.join().unwrap();
    assert_eq!(*mutex.clone().blocking_lock_owned(), 1);
}

#[test]
fn bounds() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn unpin<T: Unpin>() {}
    send::<MutexGuard<'_, u32>>();
    send::<OwnedMutexGuard<u32>>();
    send::<MappedMutexGuard<'_, u32>>();
    unpin::<Mutex<u32>>();
    let mutex = Arc::new(Mutex::new(1));
    send_sync(&mutex.lock());
    send_sync(&mutex.clone().lock_owned());
}

#[test]
fn get_mut_and_into_inner_need_no_lock() {
    let mut mutex: Mutex<i32> = Mutex::default();
    *mutex.get_mut() += 2;
    assert_eq!(Mutex::from(3).into_inner() + mutex.into_inner(), 5);
}
