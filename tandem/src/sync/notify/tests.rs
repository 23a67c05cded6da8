//! Loom models of `Notify` (mod.rs): no notification is lost between the lock-free permit path
//! and the queue, nor when a notified future is dropped.

use super::Notify;
use crate::loom::model::model;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

#[test]
fn loom_notify_one_vs_notified() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        block_on(notify.notified());
        notifier.join().unwrap();
    });
}

/// A future created before `notify_waiters` completes, whether enabled before or after it.
#[test]
fn loom_notify_waiters_vs_enable() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut notified = pin!(notify.notified());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_waiters())
        };
        notified.as_mut().enable();
        block_on(notified);
        notifier.join().unwrap();
    });
}

/// Two queued waiters, one notification: the first waiter is dropped whether or not it got it,
/// and the second still completes.
#[test]
fn loom_dropped_waiter_passes_notify_one_on() {
    model(|| {
        let notify = Arc::new(Notify::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        drop(first);
        block_on(second);
        notifier.join().unwrap();
    });
}
