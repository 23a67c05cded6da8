//! The network cancellation storm (`support/net_storm.rs`) under a quarantine for freed memory
//! (`../shared/TESTING-TOOLS.md`, "Kernel writes into freed memory"): neither ASan nor valgrind
//! sees the kernel write into memory user space has freed, so here freed memory is poisoned
//! and kept (never reused) and checked afterwards: a byte that changed after its free was
//! written late, by the kernel or by user space.
//!
//! Two kinds of memory are quarantined:
//! - the heap: a global allocator fills each freed block with a pattern and holds it in a FIFO
//!   (up to [`HEAP_ENTRIES`] blocks, [`HEAP_BYTES`] bytes), checking the pattern when a block
//!   leaves the FIFO (to be freed for real) and at the end;
//! - anonymous read-write mappings made through `mmap` by Rust code (the provided-buffer groups
//!   the kernel fills, `rt/uring/buf_group.rs`): this binary defines `mmap`, `mprotect` and
//!   `munmap`, which the Rust code's calls bind to. A mapping the code unmaps is filled with the
//!   pattern and left mapped, and checked at the end. Mappings of files (the rings) and mappings
//!   whose protection changed are unmapped for real.
//!
//! After the storm, runtimes are dropped while 50 peers keep sending small messages into
//! streams with armed receives (the ring closes with receives in the kernel and bytes arriving).
//!
//! The storm runs with fewer operations than the plain one (`TANDEM_NET_STORM_OPS`, default
//! 10,000 per configuration here): every free is a fill and a check.
//!
//! The only test in this binary: the fd count is process-wide.

#[path = "support/net_storm.rs"]
mod net_storm;
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const POISON: u8 = 0xA5;
/// Freed heap blocks held at once.
const HEAP_ENTRIES: usize = 1 << 16;
/// Freed heap bytes held at once.
const HEAP_BYTES: usize = 256 << 20;
/// Unmapped mappings held (never released: the test's runtimes map a few dozen).
const MAP_ENTRIES: usize = 4096;

/// A spin lock: the allocator cannot allocate, and std's `Mutex` may not be re-entered.
struct Spin(AtomicBool);

impl Spin {
    fn lock(&self) -> SpinGuard<'_> {
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        SpinGuard(self)
    }
}

struct SpinGuard<'a>(&'a Spin);

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.store(false, Ordering::Release);
    }
}

#[derive(Clone, Copy)]
struct Block {
    ptr: usize,
    size: usize,
    align: usize,
}

const EMPTY: Block = Block {
    ptr: 0,
    size: 0,
    align: 0,
};

/// The FIFO of freed heap blocks.
struct HeapQuarantine {
    blocks: [Block; HEAP_ENTRIES],
    head: usize,
    len: usize,
    bytes: usize,
}

/// Anonymous mappings: made (and not yet unmapped), and unmapped (poisoned, kept).
struct Maps {
    live: [Block; MAP_ENTRIES],
    held: [Block; MAP_ENTRIES],
    held_len: usize,
}

static LOCK: Spin = Spin(AtomicBool::new(false));
static mut HEAP: HeapQuarantine = HeapQuarantine {
    blocks: [EMPTY; HEAP_ENTRIES],
    head: 0,
    len: 0,
    bytes: 0,
};
static MAP_LOCK: Spin = Spin(AtomicBool::new(false));
static mut MAPS: Maps = Maps {
    live: [EMPTY; MAP_ENTRIES],
    held: [EMPTY; MAP_ENTRIES],
    held_len: 0,
};
/// Freed blocks and mappings found written after their free; the first one's address.
static LATE_WRITES: AtomicUsize = AtomicUsize::new(0);
static FIRST_LATE: AtomicUsize = AtomicUsize::new(0);
static HEAP_CHECKED: AtomicUsize = AtomicUsize::new(0);
static MAPS_HELD: AtomicUsize = AtomicUsize::new(0);

