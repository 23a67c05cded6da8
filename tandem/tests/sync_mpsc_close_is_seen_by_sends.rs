//! What a bounded sender sees of the receiver's close, as in Tokio:
//! - once `Sender::is_closed` says true, every send fails. Before the fix the close set the flag
//!   `is_closed` reads and only then closed the slots' semaphore that sends check, so a
//!   `try_send` in between succeeded after `is_closed` had said true;
//! - `try_reserve_many` for more than the channel's capacity is `Full`, closed or not (it was
//!   `Closed` on a closed channel).

use std::sync::{mpsc as std_mpsc, Arc, Barrier};
use std::time::Duration;
use tandem::sync::mpsc::{self, error::TrySendError};

#[test]
fn try_reserve_many_above_the_capacity_is_full_even_when_closed() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    rx.close();
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Full(()))
    ));
    drop(rx);
    assert!(matches!(
        tx.try_reserve_many(3),
        Err(TrySendError::Full(()))
    ));
    // Within the capacity, a closed channel is closed.
    assert!(matches!(
        tx.try_reserve_many(2),
        Err(TrySendError::Closed(()))
    ));
}

#[test]
fn no_send_succeeds_once_is_closed_said_true() {
    let (done, finished) = std_mpsc::channel();
    std::thread::spawn(move || {
        let mut accepted = 0;
        for _ in 0..10_000 {
            let (tx, mut rx) = mpsc::channel::<u32>(4);
            let start = Arc::new(Barrier::new(2));
            let closer = {
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    rx.close();
                    rx
                })
            };
            start.wait();
            while !tx.is_closed() {
                std::hint::spin_loop();
            }
            match tx.try_send(1) {
                Err(TrySendError::Closed(_)) => {}
                Ok(()) => accepted += 1,
                Err(TrySendError::Full(_)) => panic!("the channel had room for 4"),
            }
            drop(closer.join().unwrap());
        }
        done.send(accepted).unwrap();
    });
    let accepted = finished
        .recv_timeout(Duration::from_secs(120))
        .expect("the rounds did not finish");
    assert_eq!(accepted, 0, "sends accepted after `is_closed` said true");
}
