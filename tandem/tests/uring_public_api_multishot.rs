//! `tandem::uring`'s multishot operations: a stream of completions from one entry, ended by the
//! kernel's final CQE, cancelled when dropped (from any thread), on every flavour. The source of
//! completions is a multishot timeout (Linux 6.4), which ticks a known number of times.

mod support;
mod uring_ops;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use support::{flavors, run_flavor, Flavor};
use tandem::runtime::{Runtime, UringMode};
use tandem::uring::io_uring::opcode;
use tandem::uring::{submit_multishot, OpStream};
use uring_ops::{each_ring_flavor, Counters, Ticks};

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<OpStream<Ticks>>();
};

fn in_flight(rt: &Runtime) -> u64 {
    let total = rt.handle().metrics().io_uring().total();
    total.submitted - total.completed
}

/// Five ticks, then the end; the stream may move between tasks on the way.
#[test]
fn a_multishot_timeout_ticks_then_ends() {
    each_ring_flavor(|_, rt| {
        let counters = Arc::new(Counters::default());
        let mut ticks = submit_multishot(Ticks::new(Duration::from_millis(1), 5, &counters));
        let items = rt.block_on(async {
            let first = ticks.next().await.unwrap().unwrap();
            // The rest on another task, maybe another worker.
            let rest = tandem::spawn(async move {
                let mut items = Vec::new();
                while let Some(item) = ticks.next().await {
                    items.push(item.unwrap());
                }
                assert!(ticks.next().await.is_none(), "an ended stream stays ended");
                items
            })
            .await
            .unwrap();
            [vec![first], rest].concat()
        });
        assert_eq!(items, [-libc::ETIME; 5]);
        assert_eq!(
            counters.get(),
            (5, 0, 1),
            "five items, nothing released, dropped once"
        );
        assert_eq!(in_flight(&rt), 0, "the final CQE ended the entry (once)");
    });
}

/// Dropping the stream of an endless multishot cancels it: the final CQE comes, is released,
/// and the operation is dropped; from the task itself or from a plain thread.
#[test]
fn dropping_the_stream_cancels_the_operation() {
    each_ring_flavor(|_, rt| {
        for on_plain_thread in [false, true] {
            let counters = Arc::new(Counters::default());
            let mut ticks = submit_multishot(Ticks::new(Duration::from_millis(1), 0, &counters));
            rt.block_on(async {
                for _ in 0..3 {
                    assert_eq!(ticks.next().await.unwrap().unwrap(), -libc::ETIME);
                }
            });
            if on_plain_thread {
                std::thread::spawn(move || drop(ticks)).join().unwrap();
            } else {
                rt.block_on(async move { drop(ticks) });
            }
            rt.block_on(async {
                for _ in 0..10_000 {
                    if in_flight(&rt) == 0 && counters.get().2 == 1 {
                        break;
                    }
                    tandem::time::sleep(Duration::from_millis(1)).await;
                }
            });
            assert_eq!(
                in_flight(&rt),
                0,
                "the cancel never ended the request (dropped on a plain thread: {on_plain_thread}; \
                 rings: {:?})",
                rt.handle().metrics().io_uring().rings
            );
            let (taken, released, dropped) = counters.get();
            assert_eq!((taken, dropped), (3, 1));
            assert!(released >= 1, "the final CQE was not released");
            let results = counters.release_results.lock().unwrap().clone();
            assert_eq!(results.last(), Some(&-libc::ECANCELED), "{results:?}");
        }
    });
}

/// No io_uring: the stream's one item is the error, then it ends.
#[test]
fn uring_mode_off_gives_unsupported() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.builder().io_uring(UringMode::Off).build().unwrap();
            rt.block_on(async {
                let counters = Arc::new(Counters::default());
                let mut ticks =
                    submit_multishot(Ticks::new(Duration::from_millis(1), 1, &counters));
                let err = ticks.next().await.unwrap().unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
                assert!(ticks.next().await.is_none());
                assert_eq!(counters.get(), (0, 0, 1));
                assert!(!tandem::uring::is_supported(opcode::Timeout::CODE));
            });
        });
    }
}

/// A runtime shut down while a task waits on an endless multishot stream: the task is dropped,
/// the stream with it, the request is cancelled (by the stream, and by shutdown's cancel-all),
/// and the operation is released and dropped; shutdown does not wait for ever.
#[test]
fn shutdown_ends_a_multishot_stream() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let Some(rt) = support::ring_runtime(&mut flavor.builder()) else {
                return;
            };
            let counters = Arc::new(Counters::default());
            let ticks = Ticks::new(Duration::from_millis(1), 0, &counters);
            // A oneshot awaited in `block_on`: a current-thread runtime runs its tasks only there.
            let (tx, rx) = tandem::sync::oneshot::channel();
            rt.spawn(async move {
                let mut ticks = submit_multishot(ticks);
                let mut tx = Some(tx);
                while let Some(item) = ticks.next().await {
                    assert_eq!(item.unwrap(), -libc::ETIME);
                    if let Some(tx) = tx.take() {
                        tx.send(()).unwrap();
                    }
                }
                unreachable!("an endless timeout ended before shutdown");
            });
            rt.block_on(rx).unwrap();
            drop(rt);
            let (taken, released, dropped) = counters.get();
            assert!(taken >= 1);
            assert_eq!(dropped, 1, "the operation outlived its runtime");
            assert!(released >= 1, "the final CQE was not released");
        });
    }
}