/// Checks that `size` bytes at `ptr` still hold the poison.
///
/// # Safety
/// `ptr..ptr + size` is readable memory this module holds.
unsafe fn check(ptr: usize, size: usize) {
    // SAFETY: per the contract.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, size) };
    if let Some(at) = bytes.iter().position(|&b| b != POISON) {
        if LATE_WRITES.fetch_add(1, Ordering::Relaxed) == 0 {
            FIRST_LATE.store(ptr + at, Ordering::Relaxed);
        }
    }
}

struct Quarantine;

// SAFETY: blocks come from `System` and go back to it with their layout; a freed block is
// written only by the fill, and freed for real once, when it leaves the FIFO.
unsafe impl GlobalAlloc for Quarantine {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the block is ours now; nothing reads it again but `check`.
        unsafe { std::ptr::write_bytes(ptr, POISON, layout.size()) };
        let evicted = {
            let _guard = LOCK.lock();
            // SAFETY: under LOCK.
            let q = unsafe { &mut *std::ptr::addr_of_mut!(HEAP) };
            let mut evicted = [EMPTY; 5];
            let mut n = 0;
            while n < 4
                && q.len > 0
                && (q.len == HEAP_ENTRIES || q.bytes + layout.size() > HEAP_BYTES)
            {
                let b = q.blocks[q.head];
                q.head = (q.head + 1) % HEAP_ENTRIES;
                q.len -= 1;
                q.bytes -= b.size;
                evicted[n] = b;
                n += 1;
            }
            if q.len < HEAP_ENTRIES && q.bytes + layout.size() <= HEAP_BYTES {
                let at = (q.head + q.len) % HEAP_ENTRIES;
                q.blocks[at] = Block {
                    ptr: ptr as usize,
                    size: layout.size(),
                    align: layout.align(),
                };
                q.len += 1;
                q.bytes += layout.size();
            } else {
                // Larger than the whole budget: checked and freed at once.
                evicted[4] = Block {
                    ptr: ptr as usize,
                    size: layout.size(),
                    align: layout.align(),
                };
            }
            evicted
        };
        for b in evicted.iter().filter(|b| b.ptr != 0) {
            // SAFETY: a block held since its free, freed for real now, once.
            unsafe {
                check(b.ptr, b.size);
                System.dealloc(
                    b.ptr as *mut u8,
                    Layout::from_size_align_unchecked(b.size, b.align),
                );
            }
            HEAP_CHECKED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static ALLOC: Quarantine = Quarantine;

fn raw_mmap(
    addr: *mut libc::c_void,
    len: usize,
    prot: libc::c_int,
    flags: libc::c_int,
    fd: libc::c_int,
    off: libc::off_t,
) -> *mut libc::c_void {
    // SAFETY: the system call, with the caller's arguments.
    unsafe { libc::syscall(libc::SYS_mmap, addr, len, prot, flags, fd, off) as *mut libc::c_void }
}

/// `mmap` for the Rust code of this binary: forwarded; anonymous read-write private mappings
/// are recorded.
///
/// # Safety
/// As `mmap(2)`.
#[no_mangle]
pub unsafe extern "C" fn mmap(
    addr: *mut libc::c_void,
    len: usize,
    prot: libc::c_int,
    flags: libc::c_int,
    fd: libc::c_int,
    off: libc::off_t,
) -> *mut libc::c_void {
    let p = raw_mmap(addr, len, prot, flags, fd, off);
    let anon_rw = flags & libc::MAP_ANONYMOUS != 0
        && flags & libc::MAP_SHARED == 0
        && prot == libc::PROT_READ | libc::PROT_WRITE;
    if p != libc::MAP_FAILED && anon_rw {
        let _guard = MAP_LOCK.lock();
        // SAFETY: under MAP_LOCK.
        let maps = unsafe { &mut *std::ptr::addr_of_mut!(MAPS) };
        if let Some(slot) = maps.live.iter_mut().find(|b| b.ptr == 0) {
            *slot = Block {
                ptr: p as usize,
                size: len,
                align: 0,
            };
        }
    }
    p
}

/// `mprotect`: forwarded; a recorded mapping whose protection changes is no longer one this
/// module poisons.
///
/// # Safety
/// As `mprotect(2)`.
#[no_mangle]
pub unsafe extern "C" fn mprotect(
    addr: *mut libc::c_void,
    len: usize,
    prot: libc::c_int,
) -> libc::c_int {
    {
        let _guard = MAP_LOCK.lock();
        // SAFETY: under MAP_LOCK.
        let maps = unsafe { &mut *std::ptr::addr_of_mut!(MAPS) };
        let (lo, hi) = (addr as usize, addr as usize + len);
        for b in maps.live.iter_mut() {
            if b.ptr != 0 && b.ptr < hi && lo < b.ptr + b.size {
                *b = EMPTY;
            }
        }
    }
    // SAFETY: the system call, with the caller's arguments.
    unsafe { libc::syscall(libc::SYS_mprotect, addr, len, prot) as libc::c_int }
}

/// `munmap`: a recorded mapping unmapped whole is poisoned and kept instead; anything else is
/// forwarded.
///
/// # Safety
/// As `munmap(2)`.
#[no_mangle]
pub unsafe extern "C" fn munmap(addr: *mut libc::c_void, len: usize) -> libc::c_int {
    {
        let _guard = MAP_LOCK.lock();
        // SAFETY: under MAP_LOCK.
        let maps = unsafe { &mut *std::ptr::addr_of_mut!(MAPS) };
        if let Some(i) = maps
            .live
            .iter()
            .position(|b| b.ptr == addr as usize && b.size == len)
        {
            if maps.held_len < MAP_ENTRIES {
                maps.live[i] = EMPTY;
                // SAFETY: the caller gives the mapping up; it stays mapped read-write.
                unsafe { std::ptr::write_bytes(addr.cast::<u8>(), POISON, len) };
                maps.held[maps.held_len] = Block {
                    ptr: addr as usize,
                    size: len,
                    align: 0,
                };
                maps.held_len += 1;
                MAPS_HELD.fetch_add(1, Ordering::Relaxed);
                return 0;
            }
        }
        // Partly unmapped or not recorded: no longer tracked.
        let (lo, hi) = (addr as usize, addr as usize + len);
        for b in maps.live.iter_mut() {
            if b.ptr != 0 && b.ptr < hi && lo < b.ptr + b.size {
                *b = EMPTY;
            }
        }
    }
    // SAFETY: the system call, with the caller's arguments.
    unsafe { libc::syscall(libc::SYS_munmap, addr, len) as libc::c_int }
}

/// Checks every block and mapping still held.
fn check_everything_held() {
    {
        let _guard = LOCK.lock();
        // SAFETY: under LOCK.
        let q = unsafe { &*std::ptr::addr_of!(HEAP) };
        for i in 0..q.len {
            let b = q.blocks[(q.head + i) % HEAP_ENTRIES];
            // SAFETY: a block held since its free.
            unsafe { check(b.ptr, b.size) };
        }
        HEAP_CHECKED.fetch_add(q.len, Ordering::Relaxed);
    }
    let _guard = MAP_LOCK.lock();
    // SAFETY: under MAP_LOCK.
    let maps = unsafe { &*std::ptr::addr_of!(MAPS) };
    for b in &maps.held[..maps.held_len] {
        // SAFETY: a mapping held (mapped read-write) since its "unmap".
        unsafe { check(b.ptr, b.size) };
    }
}

/// The detector itself: the kernel writes (a pipe's `read`) into a mapping already unmapped.
fn kernel_write_after_unmap_is_seen() {
    let len = 4096;
    // SAFETY: an anonymous mapping, "unmapped" (held), then written by the kernel through a
    // pipe read: it stays mapped read-write while this module holds it.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        assert_eq!(libc::munmap(p, len), 0);
        let mut fds = [0; 2];
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        assert_eq!(libc::write(fds[1], b"late".as_ptr().cast(), 4), 4);
        assert_eq!(libc::read(fds[0], p.cast::<libc::c_void>().add(100), 4), 4);
        libc::close(fds[0]);
        libc::close(fds[1]);
        check_everything_held();
        assert_eq!(
            LATE_WRITES.swap(0, Ordering::Relaxed),
            1,
            "the quarantine missed a kernel write into an unmapped mapping"
        );
        assert_eq!(FIRST_LATE.load(Ordering::Relaxed), p as usize + 100);
        // Poisoned again: the check at the end must not count it.
        std::ptr::write_bytes(p.cast::<u8>(), POISON, len);
    }
}

/// Runtimes dropped while their receives are armed and their peers keep sending: the rings
/// close with receives in the kernel and bytes arriving, and the buffer groups are unmapped
/// after (held here, and checked at the end).
fn shutdown_while_receiving() {
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use tandem::io::AsyncReadExt;

    for workers in [2, 8] {
        let rt = tandem::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .net_io_uring(true)
            .build()
            .unwrap();
        let listener = rt
            .block_on(tandem::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = Vec::new();
        for _ in 0..50 {
            let stop = stop.clone();
            senders.push(std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                // Small messages with pauses: the reader finds its socket empty, so its
                // receive stays armed, and bytes keep arriving.
                let chunk = vec![7u8; 512];
                while !stop.load(Ordering::Relaxed) {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }));
        }
        let received = Arc::new(AtomicUsize::new(0));
        let received2 = received.clone();
        rt.spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let received = received2.clone();
                tandem::spawn(async move {
                    let mut buf = vec![0u8; 3000];
                    while let Ok(n @ 1..) = stream.read(&mut buf).await {
                        received.fetch_add(n, Ordering::Relaxed);
                    }
                });
            }
        });
        let flowing = (0..10_000).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            received.load(Ordering::Relaxed) > 5 << 20
        });
        assert!(flowing, "the receives never got going");
        let stats = rt.metrics().io_uring();
        let arms = stats.total().recv_arms;
        if stats.enabled {
            assert!(arms > 0, "no receive was armed");
        }
        drop(rt);
        // The peers keep sending into sockets whose receives were in the kernel.
        std::thread::sleep(std::time::Duration::from_millis(100));
        stop.store(true, Ordering::Relaxed);
        for s in senders {
            s.join().unwrap();
        }
        eprintln!("shutdown while receiving, {workers} workers: {arms} receives armed");
    }
}

