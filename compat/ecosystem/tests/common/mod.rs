//! Shared harness of the ecosystem matrix: every program runs on both Tokio runtime flavours, and
//! after each run the process must hold no more file descriptors and (after a warm-up run) no
//! more heap than before, so that a runtime that leaks sockets, timers or tasks on shutdown fails
//! here even when the program's own assertions pass.
//!
//! Each file under `tests/` is its own binary and includes this module, so each gets its own
//! counting allocator.

// Each test binary uses only part of the harness.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts the bytes currently allocated through the global allocator.
pub struct CountingAlloc;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// How much the heap may grow between the warm-up run and the measured run: allocator-visible
/// noise such as the test harness's own output buffers, not a leak of a connection or a task.
const MEMORY_SLACK: usize = 64 * 1024;

/// Closes (of sockets by a runtime's I/O driver, of threads' resources on exit) can lag a little
/// behind the runtime's drop.
const SETTLE: Duration = Duration::from_secs(1);

/// No program here needs more than a few seconds; a hang must fail rather than stall the suite.
const PROGRAM_LIMIT: Duration = Duration::from_secs(60);

/// fd counting and memory counting are process-wide: two programs at once would see each other's
/// descriptors and allocations, so the harness runs one at a time even if libtest's threads do not.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy, Debug)]
enum Flavour {
    CurrentThread,
    MultiThread,
}

/// The process's open descriptors, each with what it points at.
pub fn open_fds() -> BTreeMap<i32, String> {
    let mut fds = BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("read /proc/self/fd") {
        let entry = entry.expect("entry of /proc/self/fd");
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        // The directory handle of this read_dir is listed too, on every call alike.
        if let Ok(target) = std::fs::read_link(entry.path()) {
            fds.insert(fd, target.display().to_string());
        }
    }
    fds
}

fn assert_fds_back(name: &str, flavour: Flavour, before: &BTreeMap<i32, String>) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = open_fds();
        if now.len() <= before.len() {
            return;
        }
        if Instant::now() >= deadline {
            let leaked: Vec<String> = now
                .iter()
                .filter(|(fd, target)| before.get(fd) != Some(target))
                .map(|(fd, target)| format!("{fd} -> {target}"))
                .collect();
            panic!(
                "{name} ({flavour:?}): {} fds open before, {} after the runtime was dropped; \
                 new: {leaked:?}",
                before.len(),
                now.len()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_once<F, Fut>(name: &str, flavour: Flavour, make: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = match flavour {
        Flavour::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Flavour::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .expect("build runtime");
    rt.block_on(async {
        tokio::time::timeout(PROGRAM_LIMIT, make())
            .await
            .unwrap_or_else(|_| panic!("{name} ({flavour:?}) ran longer than {PROGRAM_LIMIT:?}"))
    });
    rt.shutdown_timeout(Duration::from_secs(5));
}

/// Runs the program `make` builds on a current-thread runtime and on a two-worker multi-thread
/// runtime, twice each, checking descriptors after every run and heap growth between the warm-up
/// run (which fills the libraries' lazy statics) and the second one.
pub fn on_both_flavours<F, Fut>(name: &str, make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    // A program that failed under the lock poisons it; the next test must still run.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // A runtime's own process-wide state outlives it (Tokio's signal driver keeps a socket pair
    // for the life of the process): create it before taking the baseline.
    static RUNTIME_STATICS: std::sync::Once = std::sync::Once::new();
    RUNTIME_STATICS.call_once(|| {
        for flavour in [Flavour::CurrentThread, Flavour::MultiThread] {
            run_once("runtime warm-up", flavour, &|| async {});
        }
    });
    for flavour in [Flavour::CurrentThread, Flavour::MultiThread] {
        let fds_before = open_fds();

        let started = Instant::now();
        run_once(name, flavour, &make);
        assert_fds_back(name, flavour, &fds_before);
        std::thread::sleep(Duration::from_millis(50));
        let heap_after_warm_up = live_bytes();

        run_once(name, flavour, &make);
        assert_fds_back(name, flavour, &fds_before);
        let deadline = Instant::now() + SETTLE;
        loop {
            let heap = live_bytes();
            if heap <= heap_after_warm_up + MEMORY_SLACK {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} ({flavour:?}): {heap} live heap bytes after the second run, \
                 {heap_after_warm_up} after the first: {} more than the {MEMORY_SLACK} slack",
                heap - heap_after_warm_up - MEMORY_SLACK
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{name} ({flavour:?}): two runs in {:?}", started.elapsed());
    }
}

/// An axum server on an ephemeral loopback port, stopped gracefully so that its listener and
/// connections are closed before the runtime goes away.
pub struct AxumServer {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl AxumServer {
    pub async fn start(router: axum::Router) -> AxumServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .expect("axum::serve");
        });
        AxumServer { addr, stop, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Waits for the server to finish its open connections; clients must be dropped first.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("server task");
    }
}
