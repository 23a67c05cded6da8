//! A `timeout` around a future that is always ready must still fire (Tokio's
//! `time_timeout::timeout_is_not_exhausted_by_future`).
//!
//! The future loops over `io::empty()` (or `repeat`, `sink`), which never waits. It yields only
//! because each of those spends the task's cooperative budget and returns `Pending` once it is
//! spent; the `Timeout` then checks its deadline without a budget (the inner future spent it).
//! `empty`, `repeat` and `sink` used to be Tokio's, which spend Tokio's budget, a budget a
//! Tandem task never has: the loop never returned from its first poll and the test hung.

mod support;

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use tandem::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tandem::time::timeout;

const HANG: Duration = Duration::from_secs(30);

/// One always-ready operation, by name.
#[derive(Clone, Copy, Debug)]
enum Op {
    EmptyRead,
    EmptyFillBuf,
    EmptyWrite,
    RepeatRead,
    SinkWrite,
}

const OPS: [Op; 5] = [
    Op::EmptyRead,
    Op::EmptyFillBuf,
    Op::EmptyWrite,
    Op::RepeatRead,
    Op::SinkWrite,
];

impl Op {
    async fn once(self) {
        let mut buf = [0u8; 1];
        match self {
            Op::EmptyRead => assert_eq!(tandem::io::empty().read(&mut buf).await.unwrap(), 0),
            Op::EmptyFillBuf => {
                assert!(tandem::io::empty().fill_buf().await.unwrap().is_empty())
            }
            Op::EmptyWrite => assert_eq!(tandem::io::empty().write(&buf).await.unwrap(), 1),
            Op::RepeatRead => {
                assert_eq!(tandem::io::repeat(7).read(&mut buf).await.unwrap(), 1);
                assert_eq!(buf, [7]);
            }
            Op::SinkWrite => assert_eq!(tandem::io::sink().write(&buf).await.unwrap(), 1),
        }
    }

    /// Forever.
    async fn forever(self) {
        loop {
            self.once().await;
        }
    }
}

/// The port: the timeout fires although the future never waits for anything, as the root
/// future of `block_on` and as a spawned task, on every flavour.
#[test]
fn timeout_is_not_exhausted_by_future() {
    hang_guard::within(HANG, "timeout_is_not_exhausted_by_future", || {
        support::each_flavor(|_, rt| {
            for op in OPS {
                rt.block_on(async move {
                    let res = timeout(Duration::from_millis(1), op.forever()).await;
                    assert!(res.is_err(), "{op:?}: the timeout did not fire");
                    let spawned = tandem::spawn(timeout(Duration::from_millis(1), op.forever()));
                    assert!(spawned.await.unwrap().is_err(), "{op:?}: spawned");
                });
            }
        });
    });
}

/// The cause, seen directly: within one poll of a task, an always-ready operation is ready
/// only until the task's budget is spent, then returns `Pending` (it used to be ready forever).
#[test]
fn always_ready_io_yields_when_the_budget_is_spent() {
    hang_guard::within(HANG, "the budget test", || {
        support::each_flavor(|_, rt| {
            for op in OPS {
                let ready_in_one_poll = rt.spawn(std::future::poll_fn(move |cx| {
                    let mut ready = 0u32;
                    loop {
                        if pin!(op.once()).poll(cx).is_pending() {
                            return Poll::Ready(ready);
                        }
                        ready += 1;
                        assert!(ready < 100_000, "{op:?}: ready 100,000 times in one poll");
                    }
                }));
                let ready = rt.block_on(ready_in_one_poll).unwrap();
                assert!(
                    ready > 0 && ready <= 1_000,
                    "{op:?}: {ready} operations before yielding"
                );
            }
        });
    });
}
