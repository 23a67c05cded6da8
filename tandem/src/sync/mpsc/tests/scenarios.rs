//! The channel's most important behaviours, each as a scenario: fairness of waiting senders,
//! the close protocol, cancellation, per-sender order across threads, and the budget.

use crate::runtime::{Builder, Runtime};
use crate::sync::mpsc::{self, error::TrySendError};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

fn runtimes() -> Vec<Runtime> {
    let mut all = vec![Builder::new_current_thread().enable_all().build().unwrap()];
    for workers in [1, 2, 8] {
        let rt = Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap();
        all.push(rt);
    }
    all
}

/// Senders that wait for room are served in the order they started waiting, and `try_send`
/// does not jump the queue.
#[test]
fn waiting_senders_are_served_in_arrival_order() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut first = pin!(tx.send(1));
    let mut second = pin!(tx.send(2));
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());

    assert_eq!(rx.try_recv(), Ok(0));
    assert!(
        matches!(tx.try_send(9), Err(TrySendError::Full(9))),
        "the slot is first's"
    );
    assert!(poll_once(second.as_mut()).is_pending());
    assert_eq!(poll_once(first.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(poll_once(second.as_mut()), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
}

/// A reservation dropped after it was given the freed slot passes it to the next waiter.
#[test]
fn a_cancelled_reservation_passes_its_slot_on() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut first = Box::pin(tx.reserve());
    let mut second = pin!(tx.reserve());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    drop(first);
    let Poll::Ready(Ok(permit)) = poll_once(second.as_mut()) else {
        panic!("the slot was not passed on")
    };
    permit.send(5);
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(tx.capacity(), 1);
}

/// After `close`, sends fail at once, but what was sent and what permits still send is
/// received; then the stream ends.
#[test]
fn close_drains_buffered_values_and_outstanding_permits() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.try_send(1).unwrap();
    let permit = tx.try_reserve().unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert!(matches!(tx.try_send(2), Err(TrySendError::Closed(2))));
    assert_eq!(rx.try_recv(), Ok(1));
    {
        let mut recv = pin!(rx.recv());
        assert!(
            poll_once(recv.as_mut()).is_pending(),
            "a permit may still send"
        );
        permit.send(3);
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Some(3)));
    }
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
}

/// Many senders on many threads: every value arrives, each sender's in its order, on every
/// flavour of runtime.
#[test]
fn each_senders_values_arrive_in_order_across_threads() {
    const SENDERS: usize = 4;
    const EACH: usize = 500;
    for rt in runtimes() {
        rt.block_on(async {
            let (tx, mut rx) = mpsc::channel(8);
            for sender in 0..SENDERS {
                let tx = tx.clone();
                crate::spawn(async move {
                    for i in 0..EACH {
                        tx.send((sender, i)).await.unwrap();
                    }
                });
            }
            drop(tx);
            let mut next = [0; SENDERS];
            while let Some((sender, i)) = rx.recv().await {
                assert_eq!(next[sender], i, "sender {sender} out of order");
                next[sender] += 1;
            }
            assert_eq!(next, [EACH; SENDERS]);
        });
    }
}

/// A task whose `recv` is always ready still yields: another task on a current-thread runtime
/// gets to run.
#[test]
fn an_always_ready_recv_loop_yields_to_other_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        // Spawned first, so it runs first: the other task can only run once it yields.
        let drainer = crate::spawn(async move {
            let (tx, mut rx) = mpsc::unbounded_channel();
            const GIVE_UP: usize = 100_000;
            for round in 0..GIVE_UP {
                tx.send(round).unwrap();
                assert_eq!(rx.recv().await, Some(round));
                if other_ran.load(Ordering::Relaxed) {
                    return round;
                }
            }
            GIVE_UP
        });
        crate::spawn(async move { flag.store(true, Ordering::Relaxed) });
        let rounds = drainer.await.unwrap();
        assert!(
            rounds <= 256,
            "the drainer ran {rounds} rounds before yielding"
        );
    });
}

/// A waiting reservation whose waker is the last handle on a permit of the same channel is
/// dropped: the waker (and so the permit) is dropped after the lock is released, not under it.
#[test]
fn a_cancelled_reservation_drops_its_waker_outside_the_lock() {
    struct HoldsPermit {
        _permit: mpsc::OwnedPermit<i32>,
    }
    impl std::task::Wake for HoldsPermit {
        fn wake(self: Arc<Self>) {}
    }
    let (tx, _rx) = mpsc::channel(2);
    let permit = tx.clone().try_reserve_owned().unwrap();
    tx.try_send(1).unwrap();
    let mut reserve = Box::pin(tx.reserve());
    let waker = Waker::from(Arc::new(HoldsPermit { _permit: permit }));
    assert!(reserve
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(waker);
    drop(reserve);
    assert_eq!(tx.capacity(), 1, "the permit inside the waker was released");
}

/// A burst through an unbounded channel, drained by `try_recv` and then `recv_many`: every
/// value arrives in order, and the channel works on after.
#[test]
fn a_burst_drains_in_order() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..3000 {
        tx.send(i).unwrap();
    }
    for i in 0..1000 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    tx.send(3000).unwrap();
    assert_eq!(rx.len(), 2001);
    let mut buffer = Vec::new();
    {
        let mut recv_many = pin!(rx.recv_many(&mut buffer, 5000));
        let taken = poll_once(recv_many.as_mut());
        assert_eq!(taken, Poll::Ready(2000), "the batch taken");
    }
    assert_eq!(buffer, (1000..3000).collect::<Vec<_>>());
    assert_eq!(rx.try_recv(), Ok(3000));
    assert!(rx.is_empty());
}

/// The handles' auto traits are Tokio's: everything is `Send` and `Sync` when the message is
/// `Send` (even if not `Sync`), and the receivers are `Unpin` whatever the message.
#[test]
fn auto_traits_are_tokios() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    type NotSync = std::cell::Cell<u8>;
    send_sync::<mpsc::Sender<NotSync>>();
    send_sync::<mpsc::WeakSender<NotSync>>();
    send_sync::<mpsc::Receiver<NotSync>>();
    send_sync::<mpsc::UnboundedSender<NotSync>>();
    send_sync::<mpsc::UnboundedReceiver<NotSync>>();
    send_sync::<mpsc::OwnedPermit<NotSync>>();
    send_sync::<mpsc::Permit<'static, NotSync>>();
    unpin::<mpsc::Receiver<std::marker::PhantomPinned>>();
    unpin::<mpsc::UnboundedReceiver<std::marker::PhantomPinned>>();
}
