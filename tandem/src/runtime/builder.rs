//! `Builder`: configures and builds a `Runtime`.

use super::runtime::{Runtime, Scheduler};
use super::{Handle, UringMode};
use crate::rt::blocking::{self, BlockingPool, Callback, ThreadHooks, ThreadNameFn};
use crate::rt::scheduler::{self, current_thread, multi_thread, SchedulerHandle};
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Runtime`] with custom settings, with the names and defaults of Tokio's builder.
///
/// ```
/// use tandem::runtime::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(4)
///     .thread_name("my-worker")
///     .thread_stack_size(3 * 1024 * 1024)
///     .enable_all()
///     .build()
///     .unwrap();
/// rt.block_on(async { /* ... */ });
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    thread_name: ThreadNameFn,
    thread_stack_size: Option<usize>,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    on_thread_park: Option<Callback>,
    on_thread_unpark: Option<Callback>,
    keep_alive: Option<Duration>,
    global_queue_interval: Option<u32>,
    event_interval: u32,
    max_io_events_per_tick: usize,
    max_io_events_per_busy_tick: Option<usize>,
    name: Option<String>,
    enable_io: bool,
    enable_time: bool,
    start_paused: bool,
    /// `None`: `TANDEM_IO_URING`, else `Auto`.
    io_uring: Option<UringMode>,
    fs_nowait_first: bool,
    /// `None`: `TANDEM_NET_IO_URING`, else off.
    net_io_uring: Option<bool>,
    /// The worker rings' buffer groups when `net_io_uring` is on.
    net_bufs: crate::rt::uring::NetBufs,
}

/// The environment variable that turns stream sockets' (TCP and Unix) receives and sends over
/// io_uring on (`1`) when the builder was not told ([`Builder::net_io_uring`]). Read by each
/// `build`.
pub const NET_URING_ENV_VAR: &str = "TANDEM_NET_IO_URING";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;
const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Ticks between injection-queue checks (prime, so it does not resonate with task patterns).
const DEFAULT_GLOBAL_QUEUE_INTERVAL: u32 = 61;
/// Ticks between driver polls and shutdown checks.
const DEFAULT_EVENT_INTERVAL: u32 = 61;
/// I/O events one turn of the driver dispatches at most (Tokio's default).
const DEFAULT_MAX_IO_EVENTS_PER_TICK: usize = 1024;

