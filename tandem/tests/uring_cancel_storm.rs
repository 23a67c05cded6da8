//! Operations dropped at every point of their life leak nothing and free nothing early.
//!
//! 100,000 reads and 10,000 opens, each dropped at a random point (before its first poll,
//! after submission, or after completion but before the next poll) on the worker that polled it,
//! on another task (likely another worker), or on a thread outside the runtime. Afterwards every
//! buffer has been dropped exactly once, and the process's fd count is exactly its baseline (an
//! open that completed after its future was dropped had its fd closed). Runs on both backends.
//!
//! `TANDEM_STORM_SCALE` divides the counts (the valgrind run in `scripts/test.sh` uses it).
//! This must be the only test in this binary: the fd count is process-wide.

#[path = "support/guard_buf.rs"]
mod guard_buf;
mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Context;

use guard_buf::{Counts, GuardBuf};
use support::{fd_count, wait_until};
use tandem::runtime::UringMode;

const READS: usize = 100_000;
const OPENS: usize = 10_000;
const FILE_LEN: u64 = 1 << 20;
/// Operations started per batch (each batch is awaited before the next).
const BATCH: usize = 500;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where an operation's future is dropped, and when.
#[derive(Clone, Copy, Debug)]
enum DropAt {
    BeforePoll,
    AfterSubmit,
    AfterCompletion,
}

#[derive(Clone, Copy, Debug)]
enum DropOn {
    SameTask,
    OtherTask,
    PlainThread,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Polls `fut` once with a no-op waker.
fn poll_once(fut: &mut BoxFuture) -> bool {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    fut.as_mut().poll(&mut cx).is_ready()
}

async fn storm(path: Arc<std::path::PathBuf>, counts: Arc<Counts>, reads: usize, opens: usize) {
    let file = Arc::new(tandem::fs::File::open(&*path).await.unwrap());
    let (tx, mut rx) = tandem::sync::mpsc::unbounded_channel::<BoxFuture>();
    // The "other task": drops whatever it is sent.
    let dropper = tandem::spawn(async move { while rx.recv().await.is_some() {} });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let total = reads + opens;
    let mut started = 0;
    while started < total {
        let mut batch = Vec::new();
        for _ in 0..BATCH.min(total - started) {
            let is_read = started < reads;
            started += 1;
            let at = match rng.next() % 3 {
                0 => DropAt::BeforePoll,
                1 => DropAt::AfterSubmit,
                _ => DropAt::AfterCompletion,
            };
            let on = match rng.next() % 3 {
                0 => DropOn::SameTask,
                1 => DropOn::OtherTask,
                _ => DropOn::PlainThread,
            };
            let offset = (rng.next() % (FILE_LEN / 4096)) * 4096;
            let fut: BoxFuture = if is_read {
                let file = file.clone();
                let buf = GuardBuf::new(4096, &counts);
                Box::pin(async move {
                    let (res, buf) = file.read_at(buf, offset).await;
                    assert_eq!(res.unwrap(), buf.bytes().len());
                })
            } else {
                let path = path.clone();
                Box::pin(async move {
                    drop(tandem::fs::File::open(&*path).await.unwrap());
                })
            };
            let tx = tx.clone();
            batch.push(tandem::spawn(async move {
                let mut fut = fut;
                match at {
                    DropAt::BeforePoll => {}
                    DropAt::AfterSubmit => {
                        if poll_once(&mut fut) {
                            return;
                        }
                    }
                    DropAt::AfterCompletion => {
                        if poll_once(&mut fut) {
                            return;
                        }
                        // Let the ring submit and reap (the completion is stored, the future
                        // not polled again).
                        for _ in 0..3 {
                            tandem::task::yield_now().await;
                        }
                    }
                }
                match on {
                    DropOn::SameTask => drop(fut),
                    DropOn::OtherTask => drop(tx.send(fut)),
                    DropOn::PlainThread => {
                        std::thread::spawn(move || drop(fut)).join().unwrap();
                    }
                }
            }));
        }
        for task in batch {
            task.await.unwrap();
        }
    }
    drop(tx);
    dropper.await.unwrap();
}

fn settled_fd_count() -> usize {
    let mut min = fd_count();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        min = min.min(fd_count());
    }
    min
}

#[test]
fn dropped_operations_leak_nothing() {
    let scale: usize = std::env::var("TANDEM_STORM_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let path =
        Arc::new(std::env::temp_dir().join(format!("tandem-uring-storm-{}", std::process::id())));
    std::fs::write(&*path, vec![1u8; FILE_LEN as usize]).unwrap();
    let baseline = settled_fd_count();
    // `nowait_first: false` sends every read through the ring or the pool, where it can be
    // dropped in flight; the default (`true`) serves these cached reads at their first poll, so
    // its iteration drops reads before that poll or after completion, and opens anywhere.
    for (mode, workers, nowait_first) in [
        (UringMode::Auto, 2, false),
        (UringMode::Off, 2, false),
        (UringMode::Auto, 0, false),
        (UringMode::Auto, 2, true),
    ] {
        let counts = Arc::new(Counts::default());
        let mut builder = support::builder_with_workers(workers);
        let rt = builder
            .enable_all()
            .io_uring(mode)
            .fs_nowait_first(nowait_first)
            .build()
            .unwrap();
        rt.block_on(storm(
            path.clone(),
            counts.clone(),
            READS / scale,
            OPENS / scale,
        ));
        let stats = rt.handle().metrics().io_uring();
        drop(rt);
        let what = format!("{mode:?} with {workers} workers, nowait_first {nowait_first}");
        assert_eq!(
            counts.created(),
            counts.dropped(),
            "{what}: buffers created vs dropped"
        );
        if mode == UringMode::Auto && stats.enabled {
            let total = stats.total();
            assert_eq!(total.submitted, total.completed, "{what}: {total:?}");
            assert!(
                total.cancelled > 0,
                "{what}: nothing was cancelled: {total:?}"
            );
        }
        let back = wait_until(std::time::Duration::from_secs(5), || fd_count() == baseline);
        assert!(
            back,
            "{what}: fd count is {} after the runtime, baseline {baseline}",
            fd_count()
        );
    }
    std::fs::remove_file(&*path).unwrap();
}
