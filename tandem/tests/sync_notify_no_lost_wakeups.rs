//! `Notify` and `Barrier` across threads, on every flavour:
//!   * the multi-consumer channel of `Notify`'s documentation (`enable` before checking): with
//!     4 producers and 4 consumers, every message is received (no wake-up lost to the
//!     single-permit rule);
//!   * `notify_waiters` completes every future created before it, polled or not, and none
//!     created after it;
//!   * a `Barrier` of 8 tasks passes 20 generations with exactly one leader in each.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use support::each_flavor;
use tandem::sync::{Barrier, Notify};

struct Channel {
    messages: Mutex<VecDeque<usize>>,
    notify: Notify,
}

impl Channel {
    fn send(&self, msg: usize) {
        self.messages.lock().unwrap().push_back(msg);
        self.notify.notify_one();
    }

    async fn recv(&self) -> usize {
        let future = self.notify.notified();
        tandem::pin!(future);
        loop {
            future.as_mut().enable();
            if let Some(msg) = self.messages.lock().unwrap().pop_front() {
                return msg;
            }
            future.as_mut().await;
            future.set(self.notify.notified());
        }
    }
}

#[test]
fn mpmc_channel_loses_no_message() {
    const PER_PRODUCER: usize = 500;
    each_flavor(|_, rt| {
        let channel = Arc::new(Channel {
            messages: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
        });
        let sum = rt.block_on(async {
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let channel = channel.clone();
                    tandem::spawn(async move {
                        let mut sum = 0;
                        for _ in 0..PER_PRODUCER {
                            sum += channel.recv().await;
                        }
                        sum
                    })
                })
                .collect();
            for p in 0..4 {
                let channel = channel.clone();
                tandem::spawn(async move {
                    for i in 0..PER_PRODUCER {
                        channel.send(p * PER_PRODUCER + i);
                        if i % 16 == 0 {
                            tandem::task::yield_now().await;
                        }
                    }
                });
            }
            let mut sum = 0;
            for consumer in consumers {
                sum += consumer.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..4 * PER_PRODUCER).sum::<usize>());
    });
}

#[test]
fn notify_waiters_reaches_futures_created_before_it() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let notify = Arc::new(Notify::new());
            let polled = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for i in 0..8 {
                let notified = notify.clone().notified_owned();
                let polled = polled.clone();
                handles.push(tandem::spawn(async move {
                    // Half of them are polled before the call, half only after.
                    if i % 2 == 0 {
                        polled.fetch_add(1, SeqCst);
                    }
                    notified.await;
                }));
            }
            while polled.load(SeqCst) < 4 {
                tandem::task::yield_now().await;
            }
            notify.notify_waiters();
            let late = notify.notified();
            for handle in handles {
                handle.await.unwrap();
            }
            // No permit was stored: a future created after the call still waits.
            tandem::pin!(late);
            assert!(!late.as_mut().enable());
            notify.notify_one();
            late.await;
        });
    });
}

#[test]
fn barrier_has_one_leader_per_generation() {
    const TASKS: usize = 8;
    const GENERATIONS: usize = 20;
    each_flavor(|_, rt| {
        let barrier = Arc::new(Barrier::new(TASKS));
        let leaders = rt.block_on(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|_| {
                    let barrier = barrier.clone();
                    tandem::spawn(async move {
                        let mut led = 0;
                        for _ in 0..GENERATIONS {
                            if barrier.wait().await.is_leader() {
                                led += 1;
                            }
                        }
                        led
                    })
                })
                .collect();
            let mut leaders = 0;
            for handle in handles {
                leaders += handle.await.unwrap();
            }
            leaders
        });
        assert_eq!(leaders, GENERATIONS);
    });
}
