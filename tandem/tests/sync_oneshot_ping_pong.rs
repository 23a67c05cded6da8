//! The one-shot channel under a runtime, on every flavour:
//!   * 1,000 task pairs exchange a ping and a pong (the benchmark's workload): every value
//!     arrives, every channel is freed (the values are counted on drop);
//!   * a loop receiving from channels whose value is already there spends the cooperative
//!     budget, so another task on the same worker runs before the loop ends;
//!   * `Sender::closed` wakes when the receiver drops on another task;
//!   * `blocking_recv` works on a plain thread and in `spawn_blocking`, and panics with Tokio's
//!     message on a thread that drives the runtime;
//!   * the handles (and `Notify`'s futures, `Barrier`) have Tokio's auto traits.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use support::{each_flavor, panic_message};
use tandem::sync::oneshot;

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

const PAIRS: usize = 1_000;

#[test]
fn ping_pong_pairs_every_flavor() {
    each_flavor(|_, rt| {
        let drops = Arc::new(AtomicUsize::new(0));
        let total = rt.block_on(async {
            let mut pairs = Vec::with_capacity(PAIRS);
            for i in 0..PAIRS {
                let drops = drops.clone();
                pairs.push(tandem::spawn(async move {
                    let (ping_tx, ping_rx) = oneshot::channel::<(usize, Counted)>();
                    let (pong_tx, pong_rx) = oneshot::channel::<(usize, Counted)>();
                    let echo = tandem::spawn(async move {
                        let (n, c) = ping_rx.await.unwrap();
                        pong_tx.send((n + 1, c)).ok().unwrap();
                    });
                    ping_tx.send((i, Counted(drops))).ok().unwrap();
                    let (n, _c) = pong_rx.await.unwrap();
                    echo.await.unwrap();
                    n
                }));
            }
            let mut total = 0;
            for pair in pairs {
                total += pair.await.unwrap();
            }
            total
        });
        assert_eq!(total, (1..=PAIRS).sum::<usize>());
        assert_eq!(drops.load(SeqCst), PAIRS, "every value dropped once");
    });
}

#[test]
fn ready_receivers_spend_the_budget() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            tandem::spawn(async {
                let ran = Arc::new(AtomicBool::new(false));
                // On the same worker (spawned from a task: the LIFO slot or the local queue).
                let flag = ran.clone();
                let other = tandem::spawn(async move { flag.store(true, SeqCst) });
                let mut seen_at = None;
                for i in 0..1_000 {
                    let (tx, rx) = oneshot::channel();
                    tx.send(i).unwrap();
                    assert_eq!(rx.await, Ok(i));
                    if seen_at.is_none() && ran.load(SeqCst) {
                        seen_at = Some(i);
                    }
                }
                other.await.unwrap();
                assert!(
                    seen_at.is_some(),
                    "the other task never ran during the loop"
                );
            })
            .await
            .unwrap();
        });
    });
}

#[test]
fn closed_wakes_when_the_receiver_drops() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let (mut tx, rx) = oneshot::channel::<Counted>();
            let waiter = tandem::spawn(async move {
                tx.closed().await;
                assert!(tx.is_closed());
                let drops = Arc::new(AtomicUsize::new(0));
                let value = tx.send(Counted(drops.clone())).err().unwrap();
                drop(value);
                assert_eq!(drops.load(SeqCst), 1);
            });
            tandem::task::yield_now().await;
            tandem::spawn(async move { drop(rx) }).await.unwrap();
            waiter.await.unwrap();
        });
    });
}

#[test]
fn blocking_recv_outside_the_runtime() {
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::spawn(move || rx.blocking_recv());
    std::thread::sleep(std::time::Duration::from_millis(10));
    tx.send(5u8).unwrap();
    assert_eq!(thread.join().unwrap(), Ok(5));

    each_flavor(|_, rt| {
        let (tx, rx) = oneshot::channel::<u8>();
        rt.block_on(async move {
            let blocked = tandem::task::spawn_blocking(move || rx.blocking_recv());
            tx.send(9).unwrap();
            assert_eq!(blocked.await.unwrap(), Ok(9));
            let (tx, rx) = oneshot::channel::<u8>();
            let blocked = tandem::task::spawn_blocking(move || rx.blocking_recv());
            drop(tx);
            assert!(blocked.await.unwrap().is_err());
        });
    });
}

#[test]
fn blocking_recv_panics_on_a_runtime_thread() {
    each_flavor(|_, rt| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                let (_tx, rx) = oneshot::channel::<u8>();
                let _ = rx.blocking_recv();
            })
        }));
        let message = panic_message(&*caught.unwrap_err());
        assert!(
            message.starts_with("Cannot block the current thread from within a runtime"),
            "{message}"
        );
    });
}

#[test]
fn handles_have_tokios_auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    // A `Cell` is `Send` but not `Sync`: Tokio's handles are both for any `T: Send`.
    send_sync::<oneshot::Sender<std::cell::Cell<u8>>>();
    send_sync::<oneshot::Receiver<std::cell::Cell<u8>>>();
    unpin::<oneshot::Sender<std::marker::PhantomPinned>>();
    unpin::<oneshot::Receiver<std::marker::PhantomPinned>>();
    send_sync::<tandem::sync::futures::Notified<'static>>();
    send_sync::<tandem::sync::futures::OwnedNotified>();
    send_sync::<tandem::sync::Notify>();
    send_sync::<tandem::sync::Barrier>();
}
