//! Shared helpers for Tandem's integration tests.
//!
//! Every runtime-behaviour test runs on each runtime flavour returned by
//! [`flavors`]: current-thread, and multi-thread with 1, 2 and 8 workers.
//! [`each_flavor`] builds a fresh runtime per flavour and prefixes any panic
//! with the flavour's name so failures say where they happened.
//!
//! Only APIs whose names are shared with Tokio are used here, so the same
//! files compile against Tokio (renamed to `tandem`) for cross-checking.
#![allow(dead_code)]

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

use tandem::runtime::{Builder, Runtime};

/// Prefix of the message of every panic a test triggers on purpose. The panic
/// hook installed by [`silence_expected_panics`] stays quiet for them (only for
/// messages that *start* with it, so assertion failures quoting it still show).
pub const EXPECTED_PANIC: &str = "[expected test panic]";

/// One runtime configuration under test.
#[derive(Clone, Copy, Debug)]
pub struct Flavor {
    pub name: &'static str,
    /// `None` = current-thread runtime, `Some(n)` = multi-thread with `n` workers.
    pub workers: Option<usize>,
}

impl Flavor {
    pub const CURRENT_THREAD: Flavor = Flavor {
        name: "current_thread",
        workers: None,
    };
    pub const MULTI_1: Flavor = Flavor {
        name: "multi_thread(1)",
        workers: Some(1),
    };
    pub const MULTI_2: Flavor = Flavor {
        name: "multi_thread(2)",
        workers: Some(2),
    };
    pub const MULTI_8: Flavor = Flavor {
        name: "multi_thread(8)",
        workers: Some(8),
    };

    /// A builder for this flavour with `enable_all()` applied; callers may add
    /// more settings before `build()`.
    pub fn builder(&self) -> Builder {
        let mut b = match self.workers {
            None => Builder::new_current_thread(),
            Some(n) => {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(n);
                b
            }
        };
        b.enable_all();
        b
    }

    pub fn build(&self) -> Runtime {
        self.builder()
            .build()
            .unwrap_or_else(|e| panic!("[{}] failed to build runtime: {e}", self.name))
    }

    pub fn is_multi_thread(&self) -> bool {
        self.workers.is_some()
    }

    /// Number of threads that poll tasks (1 for current-thread).
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or(1)
    }
}

/// All flavours every runtime-behaviour test runs on.
pub fn flavors() -> Vec<Flavor> {
    vec![
        Flavor::CURRENT_THREAD,
        Flavor::MULTI_1,
        Flavor::MULTI_2,
        Flavor::MULTI_8,
    ]
}

/// Runs `f` once per flavour with a freshly built runtime. A panic inside `f`
/// is re-raised with the flavour name prepended.
pub fn each_flavor(f: impl Fn(Flavor, Runtime)) {
    for flavor in flavors() {
        run_flavor(flavor, |fl| f(fl, fl.build()));
    }
}

/// Runs `f` for one flavour, re-raising any panic with the flavour name prepended.
pub fn run_flavor(flavor: Flavor, f: impl FnOnce(Flavor)) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| f(flavor))) {
        panic!("[flavor {}] {}", flavor.name, panic_message(&*payload));
    }
}

/// Extracts the message of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Installs (once per process) a panic hook that suppresses the report of
/// panics whose message starts with [`EXPECTED_PANIC`] and forwards every other
/// panic to the previous (default) hook.
pub fn silence_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if panic_message(info.payload()).starts_with(EXPECTED_PANIC) {
                return;
            }
            previous(info);
        }));
    });
}

/// Polls `cond` (sleeping 1 ms between checks) until it is true or `timeout`
/// elapses. Returns whether the condition became true. Used only where an
/// effect happens asynchronously on another thread; the timeout is a hang
/// detector, never the thing under test.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Async counterpart of [`wait_until`]: yields to the runtime between checks
/// (so a current-thread runtime keeps running its tasks).
pub async fn wait_until_async(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tandem::task::yield_now().await;
    }
}

/// Number of threads of this process (entries of `/proc/self/task`).
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("read /proc/self/task")
        .count()
}

/// Resident set size of this process in bytes (`VmRSS` of `/proc/self/status`,
/// the same counter as the second field of `/proc/self/statm`, but already in
/// kB so no page-size lookup is needed).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line in /proc/self/status");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kb * 1024
}

/// Makes a FIFO at `path` (mode 0600), for reads that stay in flight until something is written.
pub fn make_fifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL in path");
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {path:?}"
    );
}

/// Number of open file descriptors of this process (entries of `/proc/self/fd`, counting the
/// one `read_dir` itself holds open, so two calls in the same state agree).
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// The fd count once it has settled: the least of 20 counts 5 ms apart (a runtime's threads may
/// still be closing descriptors they were handed).
pub fn settled_fd_count() -> usize {
    let mut min = fd_count();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(5));
        min = min.min(fd_count());
    }
    min
}