impl Builder {
    /// A builder for the current-thread scheduler: all tasks run on the thread in `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    /// A builder for the multi-thread, work-stealing scheduler.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
            thread_name: Arc::new(|| "tandem-runtime-worker".into()),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            on_thread_park: None,
            on_thread_unpark: None,
            keep_alive: None,
            global_queue_interval: None,
            event_interval: DEFAULT_EVENT_INTERVAL,
            max_io_events_per_tick: DEFAULT_MAX_IO_EVENTS_PER_TICK,
            max_io_events_per_busy_tick: None,
            name: None,
            enable_io: false,
            enable_time: false,
            start_paused: false,
            io_uring: None,
            fs_nowait_first: true,
            net_io_uring: None,
            net_bufs: crate::rt::uring::NetBufs::DEFAULT,
        }
    }

    /// Enables the I/O and time drivers.
    pub fn enable_all(&mut self) -> &mut Self {
        self.enable_io().enable_time()
    }

    /// Enables the I/O driver.
    pub fn enable_io(&mut self) -> &mut Self {
        self.enable_io = true;
        self
    }

    /// Enables the time driver.
    pub fn enable_time(&mut self) -> &mut Self {
        self.enable_time = true;
        self
    }

    /// Starts the runtime's clock paused (current-thread runtimes, for tests): time moves only
    /// through `tandem::time::advance`, or jumps to the next timer when the runtime is idle.
    /// Implies `enable_time`.
    ///
    /// # Panics
    /// At `build` on a multi-thread runtime, as Tokio.
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// Whether file-system calls go through io_uring (default: `TANDEM_IO_URING`, else
    /// [`UringMode::Auto`]). An explicit call here wins over the environment variable.
    ///
    /// ```
    /// use tandem::runtime::{Builder, UringMode};
    ///
    /// let rt = Builder::new_multi_thread().io_uring(UringMode::Off).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn io_uring(&mut self, mode: UringMode) -> &mut Self {
        self.io_uring = Some(mode);
        self
    }

    /// Whether `tandem::fs` reads (and opens that would have a ring submission to themselves)
    /// first try to complete at once on the calling thread, from the kernel's caches (default:
    /// `true`).
    ///
    /// With `true`, every file read (`File`'s `AsyncRead`, `read_at`, `fs::read`, ...) is first
    /// tried as a `preadv2(2)` with `RWF_NOWAIT` where it is polled: data in the page cache is
    /// copied then and there, one system call, no wake-up; a read that would have to wait for the
    /// device (or any error) goes on to io_uring or the blocking pool as usual, which report
    /// errors exactly as without this. It is what io_uring does inline for such a read anyway,
    /// without the submission, completion and second poll around it. Opens are tried likewise
    /// (`openat2` with `RESOLVE_CACHED` and `O_NONBLOCK`, as io_uring's own inline attempt), but
    /// only when they would go to io_uring with no other operation to share their
    /// `io_uring_enter`, and never to create or truncate. With `false`, every read and open goes
    /// straight to io_uring (or the blocking pool under [`UringMode::Off`]).
    ///
    /// ```
    /// use tandem::runtime::Builder;
    ///
    /// // Every read through the ring, e.g. to measure the ring itself.
    /// let rt = Builder::new_multi_thread().fs_nowait_first(false).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn fs_nowait_first(&mut self, enabled: bool) -> &mut Self {
        self.fs_nowait_first = enabled;
        self
    }

    /// Whether TCP and Unix-domain streams receive and send, and TCP listeners accept, through
    /// io_uring (default: off, or
    /// `TANDEM_NET_IO_URING=1`). Experimental (`docs/URING-NET.md`): with it, each worker ring
    /// gets a group of provided buffers, and a `poll_read` on a worker that finds the stream's
    /// socket empty arms a multishot receive on that worker's ring (bytes already there are
    /// read at once, as through epoll); later reads take the received chunks from any thread.
    /// A listener's `accept` polled on a worker arms a multishot accept on that worker's ring;
    /// the connections it accepts queue (up to 128, then the rest waits in the kernel's
    /// backlog) for any thread's `accept`, and a dropped `accept` future loses none. Off the
    /// workers (`block_on` on a multi-thread runtime), with none armed, `accept` goes through
    /// epoll. A listener's fd, like a stream's, closes once the request's cancel completes
    /// after its drop: a client may still connect until then (its connection is closed).
    /// Connects stay on epoll, and so do UDP and Unix datagrams and Unix listeners. Without
    /// io_uring (kernel, [`UringMode::Off`], no buffer rings) it changes nothing.
    ///
    /// At most 2,048 streams per worker (client or accepted) use the rings at once; a stream
    /// made while that many are open uses epoll for its whole life (beyond a few thousand
    /// connections per worker the rings measured slower than epoll). `RuntimeMetrics::io_uring`
    /// counts both (`net_streams`, `net_streams_on_epoll`).
    ///
    /// Writes are buffered: a write on a worker copies its bytes into the stream's send buffer
    /// (up to 64 KiB unsent; above that it waits) and returns at once, and send entries on one
    /// worker's ring carry them out in order; off the workers, with nothing buffered, a write
    /// goes to the socket as without this. So an error from the peer (a reset) is returned by
    /// the next write, `flush` or `shutdown`, not by the write whose bytes failed;
    /// [`AsyncWrite::poll_flush`](crate::io::AsyncWrite::poll_flush) waits until every byte
    /// was sent; `poll_shutdown` returns at once and shuts the write side down after the
    /// last of them (as `shutdown(2)` queues the FIN behind the socket's buffer), and a write
    /// after it fails with `BrokenPipe`. Bytes still buffered
    /// when the runtime shuts down are sent by its shutdown, which waits for the peer to make
    /// room for them as long as it waits for other operations in flight (10 s, or
    /// [`Runtime::shutdown_timeout`]'s limit); what is left then is dropped. A stream dropped with bytes
    /// buffered still sends them (its sends keep the socket's fd open until the last one
    /// completes).
    ///
    /// Once a stream's receive is armed, [`TcpStream::readable`](crate::net::TcpStream::readable),
    /// `ready`, `poll_read_ready`, `try_read*`, `peek` and `poll_peek` read the received chunks;
    /// `try_io` and `async_io` hand the socket back to the caller's code for good: reads end
    /// the receive and wait for its end, writes wait for the sends in flight, and from then on
    /// that direction of the stream goes through epoll, so the caller's own reads and writes
    /// keep the stream's byte order; bytes the receive took before its end are returned by
    /// reads first (a raw read fails with `ErrorKind::Other` until then). Ancillary data
    /// (a Unix stream's fds) that came with bytes the receive took is lost, so a stream that
    /// carries fds should be read through `try_io`/`async_io` from its first read.
    /// `into_std` drops what was received but not read, sends what writes took first
    /// (waiting up to 200 ms), and fails (`ErrorKind::Other`; the dropped stream still sends
    /// them) if the peer has made no room for them by then. Each connection
    /// still holds one fd, its socket's; but the ring operations naming it keep it open past
    /// the stream's drop, so the socket closes (its FIN or, with a zero linger, its reset goes
    /// out) when the receive's cancel completes, at the next tick of the worker it was armed
    /// on (and after the last send), rather than at the drop. `into_std` called while that
    /// cancel is still in flight returns a duplicate of the fd (the original closes after
    /// it).
    pub fn net_io_uring(&mut self, enabled: bool) -> &mut Self {
        self.net_io_uring = Some(enabled);
        self
    }

    /// For tests: the size of each worker ring's buffer group under
    /// [`net_io_uring`](Builder::net_io_uring) (`count`, a power of two up to 32,768, buffers of
    /// `len` bytes; default 4,096 x 4 KiB).
    #[doc(hidden)]
    pub fn net_io_uring_buffers(&mut self, count: u16, len: u32) -> &mut Self {
        assert!(
            count.is_power_of_two() && count <= 1 << 15 && len > 0,
            "a power of two of buffers, at most 32,768, of at least one byte"
        );
        self.net_bufs = crate::rt::uring::NetBufs {
            count,
            len,
            ..self.net_bufs
        };
        self
    }

    /// For tests: how many stream sockets may use each worker ring at once under
    /// [`net_io_uring`](Builder::net_io_uring) (default 2,048); streams made while that many
    /// are open per worker ring use epoll, for their whole life.
    #[doc(hidden)]
    pub fn net_io_uring_streams(&mut self, per_ring: usize) -> &mut Self {
        self.net_bufs.streams = per_ring;
        self
    }

    fn net_io_uring_on(&self) -> bool {
        self.net_io_uring.unwrap_or_else(|| {
            std::env::var_os(NET_URING_ENV_VAR).is_some_and(|v| v == "1" || v == "true")
        })
    }

    /// The io_uring mode `build` uses: the explicit one, else the environment's, else `Auto`.
    fn uring_mode(&self) -> io::Result<UringMode> {
        match self.io_uring {
            Some(mode) => Ok(mode),
            None => UringMode::from_env()
                .map(Option::unwrap_or_default)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e)),
        }
    }

    /// The number of worker threads of a multi-thread runtime (default: the number of CPUs).
    /// Ignored by the current-thread runtime.
    ///
    /// # Panics
    /// If `val` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "Worker threads cannot be set to 0");
        self.worker_threads = Some(val);
        self
    }

    /// The most threads the blocking pool may run at once (default 512), not counting workers.
    ///
    /// # Panics
    /// If `val` is 0.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "Max blocking threads cannot be set to 0");
        self.max_blocking_threads = val;
        self
    }

    /// The name of the runtime's threads (default `tandem-runtime-worker`).
    pub fn thread_name(&mut self, val: impl Into<String>) -> &mut Self {
        let val = val.into();
        self.thread_name = Arc::new(move || val.clone());
        self
    }

    /// A function that names each new runtime thread.
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.thread_name = Arc::new(f);
        self
    }

    /// The stack size of the runtime's threads (default: std's).
    pub fn thread_stack_size(&mut self, val: usize) -> &mut Self {
        self.thread_stack_size = Some(val);
        self
    }

    /// Runs `f` on each runtime thread when it starts.
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each runtime thread before it stops.
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a scheduler thread (a worker, or the thread in a current-thread runtime's
    /// `block_on`) each time it is about to sleep for want of work.
    ///
    /// On a current-thread runtime the thread does not sleep if `f` made work (spawned a task,
    /// woke the `block_on` future). On a multi-thread runtime `f` runs outside the worker's
    /// queue: what it spawns goes to the injection queue.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let counter = parks.clone();
    /// let rt = tandem::runtime::Builder::new_current_thread()
    ///     .enable_all()
    ///     .on_thread_park(move || {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { tandem::time::sleep(std::time::Duration::from_millis(1)).await });
    /// assert!(parks.load(Ordering::Relaxed) >= 1);
    /// ```
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_park = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a scheduler thread each time it wakes up after [`on_thread_park`]'s hook
    /// ran (whether it slept or not).
    ///
    /// [`on_thread_park`]: Builder::on_thread_park
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_unpark = Some(Arc::new(f));
        self
    }

    /// The most I/O events one turn of the driver dispatches (default 1024); the rest stay
    /// in the kernel's ready list for the next turn. On the multi-thread runtime, tasks they
    /// wake beyond the worker's run queue's room move its older half to the injection queue,
    /// which every worker serves a batch of every `global_queue_interval` ticks.
    ///
    /// # Panics
    /// If `capacity` is 0.
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(capacity > 0, "max_io_events_per_tick must be non-zero");
        self.max_io_events_per_tick = capacity;
        self
    }

    /// The most I/O events a turn of the driver dispatches when the thread still has tasks to
    /// run (so the turn does not wait; default: [`max_io_events_per_tick`]). A small batch
    /// keeps a busy worker's queue from overflowing; the rest wait in the kernel.
    ///
    /// [`max_io_events_per_tick`]: Builder::max_io_events_per_tick
    ///
    /// # Panics
    /// If `capacity` is 0.
    #[track_caller]
    pub fn max_io_events_per_busy_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(capacity > 0, "max_io_events_per_busy_tick must be non-zero");
        self.max_io_events_per_busy_tick = Some(capacity);
        self
    }

    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = Some(duration);
        self
    }

    /// Ticks between checks of the shared injection queue (default 61).
    ///
    /// # Panics
    /// If `val` is 0.
    #[track_caller]
    pub fn global_queue_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "global_queue_interval must be greater than 0");
        self.global_queue_interval = Some(val);
        self
    }

    /// Names the runtime: [`Handle::name`](crate::runtime::Handle::name) returns it.
    ///
    /// # Panics
    /// If `val` is empty or only whitespace (Tokio's message).
    #[track_caller]
    pub fn name(&mut self, val: impl Into<String>) -> &mut Self {
        let val = val.into();
        assert!(!val.trim().is_empty(), "runtime name shouldn't be empty");
        self.name = Some(val);
        self
    }

    /// Ticks between polls of the I/O and time drivers (default 61).
    ///
    /// # Panics
    /// If `val` is 0.
    #[track_caller]
    pub fn event_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "event_interval must be greater than 0");
        self.event_interval = val;
        self
    }

    /// Builds the runtime.
    ///
    /// Fails if `TANDEM_IO_URING` holds an unknown mode, if the OS refuses the I/O driver
    /// (epoll, its eventfd), or, with `UringMode::Required`, if io_uring cannot be set up or the
    /// I/O driver is off.
    pub fn build(&mut self) -> io::Result<Runtime> {
        self.build_runtime(None)
    }

    /// `build`, for a `LocalRuntime` owned by `local_owner` if that is set.
    fn build_runtime(&mut self, local_owner: Option<std::thread::ThreadId>) -> io::Result<Runtime> {
        let uring_mode = self.uring_mode()?;
        let workers = match self.kind {
            Kind::CurrentThread => 0,
            Kind::MultiThread => self.worker_threads.unwrap_or_else(num_cpus),
        };
        let hooks = ThreadHooks {
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            worker_threads: workers,
        };
        let blocking_pool = BlockingPool::new(
            hooks,
            self.max_blocking_threads,
            self.keep_alive.unwrap_or(DEFAULT_KEEP_ALIVE),
        );
        let spawner = blocking_pool.spawner().clone();
        if self.start_paused && self.kind == Kind::MultiThread {
            panic!("`start_paused` is only supported on the current-thread runtime");
        }
        let (driver, driver_handle) = crate::rt::driver::Driver::new(crate::rt::driver::Cfg {
            enable_io: self.enable_io,
            enable_time: self.enable_time || self.start_paused,
            start_paused: self.start_paused,
            uring_mode,
            fs_nowait_first: self.fs_nowait_first,
            worker_rings: workers.max(1),
            net_bufs: self.net_io_uring_on().then_some(self.net_bufs),
        })?;
        let config = scheduler::Config {
            global_queue_interval: self
                .global_queue_interval
                .unwrap_or(DEFAULT_GLOBAL_QUEUE_INTERVAL),
            event_interval: self.event_interval,
            max_io_events_per_tick: self.max_io_events_per_tick,
            max_io_events_per_busy_tick: self
                .max_io_events_per_busy_tick
                .unwrap_or(self.max_io_events_per_tick),
            before_park: self.on_thread_park.clone(),
            after_unpark: self.on_thread_unpark.clone(),
            name: self.name.as_deref().map(Into::into),
            id: super::id::Id::next().as_u64(),
            local_owner,
        };
        let (scheduler, handle) = match self.kind {
            Kind::CurrentThread => {
                let (ct, handle) =
                    current_thread::CurrentThread::new(config, spawner, driver, driver_handle);
                (
                    Scheduler::CurrentThread(ct),
                    SchedulerHandle::CurrentThread(handle),
                )
            }
            Kind::MultiThread => {
                let (mt, handle) =
                    multi_thread::MultiThread::new(workers, config, spawner, driver, driver_handle);
                (
                    Scheduler::MultiThread(mt),
                    SchedulerHandle::MultiThread(handle),
                )
            }
        };
        Ok(Runtime::from_parts(
            scheduler,
            Handle { inner: handle },
            blocking_pool,
        ))
    }
}