#[test]
fn dropped_network_operations_write_no_freed_memory() {
    kernel_write_after_unmap_is_seen();
    let self_test_maps = MAPS_HELD.load(Ordering::Relaxed);
    if std::env::var_os("TANDEM_NET_STORM_OPS").is_none() {
        // Before any other thread of this test reads the environment.
        std::env::set_var("TANDEM_NET_STORM_OPS", "10000");
    }
    net_storm::run();
    shutdown_while_receiving();
    // Kernel work that outlives a ring's close (its teardown is asynchronous) has had time.
    std::thread::sleep(std::time::Duration::from_millis(200));
    check_everything_held();
    let late = LATE_WRITES.load(Ordering::Relaxed);
    let held_bytes: usize = {
        let _guard = MAP_LOCK.lock();
        // SAFETY: under MAP_LOCK.
        let maps = unsafe { &*std::ptr::addr_of!(MAPS) };
        maps.held[..maps.held_len].iter().map(|b| b.size).sum()
    };
    eprintln!(
        "quarantine: {} freed heap blocks checked, {} unmapped mappings ({} KiB) held and \
         checked, {late} written after their free",
        HEAP_CHECKED.load(Ordering::Relaxed),
        MAPS_HELD.load(Ordering::Relaxed) - self_test_maps,
        held_bytes / 1024,
    );
    assert!(
        MAPS_HELD.load(Ordering::Relaxed) > self_test_maps,
        "no mapping was quarantined: the buffer groups' munmap did not reach this binary's"
    );
    assert_eq!(
        late,
        0,
        "{late} freed blocks or mappings were written after their free (the first at {:#x})",
        FIRST_LATE.load(Ordering::Relaxed)
    );
}
