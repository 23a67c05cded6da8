//! Driver hand-off between workers: no lost wake-up whoever holds the driver.
//!
//! Two workers park on one `SharedDriver` (built without I/O, so its sleep is loom's condition
//! variable standing in for `epoll_wait`): whichever takes the driver sleeps in it
//! (PARKED_DRIVER) and the other on its own condition variable (PARKED_CONDVAR). A notifier
//! unparks both, in every interleaving with their parks; each park must return, or loom reports
//! the deadlock. A second model has one worker park twice, so the driver changes hands. The
//! states are `park_state.rs`'s, whose own models are `loom_park_state.rs`.

use super::shared_driver;
use crate::rt::driver::WorkerParker;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

/// Parks until `flag` reaches `value`: parks may return spuriously (a stale driver wake-up), so
/// callers re-check their condition, as the worker loop does.
fn park_until(parker: &mut WorkerParker, flag: &AtomicUsize, value: usize) {
    while flag.load(SeqCst) < value {
        parker.park();
    }
}

#[test]
fn loom_two_workers_unparked_from_outside() {
    loom::model(|| {
        let shared = shared_driver();
        let mut a = WorkerParker::new(shared.clone());
        let mut b = WorkerParker::new(shared);
        let (ua, ub) = (a.unparker(), b.unparker());
        let (fa, fb) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let ta = {
            let fa = fa.clone();
            thread::spawn(move || park_until(&mut a, &fa, 1))
        };
        let tb = {
            let fb = fb.clone();
            thread::spawn(move || park_until(&mut b, &fb, 1))
        };
        fa.store(1, SeqCst);
        ua.unpark();
        fb.store(1, SeqCst);
        ub.unpark();
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

#[test]
fn loom_driver_changes_hands() {
    loom::model(|| {
        let shared = shared_driver();
        let mut a = WorkerParker::new(shared.clone());
        let mut b = WorkerParker::new(shared);
        let (ua, ub) = (a.unparker(), b.unparker());
        let (fa, fb) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        // `a` parks twice (so the driver may change hands in between) and wakes `b` in between.
        let ta = {
            let (fa, fb) = (fa.clone(), fb.clone());
            thread::spawn(move || {
                park_until(&mut a, &fa, 1);
                fb.store(1, SeqCst);
                ub.unpark();
                park_until(&mut a, &fa, 2);
            })
        };
        let tb = {
            let fb = fb.clone();
            thread::spawn(move || park_until(&mut b, &fb, 1))
        };
        fa.store(1, SeqCst);
        ua.unpark();
        tb.join().unwrap();
        fa.store(2, SeqCst);
        ua.unpark();
        ta.join().unwrap();
    });
}
