//! The pool's threads and queue.

use super::schedule::BlockingSchedule;
use super::task::BlockingTask;
use super::{RuntimeHandle, ThreadHooks};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::rt::task::{Id, JoinHandle, UnownedTask};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

/// Owns the pool: dropping it shuts the pool down and waits for its threads.
pub(crate) struct BlockingPool {
    spawner: Spawner,
}

/// Submits work to the pool. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Spawner {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Mutex<Shared>,
    /// Idle threads wait here for work.
    work_available: Condvar,
    /// `shutdown` waits here for the last thread to leave.
    all_exited: Condvar,
    hooks: ThreadHooks,
    thread_cap: usize,
    keep_alive: Duration,
}

struct Shared {
    queue: VecDeque<QueuedTask>,
    num_threads: usize,
    num_idle: usize,
    /// Idle threads that were handed work and have not yet woken.
    num_notify: usize,
    shutdown: bool,
    threads: HashMap<usize, std::thread::JoinHandle<()>>,
    next_thread_id: usize,
    /// A thread that exited on keep-alive, joined by the next one to exit (or by shutdown).
    last_exited: Option<std::thread::JoinHandle<()>>,
}

struct QueuedTask {
    task: UnownedTask<BlockingSchedule>,
    /// Runs even during shutdown (the worker loops, which must take part in shutdown).
    mandatory: bool,
}

impl BlockingPool {
    pub(crate) fn new(
        hooks: ThreadHooks,
        max_blocking: usize,
        keep_alive: Duration,
    ) -> BlockingPool {
        BlockingPool {
            spawner: Spawner {
                inner: Arc::new(Inner {
                    shared: Mutex::new(Shared {
                        queue: VecDeque::new(),
                        num_threads: 0,
                        num_idle: 0,
                        num_notify: 0,
                        shutdown: false,
                        threads: HashMap::new(),
                        next_thread_id: 0,
                        last_exited: None,
                    }),
                    work_available: Condvar::new(),
                    all_exited: Condvar::new(),
                    thread_cap: max_blocking + hooks.worker_threads,
                    hooks,
                    keep_alive,
                }),
            },
        }
    }

    pub(crate) fn spawner(&self) -> &Spawner {
        &self.spawner
    }

