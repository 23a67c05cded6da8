//! Exhaustive task-lifecycle combinations.
//!
//! Proves, for every combination of
//!
//! ```text
//!   runtime flavour   {current-thread, multi-thread(1), multi-thread(2)}
//! x panic mode        {none, panic in poll, panic in drop}
//! x JoinHandle fate   {dropped before first poll, dropped while pending,
//!                      dropped after completion, kept and awaited}
//! x abort             {never, before first poll, while pending, after completion}
//! ```
//!
//! (3 x 3 x 4 x 4 = 144 cases) that:
//!
//!   * the task's future is dropped exactly once (never leaked, never twice),
//!     also after the runtime itself is dropped;
//!   * the drop happened before completion became observable (the Drop impl
//!     bumps a counter, and whoever observes completion — `JoinHandle::await`
//!     returning or `JoinHandle::is_finished()` turning true — checks it);
//!   * a future aborted "before first poll" is never polled;
//!   * the JoinHandle's result follows this table (abort after completion is
//!     a no-op):
//!
//! ```text
//! no abort (or abort after completion), no panic  -> Ok(output)
//! abort before completion, no panic in drop       -> Err(is_cancelled)
//! panic in poll, not aborted before completion    -> Err(is_panic), payload
//!                                                    recoverable via into_panic
//! panic in drop (any abort)                       -> Err(is_panic), payload is
//!                                                    the drop panic's
//! ```
//!
//! Tandem's rule for panics in a future's destructor: a panic while dropping
//! the future is reported as the task's panic (JoinError::is_panic carrying the
//! drop panic's payload), whether the drop happens right after the future
//! produced its output (the output is then discarded) or while cancelling it.
//! Tokio behaves the same way (its harness drops the future inside the same
//! catch_unwind as the poll, and inside a catch_unwind when cancelling).
//!
//! "Before first poll" is made deterministic: on the current-thread runtime the
//! driver (the `block_on` future) does not yield between spawn and abort; on
//! the multi-thread runtime every worker is first parked inside an "occupier"
//! task that blocks its thread until released, so nothing can poll the new task.
//!
//! The panics triggered on purpose are caught by the runtime; their messages
//! are silenced with a filtering panic hook.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use support::{
    panic_message, run_flavor, silence_expected_panics, wait_until_async, Flavor, EXPECTED_PANIC,
};
use tandem::runtime::Handle;
use tandem::sync::{oneshot, Notify};
use tandem::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_secs(20);
const OUTPUT: u32 = 42;

