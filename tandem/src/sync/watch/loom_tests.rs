use super::channel;
use crate::loom::model::model;
use futures::FutureExt;
use loom::thread;

/// A receiver waiting in `changed` on one thread is woken by a send on another, and sees it:
/// no announcement is lost between its check and its queueing.
#[test]
fn a_send_wakes_a_waiting_receiver() {
    model(|| {
        let (tx, mut rx) = channel(0);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        loom::future::block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow_and_update(), 1);
        sender.join().unwrap();
    });
}

/// The last sender's drop wakes a waiting receiver, which then errors (after seeing any unseen
/// value first).
#[test]
fn the_last_sender_drop_wakes_a_waiting_receiver() {
    model(|| {
        let (tx, mut rx) = channel(0);
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        let b = thread::spawn(move || drop(tx2));
        let mut outcomes = 0;
        while loom::future::block_on(rx.changed()).is_ok() {
            outcomes += 1;
            assert_eq!(*rx.borrow_and_update(), 1);
        }
        assert!(outcomes <= 1);
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// `Sender::closed` on one thread completes when the last receiver drops on another.
#[test]
fn closed_sees_the_last_receiver_drop() {
    model(|| {
        let (tx, rx) = channel(());
        let rx2 = rx.clone();
        let dropper = thread::spawn(move || drop(rx2));
        drop(rx);
        loom::future::block_on(tx.closed());
        dropper.join().unwrap();
        assert!(tx.closed().now_or_never().is_some());
    });
}
