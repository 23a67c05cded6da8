//! Operations from "outside Tandem" for the tests of `tandem::uring`: each owns its fds and
//! buffers, and counts what the runtime does with it.
#![allow(dead_code)]

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use tandem::uring::io_uring::{opcode, squeue, types};
use tandem::uring::{Completion, Operation};

/// Runs `f` on each flavour with a runtime that has rings; skips (saying so) where io_uring is
/// unavailable.
pub fn each_ring_flavor(f: impl Fn(crate::support::Flavor, tandem::runtime::Runtime)) {
    for flavor in crate::support::flavors() {
        crate::support::run_flavor(flavor, |flavor| {
            if let Some(rt) = crate::support::ring_runtime(&mut flavor.builder()) {
                f(flavor, rt);
            }
        });
    }
}

/// What happened to one operation value.
#[derive(Default, Debug)]
pub struct Counters {
    pub completed: AtomicUsize,
    pub released: AtomicUsize,
    pub dropped: AtomicUsize,
    /// The threads `release` ran on.
    pub release_threads: Mutex<Vec<ThreadId>>,
    /// The results `release` saw.
    pub release_results: Mutex<Vec<i32>>,
}

impl Counters {
    pub fn get(&self) -> (usize, usize, usize) {
        (
            self.completed.load(Ordering::SeqCst),
            self.released.load(Ordering::SeqCst),
            self.dropped.load(Ordering::SeqCst),
        )
    }
}

