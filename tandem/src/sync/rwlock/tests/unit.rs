//! The lock's behaviour, polled by hand (no runtime): write preference, downgrade, maps,
//! formatting and panics.

use crate::sync::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use futures::task::noop_waker;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};

fn poll<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let waker = noop_waker();
    future.poll(&mut Context::from_waker(&waker))
}

/// A queued writer keeps later readers out, even though readers hold the lock.
#[test]
fn a_queued_writer_goes_before_later_readers() {
    let lock = RwLock::with_max_readers(0, 4);
    let reader = lock.try_read().unwrap();
    let mut writer = pin!(lock.write());
    assert!(poll(writer.as_mut()).is_pending());
    assert!(lock.try_read().is_err(), "the writer is next");
    let mut late_reader = pin!(lock.read());
    assert!(poll(late_reader.as_mut()).is_pending());
    drop(reader);
    let mut guard = match poll(writer.as_mut()) {
        Poll::Ready(guard) => guard,
        Poll::Pending => panic!("the writer was served"),
    };
    *guard += 1;
    assert!(poll(late_reader.as_mut()).is_pending());
    drop(guard);
    match poll(late_reader.as_mut()) {
        Poll::Ready(guard) => assert_eq!(*guard, 1),
        Poll::Pending => panic!("the reader was served"),
    };
}

/// Downgrading lets the readers queued behind the writer in, and keeps a writer out.
#[test]
fn downgrade_admits_readers_but_not_writers() {
    let lock = Arc::new(RwLock::with_max_readers(String::from("a"), 3));
    let mut write = lock.clone().try_write_owned().unwrap();
    write.push('b');
    let mut reader = pin!(lock.read());
    assert!(poll(reader.as_mut()).is_pending());
    let read = write.downgrade();
    assert!(matches!(poll(reader.as_mut()), Poll::Ready(ref guard) if **guard == "ab"));
    assert!(lock.try_write().is_err());
    assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&read), &lock));
    let tail = OwnedRwLockReadGuard::map(read, |s| &s[1..]);
    assert_eq!(&*tail, "b");
    drop(tail);
    assert!(lock.try_write().is_ok());
}

#[test]
fn mapped_guards_keep_their_permits() {
    let lock = RwLock::new((1, 2));
    let write = lock.try_write().unwrap();
    let write = RwLockWriteGuard::try_map(write, |_| None::<&mut i32>).unwrap_err();
    let mut second = RwLockWriteGuard::map(write, |pair| &mut pair.1);
    *second = 3;
    assert!(lock.try_read().is_err());
    drop(second);
    let read = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    assert_eq!(*read, 3);
    assert!(lock.try_write().is_err());
    drop(read);
    let owned = Arc::new(RwLock::new(vec![1, 2]));
    let mut mapped =
        OwnedRwLockWriteGuard::try_map(owned.clone().try_write_owned().unwrap(), |v| v.last_mut())
            .unwrap();
    *mapped = 5;
    assert!(owned.try_read().is_err());
    drop(mapped);
    assert_eq!(*owned.try_read().unwrap(), vec![1, 5]);
}

#[test]
fn formats_as_tokio() {
    let lock = RwLock::new(7);
    assert_eq!(format!("{lock:?}"), "RwLock { data: 7 }");
    let guard = lock.try_write().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    assert_eq!(format!("{guard:?} {guard}"), "7 7");
}

#[test]
#[should_panic(expected = "a RwLock may not be created with more than")]
fn too_many_readers_panics() {
    let _ = RwLock::with_max_readers((), u32::MAX);
}

#[test]
fn blocking_write_waits_for_a_reader_on_another_thread() {
    let lock = Arc::new(RwLock::new(0));
    let reader = lock.clone().try_read_owned().unwrap();
    let thread = {
        let lock = lock.clone();
        std::thread::spawn(move || *lock.blocking_write() += 1)
    };
    drop(reader);
    thread.join().unwrap();
    assert_eq!(*lock.blocking_read(), 1);
}

#[test]
fn bounds() {
    fn send_sync<T: Send + Sync>() {}
    fn send_sync_val<T: Send + Sync>(_: &T) {}
    send_sync::<RwLock<u32>>();
    send_sync::<RwLockReadGuard<'_, u32>>();
    send_sync::<OwnedRwLockReadGuard<u32, i32>>();
    send_sync::<RwLockWriteGuard<'_, u32>>();
    send_sync::<crate::sync::RwLockMappedWriteGuard<'_, u32>>();
    send_sync::<OwnedRwLockWriteGuard<u32>>();
    send_sync::<crate::sync::OwnedRwLockMappedWriteGuard<u32, i32>>();
    let lock = Arc::new(RwLock::new(0));
    send_sync_val(&lock.read());
    send_sync_val(&lock.clone().read_owned());
    send_sync_val(&lock.write());
    send_sync_val(&lock.clone().write_owned());
}