    /// Shuts the pool down; waits for its threads up to `timeout` (forever if `None`), and joins
    /// them if they all left in time. Idempotent.
    pub(crate) fn shutdown(&mut self, timeout: Option<Duration>) {
        let inner = &self.spawner.inner;
        let mut shared = inner.shared.lock();
        if shared.shutdown {
            return;
        }
        shared.shutdown = true;
        inner.work_available.notify_all();
        let deadline = timeout.map(|t| Instant::now() + t);
        while shared.num_threads > 0 {
            match deadline {
                None => shared = inner.all_exited.wait(shared),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        // Threads still blocked are left running (detached): the documented
                        // price of a bounded shutdown.
                        return;
                    }
                    shared = inner.all_exited.wait_timeout(shared, deadline - now).0;
                }
            }
        }
        let mut threads: Vec<_> = shared.threads.drain().map(|(_, h)| h).collect();
        threads.extend(shared.last_exited.take());
        drop(shared);
        for thread in threads {
            // A thread that left the loop exits promptly; a panic there was already reported.
            let _ = thread.join();
        }
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl Spawner {
    /// Runs `func` on the pool. `rt` is entered on the pool thread so the closure can spawn.
    pub(crate) fn spawn_blocking<F, R>(&self, rt: &impl RuntimeHandle, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_task(rt, func, false, true)
    }

    /// As `spawn_blocking`, but the closure runs even if the pool shuts down first (a write
    /// `File::poll_write` accepted, as Tokio's `spawn_mandatory_blocking`).
    pub(crate) fn spawn_must_run<F, R>(&self, rt: &impl RuntimeHandle, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_task(rt, func, true, true)
    }

    /// A worker loop: runs even if the pool shuts down first, and, as it lasts as long as the
    /// runtime, does not hold back a paused clock.
    pub(crate) fn spawn_mandatory<F, R>(&self, rt: &impl RuntimeHandle, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_task(rt, func, true, false)
    }

    fn spawn_task<F, R>(
        &self,
        rt: &impl RuntimeHandle,
        func: F,
        mandatory: bool,
        holds_clock: bool,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let time = rt.time_handle().filter(|_| holds_clock).cloned();
        let (task, join) = crate::rt::task::unowned(
            BlockingTask::new(func),
            BlockingSchedule::new(time),
            Id::next(),
        );
        if let Err(task) = self.push(rt, QueuedTask { task, mandatory }) {
            // No thread can run it: it completes as cancelled rather than hanging its joiner.
            task.task.shutdown();
        }
        join
    }

    fn push(&self, rt: &impl RuntimeHandle, task: QueuedTask) -> Result<(), QueuedTask> {
        let inner = &self.inner;
        let mut shared = inner.shared.lock();
        if shared.shutdown && !task.mandatory {
            return Err(task);
        }
        shared.queue.push_back(task);
        if shared.num_idle > 0 {
            shared.num_idle -= 1;
            shared.num_notify += 1;
            inner.work_available.notify_one();
            return Ok(());
        }
        if shared.num_threads >= inner.thread_cap {
            // At the cap: a busy thread will take it when done.
            return Ok(());
        }
        let id = shared.next_thread_id;
        shared.next_thread_id += 1;
        match self.spawn_thread(rt.clone(), id) {
            Ok(handle) => {
                shared.num_threads += 1;
                shared.threads.insert(id, handle);
                Ok(())
            }
            Err(err) if shared.num_threads == 0 => {
                drop(shared);
                eprintln!("tandem: cannot spawn a blocking thread: {err}");
                let mut shared = inner.shared.lock();
                Err(shared.queue.pop_back().expect("the task we pushed"))
            }
            // Existing threads will get to it.
            Err(_) => Ok(()),
        }
    }

    fn spawn_thread(
        &self,
        rt: impl RuntimeHandle,
        id: usize,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let hooks = &self.inner.hooks;
        let mut builder = std::thread::Builder::new().name((hooks.thread_name)());
        if let Some(size) = hooks.stack_size {
            builder = builder.stack_size(size);
        }
        let inner = self.inner.clone();
        builder.spawn(move || {
            let _enter = rt.enter();
            drop(rt);
            inner.run(id);
        })
    }
}

impl Inner {
    fn run(&self, id: usize) {
        if let Some(f) = &self.hooks.on_thread_start {
            f();
        }
        let mut shared = self.shared.lock();
        let mut join_previous = None;
        'main: loop {
            while let Some(task) = shared.queue.pop_front() {
                drop(shared);
                task.task.run();
                shared = self.shared.lock();
            }
            shared.num_idle += 1;
            let mut idle_since = Instant::now();
            while !shared.shutdown {
                let waited = idle_since.elapsed();
                let remaining = self.keep_alive.saturating_sub(waited);
                let (guard, timed_out) = self.work_available.wait_timeout(shared, remaining);
                shared = guard;
                if shared.num_notify > 0 {
                    // Handed work (num_idle was decremented by the spawner).
                    shared.num_notify -= 1;
                    continue 'main;
                }
                if !shared.shutdown && timed_out && idle_since.elapsed() >= self.keep_alive {
                    if crate::rt::uring::thread_has_submitted() {
                        // Its io_uring requests would be cancelled with it (a former worker
                        // after `block_in_place`, a thread that waited on a file call): it
                        // stays, idle, until the runtime shuts down.
                        idle_since = Instant::now();
                        continue;
                    }
                    shared.num_idle -= 1;
                    let me = shared.threads.remove(&id);
                    join_previous = std::mem::replace(&mut shared.last_exited, me);
                    break 'main;
                }
            }
            // Shutdown: drain the queue. Every waiting thread is counted once, as idle or as
            // notified; leave that count.
            if shared.num_notify > 0 {
                shared.num_notify -= 1;
            } else {
                shared.num_idle -= 1;
            }
            while let Some(task) = shared.queue.pop_front() {
                drop(shared);
                if task.mandatory {
                    task.task.run();
                } else {
                    task.task.shutdown();
                }
                shared = self.shared.lock();
            }
            break;
        }
        shared.num_threads -= 1;
        if shared.shutdown && shared.num_threads == 0 {
            self.all_exited.notify_all();
        }
        drop(shared);
        if let Some(f) = &self.hooks.on_thread_stop {
            f();
        }
        if let Some(thread) = join_previous {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Spawner").finish_non_exhaustive()
    }
}