impl Builder {
    /// Builds a [`LocalRuntime`](super::LocalRuntime): a current-thread runtime that also runs
    /// `!Send` tasks.
    ///
    /// ```
    /// use tandem::runtime::{Builder, LocalOptions};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .enable_all()
    ///     .build_local(LocalOptions::default())
    ///     .unwrap();
    /// let rc = std::rc::Rc::new(3);
    /// assert_eq!(rt.block_on(async move { *rc }), 3);
    /// ```
    ///
    /// # Panics
    /// On a multi-thread builder (Tokio's message).
    pub fn build_local(&mut self, options: super::LocalOptions) -> io::Result<super::LocalRuntime> {
        let _ = options;
        assert!(
            self.kind == Kind::CurrentThread,
            "multi_thread is not supported for LocalRuntime"
        );
        self.build_runtime(Some(std::thread::current().id()))
            .map(super::LocalRuntime::from_runtime)
    }
}

/// The blocking pool's view of the runtime it serves: its threads enter the runtime (as the
/// current one, not driving it) and its tasks hold back the runtime's paused clock.
impl blocking::RuntimeHandle for SchedulerHandle {
    type Entered = scheduler::context::SetCurrentGuard;

    fn enter(&self) -> Self::Entered {
        scheduler::context::set_current(self)
    }

    fn time_handle(&self) -> Option<&crate::rt::driver::TimeHandle> {
        SchedulerHandle::time_handle(self)
    }
}

fn num_cpus() -> usize {
    static CACHED: AtomicUsize = AtomicUsize::new(0);
    match CACHED.load(Ordering::Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            CACHED.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("thread_keep_alive", &self.keep_alive)
            .field("enable_io", &self.enable_io)
            .field("enable_time", &self.enable_time)
            .field("io_uring", &self.io_uring)
            .field("fs_nowait_first", &self.fs_nowait_first)
            .field("net_io_uring", &self.net_io_uring)
            .finish_non_exhaustive()
    }
}
