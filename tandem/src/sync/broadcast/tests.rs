use super::error::{RecvError, TryRecvError};
use super::{channel, Sender};
use futures::FutureExt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A receiver that always finds a value must still yield to the task's other branches.
#[test]
fn recv_spends_the_budget() {
    let rt = crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = channel(8);
        crate::select! {
            biased;
            _ = async {
                loop {
                    tx.send(()).unwrap();
                    rx.recv().await.unwrap();
                }
            } => unreachable!("the loop never ends"),
            _ = crate::task::yield_now() => {}
        }
    });
}

/// Lagging: the count of values missed, then the oldest retained, for each receiver apart.
#[test]
fn each_receiver_lags_on_its_own() {
    let (tx, mut slow) = channel(2);
    let mut fast = tx.subscribe();
    for v in 1..=3 {
        tx.send(v).unwrap();
        assert_eq!(fast.try_recv(), Ok(v));
    }
    assert_eq!(slow.len(), 3);
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(slow.try_recv(), Ok(2));
    assert_eq!(slow.try_recv(), Ok(3));
    assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.len(), 0);
}

/// A `recv` cancelled while queued leaves the queue and takes nothing.
#[test]
fn a_cancelled_recv_leaves_the_queue_and_takes_nothing() {
    let (tx, mut rx) = channel(4);
    {
        let mut recv = pin!(rx.recv());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert_eq!(tx.shared.ring.lock().awaiting_value.len(), 1);
    }
    assert!(tx.shared.ring.lock().awaiting_value.is_empty());
    tx.send(5).unwrap();
    assert_eq!(rx.recv().now_or_never(), Some(Ok(5)));
}

/// Values left unread go when their last reader leaves, and every sender's drop closes.
#[test]
fn leaving_releases_values_and_closing_ends_after_the_retained_ones() {
    let (tx, mut rx) = channel(4);
    let kept = Arc::new(());
    let rx2 = tx.subscribe();
    tx.send(kept.clone()).unwrap();
    assert_eq!(Arc::strong_count(&kept), 2);
    drop(rx2);
    assert_eq!(Arc::strong_count(&kept), 2, "rx still has to read it");
    let weak = tx.downgrade();
    drop(tx);
    assert!(rx.is_closed());
    assert!(weak.upgrade().is_none());
    assert!(rx.try_recv().is_ok());
    assert_eq!(Arc::strong_count(&kept), 1);
    assert_eq!(rx.recv().now_or_never(), Some(Err(RecvError::Closed)));
}

#[test]
fn closed_follows_the_receiver_count() {
    let tx = Sender::<u8>::new(1);
    assert!(tx.closed().now_or_never().is_some());
    let rx = tx.subscribe();
    let mut closed = pin!(tx.closed());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn blocking_recv_refuses_to_block_a_runtime_thread() {
    let (tx, mut rx) = channel::<u8>(1);
    let rt = crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { rx.blocking_recv() })
    }));
    assert!(panicked.is_err());
    let thread = std::thread::spawn(move || rx.blocking_recv());
    tx.send(3).unwrap();
    assert_eq!(thread.join().unwrap(), Ok(3));
}
