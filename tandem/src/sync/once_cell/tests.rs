use super::{OnceCell, SetError};
use futures::FutureExt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// An initializer cancelled midway gives its role back: a waiting task makes the value.
#[test]
fn a_cancelled_initializer_hands_the_role_on() {
    let cell = OnceCell::new();
    let mut cx = Context::from_waker(Waker::noop());
    let mut waiter = pin!(cell.get_or_init(|| async { 2 }));
    {
        let mut first = pin!(cell.get_or_init(std::future::pending::<u32>));
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        assert!(matches!(cell.set(9), Err(SetError::InitializingError(9))));
    }
    assert_eq!(waiter.as_mut().poll(&mut cx), Poll::Ready(&2));
    assert!(cell.set(3).unwrap_err().is_already_init_err());
}

/// A panicking initializer leaves the cell empty and the role free.
#[test]
fn a_panicking_initializer_leaves_the_cell_empty() {
    let cell = OnceCell::<u32>::new();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cell.get_or_init(|| async { panic!("in init") })
            .now_or_never()
    }));
    assert!(panicked.is_err());
    assert!(!cell.initialized());
    assert_eq!(cell.get_or_init(|| async { 4 }).now_or_never(), Some(&4));
}

#[test]
fn a_failed_try_init_leaves_the_cell_empty() {
    let cell = OnceCell::<u32>::new();
    let failed = cell.get_or_try_init(|| async { Err("no") }).now_or_never();
    assert_eq!(failed, Some(Err("no")));
    assert_eq!(cell.get(), None);
    let made = cell
        .get_or_try_init(|| async { Ok::<_, ()>(5) })
        .now_or_never();
    assert_eq!(made, Some(Ok(&5)));
    let mut cell = cell;
    assert_eq!(cell.take(), Some(5));
    assert_eq!(cell.into_inner(), None);
}

#[test]
fn const_cells_work_in_statics() {
    static EMPTY: OnceCell<u32> = OnceCell::const_new();
    static FULL: OnceCell<u32> = OnceCell::const_new_with(1);
    assert_eq!(FULL.get(), Some(&1));
    assert_eq!(EMPTY.set(2), Ok(()));
    assert_eq!(format!("{EMPTY:?}"), "OnceCell { value: Some(2) }");
    assert_eq!(EMPTY.clone(), OnceCell::from(2));
}
