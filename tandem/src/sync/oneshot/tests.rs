//! Loom models of the channel's protocol (mod.rs, state.rs): every hand-over of a cell, and the
//! block freed exactly once, by the last side, whatever the interleaving.

use super::channel;
use super::error::{RecvError, TryRecvError};
use crate::loom::model::model;
use loom::future::block_on;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A value that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn loom_send_vs_recv() {
    model(|| {
        let (tx, rx) = channel::<u32>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        sender.join().unwrap();
    });
}

#[test]
fn loom_sender_drop_vs_recv() {
    model(|| {
        let (tx, rx) = channel::<u32>();
        let sender = thread::spawn(move || drop(tx));
        assert_eq!(block_on(rx), Err(RecvError(())));
        sender.join().unwrap();
    });
}

/// A value sent while the receiver drops is dropped exactly once, on either side.
#[test]
fn loom_send_vs_receiver_drop() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel::<Counted>();
        let value = Counted(drops.clone());
        let sender = thread::spawn(move || {
            let _ = tx.send(value);
        });
        drop(rx);
        sender.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// The receiver polls with one waker, then waits with another, while the value is sent.
#[test]
fn loom_receiver_changes_waker_vs_send() {
    model(|| {
        let (tx, rx) = channel::<u32>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        let mut rx = pin!(rx);
        let first = rx.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        let got = match first {
            Poll::Ready(got) => got,
            Poll::Pending => block_on(rx),
        };
        assert_eq!(got, Ok(7));
        sender.join().unwrap();
    });
}

/// The sender waits for the close with one waker, then another, while the receiver closes and
/// then drops.
#[test]
fn loom_sender_changes_waker_vs_close() {
    model(|| {
        let (mut tx, mut rx) = channel::<u32>();
        let receiver = thread::spawn(move || {
            rx.close();
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        });
        if tx
            .poll_closed(&mut Context::from_waker(Waker::noop()))
            .is_pending()
        {
            block_on(tx.closed());
        }
        assert!(tx.send(1).is_err());
        receiver.join().unwrap();
    });
}

/// `try_recv` while the value is sent: `Empty`, then the value after waiting, or the value.
#[test]
fn loom_try_recv_vs_send() {
    model(|| {
        let (tx, mut rx) = channel::<u32>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        match rx.try_recv() {
            Ok(v) => assert_eq!(v, 7),
            Err(TryRecvError::Empty) => assert_eq!(block_on(rx), Ok(7)),
            Err(TryRecvError::Closed) => panic!("closed without a close"),
        }
        sender.join().unwrap();
    });
}