/// Number of times `Occupiers::occupy` had to nudge the runtime (see there).
static NUDGES: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PanicMode {
    None,
    InPoll,
    InDrop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HandleFate {
    DropBeforeFirstPoll,
    DropWhilePending,
    DropAfterCompletion,
    KeepAndAwait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Abort {
    Never,
    BeforeFirstPoll,
    WhilePending,
    AfterCompletion,
}

const PANIC_MODES: [PanicMode; 3] = [PanicMode::None, PanicMode::InPoll, PanicMode::InDrop];
const HANDLE_FATES: [HandleFate; 4] = [
    HandleFate::DropBeforeFirstPoll,
    HandleFate::DropWhilePending,
    HandleFate::DropAfterCompletion,
    HandleFate::KeepAndAwait,
];
const ABORTS: [Abort; 4] = [
    Abort::Never,
    Abort::BeforeFirstPoll,
    Abort::WhilePending,
    Abort::AfterCompletion,
];

fn poll_panic_msg() -> String {
    format!("{EXPECTED_PANIC} panic in poll")
}
fn drop_panic_msg() -> String {
    format!("{EXPECTED_PANIC} panic in drop")
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok(u32),
    Cancelled,
    Panic(String),
}

/// The result table from the file header.
fn expected(panic: PanicMode, abort: Abort) -> Outcome {
    let aborted_before_completion = matches!(abort, Abort::BeforeFirstPoll | Abort::WhilePending);
    match (panic, aborted_before_completion) {
        (PanicMode::InDrop, _) => Outcome::Panic(drop_panic_msg()),
        (_, true) => Outcome::Cancelled,
        (PanicMode::InPoll, false) => Outcome::Panic(poll_panic_msg()),
        (PanicMode::None, false) => Outcome::Ok(OUTPUT),
    }
}

/// The future under test: pending until `release` fires, then completes with
/// `OUTPUT` (or panics, in `PanicMode::InPoll`). Its destructor bumps `drops`
/// (and panics, in `PanicMode::InDrop`).
struct Probe {
    mode: PanicMode,
    release: oneshot::Receiver<()>,
    polled: Arc<AtomicBool>,
    first_poll: Arc<Notify>,
    drops: Arc<AtomicUsize>,
    /// Held for the whole body of `poll`. After the driver has seen the first
    /// poll it takes this lock once, so it knows the poll has finished
    /// registering with `release` and returned `Pending`: an abort issued
    /// after that is an abort of an idle task, never a race with a running poll
    /// (a poll that completes while the abort is in flight legitimately yields Ok).
    in_poll: Arc<Mutex<()>>,
}

impl Future for Probe {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let in_poll = self.in_poll.clone();
        let _in_poll = in_poll.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            self.drops.load(SeqCst),
            0,
            "future polled after it was dropped"
        );
        if !self.polled.swap(true, SeqCst) {
            self.first_poll.notify_one();
        }
        match Pin::new(&mut self.release).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                if self.mode == PanicMode::InPoll {
                    panic!("{}", poll_panic_msg());
                }
                Poll::Ready(OUTPUT)
            }
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.mode == PanicMode::InDrop && !std::thread::panicking() {
            panic!("{}", drop_panic_msg());
        }
    }
}

