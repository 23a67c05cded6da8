use super::channel;
use super::error::RecvError;
use crate::loom::model::model;
use loom::thread;

/// A receiver waiting in `recv` is woken by a send on another thread and receives it, while a
/// second receiver that leaves releases its share.
#[test]
fn a_send_wakes_a_waiting_receiver() {
    model(|| {
        let (tx, mut rx) = channel(1);
        let rx2 = tx.subscribe();
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        let leaver = thread::spawn(move || drop(rx2));
        assert_eq!(loom::future::block_on(rx.recv()), Ok(7));
        sender.join().unwrap();
        leaver.join().unwrap();
        assert_eq!(loom::future::block_on(rx.recv()), Err(RecvError::Closed));
    });
}

/// The last sender's drop on another thread wakes a waiting receiver, which sees the close.
#[test]
fn the_last_sender_drop_wakes_a_waiting_receiver() {
    model(|| {
        let (tx, mut rx) = channel::<u8>(2);
        let weak = tx.downgrade();
        let dropper = thread::spawn(move || drop(tx));
        assert_eq!(loom::future::block_on(rx.recv()), Err(RecvError::Closed));
        dropper.join().unwrap();
        assert!(weak.upgrade().is_none());
    });
}
