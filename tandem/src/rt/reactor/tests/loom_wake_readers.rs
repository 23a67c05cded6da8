//! A TCP listener's accept over io_uring, waiting on epoll, never misses a worker's arm
//! (`net/tcp/uring_accept.rs`, step 3).
//!
//! The protocol, as `UringAccept::poll_accept_or` and `poll_ring` run it: a worker arms under
//! the state's lock and counts the arm there, then wakes the listener's epoll readers
//! (`ReadinessHint::wake_readers`, which is `ScheduledIo::wake(READABLE)`). An accept that
//! finds nothing armed notes the count under the same lock, registers with epoll, and looks
//! again if the count moved. Here the socket never becomes readable (the ring takes every
//! connection), so epoll's readiness alone never wakes the accept: if the arm could be missed,
//! the accept would wait for good and loom would report the deadlock. Both of epoll's waiter
//! kinds are modelled: the reader slot (`poll_accept`) and a list entry (`accept()`).

use crate::rt::reactor::scheduled_io::{Direction, ScheduledIo};
use crate::rt::reactor::{Interest, Ready};
use loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::future::poll_fn;
use std::task::Poll;

/// How the accept registers with epoll.
#[derive(Clone, Copy)]
enum Waiter {
    ReaderSlot,
    List,
}

fn run(waiter: Waiter) {
    loom::model(move || {
        let io = Arc::new(ScheduledIo::new());
        // The listener's state: true once a request is armed.
        let armed = Arc::new(Mutex::new(false));
        let arms = Arc::new(AtomicU64::new(0));

        let worker = {
            let (io, armed, arms) = (io.clone(), armed.clone(), arms.clone());
            thread::spawn(move || {
                {
                    let mut armed = armed.lock().unwrap();
                    *armed = true;
                    arms.fetch_add(1, Relaxed);
                }
                io.wake(Ready::READABLE);
            })
        };

        let mut id = None;
        loom::future::block_on(poll_fn(|cx| loop {
            let seen = {
                let armed = armed.lock().unwrap();
                if *armed {
                    // Registered with the request from here on: found.
                    return Poll::Ready(());
                }
                arms.load(Relaxed)
            };
            let epoll = match waiter {
                Waiter::ReaderSlot => io.poll_readiness(cx, Direction::Read),
                Waiter::List => io.poll_list_readiness(cx, Interest::READABLE, &mut id),
            };
            assert!(epoll.is_pending(), "the socket never becomes readable here");
            if arms.load(Relaxed) == seen {
                return Poll::Pending;
            }
        }));
        io.remove_waiter(&mut id);
        worker.join().unwrap();
    });
}

#[test]
fn loom_an_arm_wakes_a_reader_slot_accept() {
    run(Waiter::ReaderSlot);
}

#[test]
fn loom_an_arm_wakes_a_listed_accept() {
    run(Waiter::List);
}