/// Waits up to 5 s for the fd count to be exactly `expected`; panics, naming `what`, if not.
pub fn assert_fd_count_returns_to(expected: usize, what: &str) {
    let back = wait_until(Duration::from_secs(5), || fd_count() == expected);
    assert!(
        back,
        "fd count {what} is {}, expected exactly {expected}",
        fd_count()
    );
}

/// The value of `key` in this process's environment: set when this test binary was re-run as
/// a child by [`run_child`].
pub fn child_role(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Re-runs this test binary for just `test` (exact name) with `key=value` in its environment,
/// and returns how it ended. Used for what must not run in the test harness's own process:
/// lowered resource limits, a default SIGPIPE disposition. A child still running after
/// [`CHILD_TIMEOUT`] is killed (a hang detector, not part of what is tested).
pub fn run_child(test: &str, key: &str, value: &str) -> std::process::Output {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(key, value)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to run the test binary as a child");
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "child {test} ({key}={value}) still running after {CHILD_TIMEOUT:?}: hung?\n{}",
                String::from_utf8_lossy(&stdout.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// How long [`run_child`] lets a child run.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

/// Panics with the child's output unless it exited successfully (not by a signal).
pub fn assert_child_ok(what: &str, out: &std::process::Output) {
    use std::os::unix::process::ExitStatusExt;
    if !out.status.success() {
        panic!(
            "{what}: child {} (signal {:?})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            out.status.signal(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
    }
}

/// A flavour by name (as [`Flavor::name`]).
pub fn flavor_named(name: &str) -> Flavor {
    flavors()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no flavour named {name:?}"))
}

/// CPU time (user + system) this process has used so far, from `getrusage` (which needs no
/// descriptor, so it works even when the process has none left).
pub fn process_cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF is always valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage failed");
    // SAFETY: getrusage returned 0, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A builder for a current-thread runtime (`workers == 0`) or a multi-thread one with `workers`
/// workers.
pub fn builder_with_workers(workers: usize) -> Builder {
    if workers == 0 {
        Builder::new_current_thread()
    } else {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    }
}

/// A runtime from `builder` with every driver, io_uring on (`Auto`), and no page-cache-first
/// reads, so every file operation goes through a ring. `None`, said on stderr, where io_uring
/// is unavailable: a test of the rings then has nothing to check.
pub fn ring_runtime(builder: &mut Builder) -> Option<Runtime> {
    let rt = builder
        .enable_all()
        .io_uring(tandem::runtime::UringMode::Auto)
        .fs_nowait_first(false)
        .build()
        .unwrap();
    if !rt.handle().metrics().io_uring().enabled {
        eprintln!("io_uring is unavailable here: the test has nothing to check");
        return None;
    }
    Some(rt)
}

/// Lowers this process's soft `RLIMIT_NOFILE` to `limit` (tests of running out of fds run in a
/// child process).
pub fn set_fd_limit(limit: u64) {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills the struct we pass.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    rl.rlim_cur = limit;
    // SAFETY: setrlimit reads the struct we pass; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
}

/// The highest open descriptor number of this process.
pub fn highest_fd() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap()
}

/// A runtime of `flavor` with TCP over io_uring (`Builder::net_io_uring`); `None`, said on
/// stderr, where io_uring is unavailable.
pub fn net_uring_runtime(flavor: Flavor) -> Option<Runtime> {
    let rt = flavor.builder().net_io_uring(true).build().unwrap();
    if !rt.handle().metrics().io_uring().enabled {
        eprintln!("io_uring is unavailable here: the test has nothing to check");
        return None;
    }
    Some(rt)
}

/// Leaves this process `spare` descriptor numbers below its soft `RLIMIT_NOFILE`, held by the
/// returned placeholders (`/dev/null`), and none free: the next open fails with `EMFILE` until
/// one is dropped. For tests of running out of fds, in a child process.
pub fn use_up_fds(spare: u64) -> Vec<std::os::fd::OwnedFd> {
    set_fd_limit(highest_fd() + 1 + spare);
    let mut placeholders = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => placeholders.push(f.into()),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => return placeholders,
            Err(e) => panic!("unexpected error filling descriptors: {e}"),
        }
    }
}

/// A waker that holds `held`, as a task holds what it waits on (a listener, a stream), and the
/// flag the drop of its last clone sets: for tests that a runtime lets go of every waker that
/// would keep what it holds alive.
pub fn holding_waker<T: Send + Sync + 'static>(
    held: T,
) -> (
    std::task::Waker,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waker = std::task::Waker::from(std::sync::Arc::new(HoldingWaker {
        _held: held,
        dropped: dropped.clone(),
    }));
    (waker, dropped)
}

struct HoldingWaker<T> {
    _held: T,
    dropped: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<T: Send + Sync + 'static> std::task::Wake for HoldingWaker<T> {
    fn wake(self: std::sync::Arc<Self>) {}
}

impl<T> Drop for HoldingWaker<T> {
    fn drop(&mut self) {
        self.dropped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