/// A pipe: (read end, write end), close-on-exec.
pub fn pipe() -> (Arc<OwnedFd>, Arc<OwnedFd>) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 just returned these fds; nothing else owns them.
    unsafe {
        (
            Arc::new(OwnedFd::from_raw_fd(fds[0])),
            Arc::new(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

/// `IORING_OP_NOP`; its output is the completion's result.
pub struct Nop;

// SAFETY: a NOP names no fd and points at no memory.
unsafe impl Operation for Nop {
    const OPCODE: u8 = opcode::Nop::CODE;
    type Output = i32;

    fn entry(&mut self) -> squeue::Entry {
        opcode::Nop::new().build()
    }

    fn complete(self, completion: Completion) -> i32 {
        completion.result()
    }
}

/// A read of `len` bytes from an fd it shares ownership of, into a buffer it owns. Output: the
/// byte count and the bytes read (the buffer comes back), or the error.
pub struct Read {
    pub fd: Arc<OwnedFd>,
    pub buf: Vec<u8>,
    pub counters: Arc<Counters>,
}

impl Read {
    pub fn new(fd: &Arc<OwnedFd>, len: usize, counters: &Arc<Counters>) -> Read {
        Read {
            fd: fd.clone(),
            buf: vec![0; len],
            counters: counters.clone(),
        }
    }
}

// SAFETY: the entry points at `buf`'s heap data, which the op owns and nothing else touches,
// and names `fd`, which the op keeps open.
unsafe impl Operation for Read {
    const OPCODE: u8 = opcode::Read::CODE;
    type Output = io::Result<Vec<u8>>;

    fn entry(&mut self) -> squeue::Entry {
        let len = self.buf.len() as u32;
        opcode::Read::new(types::Fd(self.fd.as_raw_fd()), self.buf.as_mut_ptr(), len)
            .offset(u64::MAX) // the file position (a pipe has none)
            .build()
    }

    fn complete(mut self, completion: Completion) -> io::Result<Vec<u8>> {
        self.counters.completed.fetch_add(1, Ordering::SeqCst);
        let n = completion.io_result()?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.truncate(n as usize);
        Ok(buf)
    }

    fn release(&mut self, completion: Completion) {
        self.counters.released.fetch_add(1, Ordering::SeqCst);
        let thread = std::thread::current().id();
        self.counters.release_threads.lock().unwrap().push(thread);
        let result = completion.result();
        self.counters.release_results.lock().unwrap().push(result);
    }
}

impl Drop for Read {
    fn drop(&mut self) {
        self.counters.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// A read at the file position (a FIFO's stream) of an fd its owner `F` keeps open, into an owned
/// buffer `B`, both handed back: what the op-lifecycle tests hold in flight (a read of an empty
/// FIFO never completes on its own), where `File::read_at` would be refused (`ESPIPE`, as
/// `pread`).
pub struct StreamRead<F, B> {
    pub file: Arc<F>,
    pub buf: B,
}

// SAFETY: the entry points at `buf`'s memory (its `stable_mut_ptr`, `bytes_total` long: the
// `IoBufMut` contract), which the op owns, and names the fd of `file`, which the op keeps open.
unsafe impl<F, B> Operation for StreamRead<F, B>
where
    F: AsRawFd + Send + Sync + 'static,
    B: tandem::fs::IoBufMut,
{
    const OPCODE: u8 = opcode::Read::CODE;
    type Output = (io::Result<usize>, B);

    fn entry(&mut self) -> squeue::Entry {
        let len = u32::try_from(self.buf.bytes_total()).unwrap_or(u32::MAX);
        opcode::Read::new(
            types::Fd(self.file.as_raw_fd()),
            self.buf.stable_mut_ptr(),
            len,
        )
        .offset(u64::MAX) // the file position (a FIFO has none)
        .build()
    }

    fn complete(mut self, completion: Completion) -> (io::Result<usize>, B) {
        let res = completion.io_result().map(|n| n as usize);
        if let Ok(n) = res {
            // SAFETY: the kernel wrote `n` bytes from the buffer's start.
            unsafe { self.buf.set_init(n) };
        }
        (res, self.buf)
    }
}

/// A positional write (`offset`; `u64::MAX`: the file position) of an owned buffer.
pub struct Write {
    pub fd: Arc<OwnedFd>,
    pub buf: Vec<u8>,
    pub offset: u64,
}

// SAFETY: the entry points at `buf`'s heap data, which the op owns, and names `fd`, which the
// op keeps open.
unsafe impl Operation for Write {
    const OPCODE: u8 = opcode::Write::CODE;
    type Output = io::Result<usize>;

    fn entry(&mut self) -> squeue::Entry {
        let len = self.buf.len() as u32;
        opcode::Write::new(types::Fd(self.fd.as_raw_fd()), self.buf.as_ptr(), len)
            .offset(self.offset)
            .build()
    }

    fn complete(self, completion: Completion) -> io::Result<usize> {
        completion.io_result().map(|n| n as usize)
    }
}

/// `fsync(2)` of a file the op shares ownership of.
pub struct Fsync {
    pub file: Arc<File>,
}

// SAFETY: the entry names `file`'s fd, which the op keeps open; it points at no memory.
unsafe impl Operation for Fsync {
    const OPCODE: u8 = opcode::Fsync::CODE;
    type Output = io::Result<()>;

    fn entry(&mut self) -> squeue::Entry {
        opcode::Fsync::new(types::Fd(self.file.as_raw_fd())).build()
    }

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }
}

/// An op that sets `IOSQE_CQE_SKIP_SUCCESS` in its own entry: Tandem must clear it, or the
/// NOP would post no completion and its future would never finish.
pub struct SkipSuccessNop;

// SAFETY: a NOP names no fd and points at no memory.
unsafe impl Operation for SkipSuccessNop {
    const OPCODE: u8 = opcode::Nop::CODE;
    type Output = i32;

    fn entry(&mut self) -> squeue::Entry {
        opcode::Nop::new()
            .build()
            .flags(squeue::Flags::SKIP_SUCCESS | squeue::Flags::IO_LINK)
    }

    fn complete(self, completion: Completion) -> i32 {
        completion.result()
    }
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tandem-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A read whose `release` panics (after counting), as a buggy operation's might.
pub struct PanickyRead(pub Read);

// SAFETY: as `Read`'s: the entry is the inner read's.
unsafe impl Operation for PanickyRead {
    const OPCODE: u8 = opcode::Read::CODE;
    type Output = io::Result<Vec<u8>>;

    fn entry(&mut self) -> squeue::Entry {
        self.0.entry()
    }

    fn complete(self, completion: Completion) -> io::Result<Vec<u8>> {
        self.0.complete(completion)
    }

    fn release(&mut self, completion: Completion) {
        self.0.release(completion);
        panic!("{} release", crate::support::EXPECTED_PANIC);
    }
}

/// A multishot timeout: a CQE (`-ETIME`) every `interval`, `count` times (0: until cancelled).
/// The timespec the kernel reads is boxed: it lives in the op's heap data.
pub struct Ticks {
    pub ts: Box<types::Timespec>,
    pub count: u32,
    pub counters: Arc<Counters>,
}

impl Ticks {
    pub fn new(interval: std::time::Duration, count: u32, counters: &Arc<Counters>) -> Ticks {
        Ticks {
            ts: Box::new(
                types::Timespec::new()
                    .sec(interval.as_secs())
                    .nsec(interval.subsec_nanos()),
            ),
            count,
            counters: counters.clone(),
        }
    }
}

// SAFETY: the entry points at the boxed timespec the op owns; it names no fd; it is one
// multishot timeout, whose every CQE but the last carries F_MORE.
unsafe impl tandem::uring::MultishotOperation for Ticks {
    const OPCODE: u8 = opcode::Timeout::CODE;
    type Item = i32;

    fn entry(&mut self) -> squeue::Entry {
        opcode::Timeout::new(&*self.ts)
            .count(self.count)
            .flags(types::TimeoutFlags::MULTISHOT)
            .build()
    }

    fn item(&mut self, completion: Completion) -> i32 {
        self.counters.completed.fetch_add(1, Ordering::SeqCst);
        completion.result()
    }

    fn release(&mut self, completion: Completion) {
        self.counters.released.fetch_add(1, Ordering::SeqCst);
        let result = completion.result();
        self.counters.release_results.lock().unwrap().push(result);
    }
}

impl Drop for Ticks {
    fn drop(&mut self) {
        self.counters.dropped.fetch_add(1, Ordering::SeqCst);
    }
}