/// A multishot timeout is on no list the kernel's cancel searches between its expiry and its
/// re-arm, which runs as task work on the thread that submitted it: a cancel landing there is
/// answered `ENOENT` and the timeout goes on ticking. The ring sends the cancel again until
/// the operation's final CQE comes.
#[test]
fn a_cancel_that_lands_before_the_timeout_rearms_is_sent_again() {
    let Some(rt) = support::ring_runtime(&mut Flavor::MULTI_2.builder()) else {
        return;
    };
    let rt = Arc::new(rt);
    let mut starved = StarvedSubmitter::start(&rt);
    let counters = starved.counters.clone();
    starved.stop_starving_after(drop);
    wait_for_the_drop(&counters);
    drop(starved);
    assert_eq!(
        in_flight(&rt),
        0,
        "the cancel never ended the request (rings: {:?})",
        rt.handle().metrics().io_uring().rings
    );
    let results = counters.release_results.lock().unwrap().clone();
    assert_eq!(results.last(), Some(&-libc::ECANCELED), "{results:?}");
}

/// Shutdown's cancel of everything in flight can land in the same window: it goes again on
/// each round of the shutdown's wait and then from the reaper thread, until the request ends
/// (its operation is dropped) although the thread that submitted it lives on.
#[test]
fn a_cancel_all_at_shutdown_that_lands_before_the_timeout_rearms_is_sent_again() {
    let Some(rt) = support::ring_runtime(&mut Flavor::MULTI_2.builder()) else {
        return;
    };
    let rt = Arc::new(rt);
    let mut starved = StarvedSubmitter::start(&rt);
    let counters = starved.counters.clone();
    let ticks = starved.stop_starving_after(move |ticks| {
        let rt = Arc::into_inner(rt).expect("the submitter let its handle go");
        rt.shutdown_timeout(Duration::from_millis(5));
        ticks
    });
    // The ring is closed: the stream's own cancel is not sent.
    drop(ticks);
    // With the submitter alive: its exit would cancel its requests.
    wait_for_the_drop(&counters);
    drop(starved);
    assert_eq!(counters.get().2, 1, "the operation outlived the runtime");
}

/// The thread that submitted a multishot timeout (from `block_on` on a multi-thread runtime,
/// so on the shared ring, where its task work is that thread's) starved of CPU: it runs at
/// `SCHED_IDLE` on one CPU beside a busy thread, so the timeout, once expired, waits long to
/// re-arm, and a cancel sent meanwhile finds nothing.
struct StarvedSubmitter {
    counters: Arc<Counters>,
    ticks: Option<OpStream<Ticks>>,
    cpu: usize,
    /// Taken to let the submitter end (when this is dropped: its exit would cancel its
    /// requests).
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StarvedSubmitter {
    fn start(rt: &Arc<Runtime>) -> StarvedSubmitter {
        let cpu = last_allowed_cpu();
        let counters = Arc::new(Counters::default());
        let (to_main, from_submitter) = std::sync::mpsc::channel();
        let (release, parked) = std::sync::mpsc::channel::<()>();
        let thread = {
            let (rt, counters) = (rt.clone(), counters.clone());
            std::thread::spawn(move || {
                pin_to(cpu);
                let mut ticks =
                    submit_multishot(Ticks::new(Duration::from_millis(1), 0, &counters));
                // The first poll submits the timeout, from this thread.
                rt.block_on(async {
                    assert_eq!(ticks.next().await.unwrap().unwrap(), -libc::ETIME);
                });
                drop(rt);
                let param = libc::sched_param { sched_priority: 0 };
                // SAFETY: plain syscall on the calling thread (pid 0), with a valid parameter.
                let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
                assert_eq!(rc, 0, "{}", io::Error::last_os_error());
                to_main.send(ticks).unwrap();
                let _ = parked.recv();
            })
        };
        let ticks = from_submitter.recv().unwrap();
        StarvedSubmitter {
            counters,
            ticks: Some(ticks),
            cpu,
            release: Some(release),
            thread: Some(thread),
        }
    }

    /// Keeps the submitter's CPU busy while the timer fires, runs `then` on the stream, stops
    /// starving the submitter and returns what `then` did.
    fn stop_starving_after<R>(&mut self, then: impl FnOnce(OpStream<Ticks>) -> R) -> R {
        let busy = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let spinner = {
            let (busy, cpu) = (busy.clone(), self.cpu);
            std::thread::spawn(move || {
                pin_to(cpu);
                while busy.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        // The timer fires (every millisecond) while the submitter cannot run to re-arm it.
        std::thread::sleep(Duration::from_millis(20));
        let done = then(self.ticks.take().expect("starved once"));
        std::thread::sleep(Duration::from_millis(30));
        busy.store(false, std::sync::atomic::Ordering::Relaxed);
        spinner.join().unwrap();
        done
    }
}

impl Drop for StarvedSubmitter {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let ended = thread.join();
            if !std::thread::panicking() {
                ended.unwrap();
            }
        }
    }
}

/// Waits (two seconds at most) until the operation was dropped: its final CQE came.
fn wait_for_the_drop(counters: &Counters) {
    for _ in 0..2_000 {
        if counters.get().2 == 1 {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
/// The highest-numbered CPU this thread may run on.
fn last_allowed_cpu() -> usize {
    // SAFETY: `set` is a plain bit set the call fills in; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let rc = libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set);
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        (0..libc::CPU_SETSIZE as usize)
            .rev()
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .expect("a thread may run somewhere")
    }
}

fn pin_to(cpu: usize) {
    // SAFETY: as in `last_allowed_cpu`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let rc = libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    }
}
