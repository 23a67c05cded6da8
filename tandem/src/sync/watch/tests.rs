use super::channel;
use futures::FutureExt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

fn current_thread() -> crate::runtime::Runtime {
    crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// A receiver that always finds a change must still yield to the task's other branches.
#[test]
fn changed_spends_the_budget() {
    current_thread().block_on(async {
        let (tx, mut rx) = channel(0u32);
        let mut rounds = 0u32;
        crate::select! {
            biased;
            _ = async {
                loop {
                    tx.send_modify(|n| *n += 1);
                    rx.changed().await.unwrap();
                    rounds += 1;
                }
            } => unreachable!("the loop never ends"),
            _ = crate::task::yield_now() => {}
        }
        assert!(rounds > 0);
    });
}

#[test]
fn a_panicking_modify_keeps_its_change_but_announces_nothing() {
    let (tx, mut rx) = channel("one");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.send_modify(|v| {
            *v = "half";
            panic!("in modify");
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(*rx.borrow(), "half");
    assert!(!rx.has_changed().unwrap());
    tx.send_replace("two");
    assert!(matches!(rx.changed().now_or_never(), Some(Ok(()))));
    assert_eq!(*rx.borrow_and_update(), "two");
}

/// A `changed` dropped while queued leaves the queue; the value stays unseen for the next call.
#[test]
fn a_cancelled_changed_leaves_the_queue_and_marks_nothing() {
    let (tx, mut rx) = channel(1);
    {
        let mut changed = pin!(rx.changed());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(changed.as_mut().poll(&mut cx).is_pending());
        assert_eq!(tx.shared.awaiting_change.lock().len(), 1);
    }
    assert_eq!(tx.shared.awaiting_change.lock().len(), 0);
    tx.send(2).unwrap();
    assert!(rx.has_changed().unwrap());
    assert!(matches!(rx.changed().now_or_never(), Some(Ok(()))));
}

#[test]
fn closed_completes_with_the_last_receiver_and_subscribe_reopens() {
    let (tx, rx) = channel(());
    let rx2 = rx.clone();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut closed = pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        drop(rx);
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        drop(rx2);
        assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
    }
    assert!(tx.send(()).is_err());
    let _rx3 = tx.subscribe();
    assert!(!tx.is_closed());
    assert!(tx.send(()).is_ok());
    assert!(tx.closed().now_or_never().is_none());
}

/// After the close, `wait_for` shows `f` the last value once if it was unseen, then errors.
#[test]
fn wait_for_shows_the_last_value_before_the_close_error() {
    let (tx, mut rx) = channel(0);
    tx.send(1).unwrap();
    drop(tx);
    let mut seen = Vec::new();
    let res = rx
        .wait_for(|v| {
            seen.push(*v);
            false
        })
        .now_or_never()
        .unwrap();
    assert!(res.is_err());
    drop(res);
    assert_eq!(seen, [1]);
    let found = rx.wait_for(|v| *v == 1).now_or_never().unwrap();
    assert_eq!(
        *found.unwrap(),
        1,
        "the current value is shown even when seen"
    );
}
