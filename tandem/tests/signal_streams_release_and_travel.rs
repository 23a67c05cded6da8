//! A signal stream as Tokio's: dropped while waiting, it lets go of its waker (it stayed in the
//! signal's listeners until the next delivery, holding its task; a stream per connection grew
//! that list without bound); awaited in a runtime other than the one it was made in, which is
//! gone or idle, it still sees deliveries (only runtimes that had called `signal` watched the
//! signal pipe, so nobody dispatched them and `recv` hung).

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;
use tandem::runtime::{Builder, Runtime};
use tandem::signal::unix::{signal, SignalKind};

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn a_stream_dropped_while_waiting_lets_go_of_its_waker() {
    current_thread().block_on(async {
        // Nothing in this binary raises SIGWINCH.
        let waiting: Vec<Arc<CountingWaker>> = (0..1000)
            .map(|_| {
                let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
                let mut stream = signal(SignalKind::window_change()).unwrap();
                let waker = Waker::from(counter.clone());
                assert!(stream
                    .poll_recv(&mut Context::from_waker(&waker))
                    .is_pending());
                counter
            })
            .collect();
        let held = waiting.iter().filter(|c| Arc::strong_count(c) > 1).count();
        assert_eq!(held, 0, "{held} wakers of dropped streams are still held");
    });
}

#[test]
fn a_stream_awaited_in_another_runtime_sees_deliveries() {
    for origin_dropped in [true, false] {
        let origin = current_thread();
        let mut stream = origin.block_on(async { signal(SignalKind::user_defined1()).unwrap() });
        let idle_origin = match origin_dropped {
            true => {
                drop(origin);
                None
            }
            // Alive, never driven again.
            false => Some(origin),
        };
        let other = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let what = format!("a delivery to a stream of another runtime (dropped: {origin_dropped})");
        hang_guard::within(Duration::from_secs(10), &what, move || {
            other.block_on(async move {
                tandem::spawn(async {
                    tandem::time::sleep(Duration::from_millis(100)).await;
                    // SAFETY: raising a signal this process handles (the stream installed it).
                    unsafe { libc::raise(libc::SIGUSR1) };
                });
                stream.recv().await;
            });
        });
        drop(idle_origin);
    }
}
