//! The protocol both parkers share (`park_state.rs`), without either parker around it: an
//! `unpark` racing a park is never lost, whether the sleeper sleeps on its condition variable
//! or in the driver, and whether the unpark comes before the park (NOTIFIED is left for it),
//! while it checks (the mutex orders the two), or while it sleeps. A lost one leaves the
//! sleeper blocked, which loom reports as a deadlock.

use crate::rt::driver::park_state::{ParkState, Unparked};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

#[test]
fn loom_park_state_unpark_vs_condvar_park() {
    loom::model(|| {
        let state = Arc::new(ParkState::new());
        let th = {
            let state = state.clone();
            thread::spawn(move || match state.unpark() {
                Unparked::Done => {}
                Unparked::WakeDriver => unreachable!("nobody sleeps in a driver here"),
            })
        };
        state.park_condvar(None);
        th.join().unwrap();
    });
}

/// The driver's sleep is a second `ParkState`'s condition variable, as in a runtime without
/// I/O (the driver's own parker); `WakeDriver` must come exactly when the sleeper is in it.
#[test]
fn loom_park_state_unpark_vs_driver_park() {
    loom::model(|| {
        let state = Arc::new(ParkState::new());
        let driver = Arc::new(ParkState::new());
        let th = {
            let (state, driver) = (state.clone(), driver.clone());
            thread::spawn(move || match state.unpark() {
                Unparked::Done => {}
                Unparked::WakeDriver => match driver.unpark() {
                    Unparked::Done => {}
                    Unparked::WakeDriver => unreachable!("the driver sleeps on its condvar"),
                },
            })
        };
        state.park_driver(|| driver.park_condvar(None));
        th.join().unwrap();
    });
}

/// The word is reusable: after a park consumed one notification, a second park returns on a
/// second unpark (sent only once the first park has returned).
#[test]
fn loom_park_state_two_rounds() {
    loom::model(|| {
        let state = Arc::new(ParkState::new());
        let rounds = Arc::new(AtomicUsize::new(0));
        let th = {
            let (state, rounds) = (state.clone(), rounds.clone());
            thread::spawn(move || {
                for round in 0..2 {
                    while rounds.load(SeqCst) < round {
                        thread::yield_now();
                    }
                    let _ = state.unpark();
                }
            })
        };
        for round in 1..=2 {
            state.park_condvar(None);
            rounds.store(round, SeqCst);
        }
        th.join().unwrap();
    });
}
