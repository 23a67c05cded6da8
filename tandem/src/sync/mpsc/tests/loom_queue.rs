//! Loom model of the buffer: concurrent senders and the receiver, and the end of the stream
//! when the last sender goes.

use crate::loom::model::model;
use crate::sync::mpsc;
use loom::future::block_on;
use loom::thread;

/// Two senders on two threads, the receiver on a third: every value arrives once, each
/// sender's in order, and `recv` sees the end only after both senders are gone.
#[test]
fn two_senders_one_receiver() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.send((0, 0)).unwrap();
            tx.send((0, 1)).unwrap();
        });
        let b = thread::spawn(move || {
            tx2.send((1, 0)).unwrap();
        });
        let mut next = [0; 2];
        while let Some((sender, i)) = block_on(rx.recv()) {
            assert_eq!(next[sender], i, "out of order");
            next[sender] += 1;
        }
        assert_eq!(next, [2, 1]);
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// A weak sender's upgrade races the last strong sender's drop: either the upgrade wins and
/// its value arrives, or it fails; the stream always ends.
#[test]
fn upgrade_races_the_last_drop() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let weak = tx.downgrade();
        let upgrader = thread::spawn(move || match weak.upgrade() {
            Some(tx) => tx.send(1).is_ok(),
            None => false,
        });
        drop(tx);
        let got = block_on(rx.recv());
        let sent = upgrader.join().unwrap();
        if sent {
            assert_eq!(got, Some(1));
            assert_eq!(block_on(rx.recv()), None);
        } else {
            assert_eq!(got, None);
        }
    });
}

/// The receiver closes while a sender sends: a send either fails, or its value is received
/// (from the receiver's batch or from the channel); order holds; the stream ends.
#[test]
fn close_races_a_sender() {
    model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sender = thread::spawn(move || (0..2).take_while(|&i| tx.send(i).is_ok()).count());
        let first = rx.try_recv().ok();
        rx.close();
        let mut got: Vec<i32> = first.into_iter().collect();
        while let Some(value) = block_on(rx.recv()) {
            got.push(value);
        }
        let sent = sender.join().unwrap();
        assert_eq!(got, (0..sent as i32).collect::<Vec<_>>());
    });
}