/// Parks every worker of a multi-thread runtime inside a task that blocks its
/// thread until `release()` is called, so that a task spawned in the meantime
/// cannot be polled by anybody.
struct Occupiers {
    release: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl Occupiers {
    /// Must be called from a thread that is not a worker (here: inside the
    /// multi-thread runtime's `block_on`, which runs on the test thread).
    fn occupy(handle: &Handle, workers: usize) -> Occupiers {
        let release = Arc::new(AtomicBool::new(false));
        let arrived = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        // Spawn them one at a time, each only after the previous one is running
        // and blocking its worker: then the remaining idle workers are the only
        // ones that can pick the next one up. Each occupier blocks its thread,
        // so `workers` of them running at once means every worker is occupied.
        for k in 1..=workers {
            let release = release.clone();
            let arrived2 = arrived.clone();
            handles.push(handle.spawn(async move {
                arrived2.fetch_add(1, SeqCst);
                let deadline = Instant::now() + TIMEOUT;
                while !release.load(SeqCst) {
                    assert!(Instant::now() < deadline, "occupier never released");
                    std::thread::sleep(Duration::from_micros(200));
                }
            }));
            let deadline = Instant::now() + TIMEOUT;
            let mut waited = 0u32;
            while arrived.load(SeqCst) < k {
                assert!(
                    Instant::now() < deadline,
                    "a task spawned (via Handle::spawn from a non-worker thread) while {} of \
                     {workers} workers were busy was not picked up by an idle worker",
                    k - 1
                );
                std::thread::sleep(Duration::from_micros(200));
                waited += 1;
                if waited == 250 {
                    waited = 0;
                    // Nudge: Tokio occasionally (about once in 10,000 occupy
                    // calls under heavy load) leaves a task injected from
                    // outside unnoticed while an idle worker stays parked,
                    // until something else wakes a worker. Another spawn does.
                    // This file tests task lifecycles, not wakeups.
                    NUDGES.fetch_add(1, SeqCst);
                    drop(handle.spawn(async {}));
                }
            }
        }
        Occupiers { release, handles }
    }

    async fn release(self) {
        self.release.store(true, SeqCst);
        for h in self.handles {
            h.await.expect("occupier task failed");
        }
    }
}

struct Row {
    panic: PanicMode,
    fate: HandleFate,
    abort: Abort,
    observed: String,
}

/// Runs one combination on `handle`'s runtime (the caller is inside `block_on`).
async fn run_combo(
    flavor: Flavor,
    handle: &Handle,
    panic: PanicMode,
    fate: HandleFate,
    abort: Abort,
    drops: Arc<AtomicUsize>,
) -> Row {
    let ctx = format!(
        "[{} | panic={panic:?} handle={fate:?} abort={abort:?}]",
        flavor.name
    );
    let polled = Arc::new(AtomicBool::new(false));
    let first_poll = Arc::new(Notify::new());
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let in_poll = Arc::new(Mutex::new(()));
    let probe = Probe {
        in_poll: in_poll.clone(),
        mode: panic,
        release: release_rx,
        polled: polled.clone(),
        first_poll: first_poll.clone(),
        drops: drops.clone(),
    };

    // ---- Phase 0: spawn; nothing can poll the task until we yield / release.
    let occupiers = flavor.workers.map(|n| Occupiers::occupy(handle, n));
    let mut jh: Option<JoinHandle<u32>> = Some(handle.spawn(probe));
    let abort_handle = jh.as_ref().unwrap().abort_handle();
    if abort == Abort::BeforeFirstPoll {
        abort_handle.abort();
    }
    if fate == HandleFate::DropBeforeFirstPoll {
        drop(jh.take());
    }
    assert!(
        !polled.load(SeqCst),
        "{ctx} task polled while every worker was occupied"
    );
    if let Some(occupiers) = occupiers {
        occupiers.release().await;
    }

    // ---- Phase 1: the task is pending (unless it was aborted before its first poll).
    if abort != Abort::BeforeFirstPoll {
        first_poll.notified().await;
        // Wait for that first poll to return (see `Probe::in_poll`).
        drop(in_poll.lock().unwrap_or_else(|e| e.into_inner()));
        assert_eq!(drops.load(SeqCst), 0, "{ctx} future dropped while pending");
    }
    if fate == HandleFate::DropWhilePending {
        drop(jh.take());
    }
    if abort == Abort::WhilePending {
        abort_handle.abort();
    }

    // ---- Phase 2: release the future and observe completion.
    let _ = release_tx.send(());
    let observed = match jh.take() {
        None => {
            // Handle already dropped: completion is only visible through the
            // destructor running.
            assert!(
                wait_until_async(TIMEOUT, || drops.load(SeqCst) >= 1).await,
                "{ctx} future never dropped"
            );
            if abort == Abort::AfterCompletion {
                abort_handle.abort();
            }
            "handle dropped; only the drop seen".to_string()
        }
        Some(jh) => {
            if fate == HandleFate::DropAfterCompletion || abort == Abort::AfterCompletion {
                assert!(
                    wait_until_async(TIMEOUT, || jh.is_finished()).await,
                    "{ctx} JoinHandle::is_finished never became true"
                );
                assert_eq!(
                    drops.load(SeqCst),
                    1,
                    "{ctx} is_finished() was true before the future's destructor ran"
                );
            }
            if abort == Abort::AfterCompletion {
                if fate == HandleFate::DropAfterCompletion {
                    drop(jh);
                    abort_handle.abort();
                    "is_finished() seen, then handle dropped".to_string()
                } else {
                    jh.abort();
                    observe(&ctx, jh, &drops, panic, abort).await
                }
            } else if fate == HandleFate::DropAfterCompletion {
                drop(jh);
                "is_finished() seen, then handle dropped".to_string()
            } else {
                observe(&ctx, jh, &drops, panic, abort).await
            }
        }
    };

    // Give any stray second drop a chance to show up before checking.
    tandem::task::yield_now().await;
    assert_eq!(
        drops.load(SeqCst),
        1,
        "{ctx} future dropped {} times",
        drops.load(SeqCst)
    );
    assert_eq!(
        polled.load(SeqCst),
        abort != Abort::BeforeFirstPoll,
        "{ctx} polled={} (a task aborted before its first poll must never be polled)",
        polled.load(SeqCst)
    );
    Row {
        panic,
        fate,
        abort,
        observed,
    }
}

/// Awaits the JoinHandle and checks the result against the table.
async fn observe(
    ctx: &str,
    jh: JoinHandle<u32>,
    drops: &AtomicUsize,
    panic: PanicMode,
    abort: Abort,
) -> String {
    let id = jh.id();
    let res = jh.await;
    // Completion is observable now: the destructor must already have run.
    assert_eq!(
        drops.load(SeqCst),
        1,
        "{ctx} JoinHandle resolved before the future was dropped"
    );
    let outcome = match res {
        Ok(v) => Outcome::Ok(v),
        Err(e) => {
            assert_eq!(
                e.id(),
                id,
                "{ctx} JoinError::id differs from JoinHandle::id"
            );
            if e.is_cancelled() {
                assert!(!e.is_panic(), "{ctx} error both cancelled and panic");
                Outcome::Cancelled
            } else {
                assert!(
                    e.is_panic(),
                    "{ctx} error neither cancelled nor panic: {e:?}"
                );
                Outcome::Panic(panic_message(&*e.into_panic()))
            }
        }
    };
    let want = expected(panic, abort);
    assert_eq!(outcome, want, "{ctx} unexpected JoinHandle result");
    match outcome {
        Outcome::Ok(v) => format!("Ok({v})"),
        Outcome::Cancelled => "Err(cancelled)".to_string(),
        Outcome::Panic(m) if m == poll_panic_msg() => "Err(panic: poll payload)".to_string(),
        Outcome::Panic(_) => "Err(panic: drop payload)".to_string(),
    }
}

fn run_all_combinations(flavor: Flavor) {
    silence_expected_panics();
    run_flavor(flavor, |flavor| {
        let rt = flavor.build();
        let handle = rt.handle().clone();
        let mut all_drops = Vec::new();
        let mut rows = Vec::new();
        rt.block_on(async {
            for panic in PANIC_MODES {
                for fate in HANDLE_FATES {
                    for abort in ABORTS {
                        let drops = Arc::new(AtomicUsize::new(0));
                        all_drops.push(drops.clone());
                        rows.push(run_combo(flavor, &handle, panic, fate, abort, drops).await);
                    }
                }
            }
        });
        drop(rt);
        for (i, d) in all_drops.iter().enumerate() {
            let r = &rows[i];
            assert_eq!(
                d.load(SeqCst),
                1,
                "[{} | panic={:?} handle={:?} abort={:?}] drop count after runtime drop",
                flavor.name,
                r.panic,
                r.fate,
                r.abort
            );
        }
        let mut table = format!(
            "\ntask lifecycle combinations covered on {} ({} cases, each: dropped exactly once, \
             before completion was observable):\n{:<8} {:<20} {:<16} result\n",
            flavor.name,
            rows.len(),
            "panic",
            "join handle",
            "abort"
        );
        for r in &rows {
            table.push_str(&format!(
                "{:<8} {:<20} {:<16} {}\n",
                format!("{:?}", r.panic),
                format!("{:?}", r.fate),
                format!("{:?}", r.abort),
                r.observed
            ));
        }
        println!("{table}");
        println!(
            "occupy nudges so far in this process: {}",
            NUDGES.load(SeqCst)
        );
    });
}

#[test]
fn lifecycle_combinations_current_thread() {
    run_all_combinations(Flavor::CURRENT_THREAD);
}

#[test]
fn lifecycle_combinations_multi_thread_1() {
    run_all_combinations(Flavor::MULTI_1);
}

#[test]
fn lifecycle_combinations_multi_thread_2() {
    run_all_combinations(Flavor::MULTI_2);
}
