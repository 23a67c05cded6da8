//! Loom models of a bounded channel's capacity: a sender waiting for room, and the close
//! racing a waiting sender and an outstanding permit.

use crate::loom::model::model;
use crate::sync::mpsc;
use loom::future::block_on;
use loom::thread;

/// Capacity 1, two values: the second send waits for the receiver to free the slot.
#[test]
fn a_sender_waits_for_room() {
    model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        let sender = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        assert_eq!(block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

/// The receiver closes while a sender waits for room: the send fails or succeeds, and the
/// receiver gets exactly what was sent, then the end (no lost wake-up, no leaked slot).
#[test]
fn close_races_a_waiting_sender() {
    model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(0).unwrap();
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        rx.close();
        let mut got = Vec::new();
        while let Some(value) = block_on(rx.recv()) {
            got.push(value);
        }
        let sent = sender.join().unwrap();
        assert_eq!(got, if sent { vec![0, 1] } else { vec![0] });
        assert_eq!(rx.capacity(), 1, "every slot came back");
    });
}

/// The receiver closes while another thread holds a permit: `recv` waits for the permit to
/// be used or dropped, then ends.
#[test]
fn close_waits_for_an_outstanding_permit() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit_holder = thread::spawn(move || {
            if let Ok(permit) = tx.try_reserve() {
                permit.send(7);
            }
        });
        rx.close();
        let got = block_on(rx.recv());
        assert!(matches!(got, None | Some(7)));
        if got.is_some() {
            assert_eq!(block_on(rx.recv()), None);
        }
        permit_holder.join().unwrap();
    });
}

/// The receiver closes while another thread drops an unused permit: the give-back reads the
/// semaphore's word after its own update, the receiver reads it under the lock after the
/// close, so one of them sees the other and `recv` ends (no lost wake-up).
#[test]
fn a_permit_dropped_unused_after_the_close_ends_the_stream() {
    model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(2);
        // A sender stays: only the channel going idle can end the stream.
        let _kept = tx.clone();
        let permit_holder = thread::spawn(move || {
            // Fails if the close came first.
            drop(tx.try_reserve());
            let _ = tx.try_send(1);
        });
        rx.close();
        while block_on(rx.recv()).is_some() {}
        assert_eq!(rx.capacity(), 2, "every slot came back");
        permit_holder.join().unwrap();
    });
}
