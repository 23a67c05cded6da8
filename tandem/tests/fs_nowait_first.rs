//! `Builder::fs_nowait_first`: reads that the page cache can serve complete on the calling
//! thread without touching the ring; reads that would wait (an empty FIFO, pages not cached) go
//! on to io_uring or the blocking pool and complete there with the right bytes.
//!
//! Ring traffic is read from the runtime's own io_uring metrics, so the io_uring halves are
//! skipped (with a message) where io_uring is unavailable; the byte checks run everywhere.

mod support;

use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tandem::io::AsyncReadExt as _;
use tandem::runtime::{Builder, Runtime, UringMode};

const BLOCK: usize = 4096;
const BLOCKS: usize = 64;

/// A multi-thread runtime with 2 workers.
fn runtime(mode: UringMode, nowait_first: bool) -> Runtime {
    runtime_on(
        Builder::new_multi_thread().worker_threads(2),
        mode,
        nowait_first,
    )
}

fn runtime_on(builder: &mut Builder, mode: UringMode, nowait_first: bool) -> Runtime {
    builder
        .enable_all()
        .io_uring(mode)
        .fs_nowait_first(nowait_first)
        .build()
        .unwrap()
}

/// Operations submitted to every ring of `rt` so far.
fn submitted(rt: &Runtime) -> u64 {
    rt.handle().metrics().io_uring().total().submitted
}

/// A file of `BLOCKS` blocks, block `i` filled with byte `i`, read once so that it is cached.
fn cached_file(path: &Path) {
    let data: Vec<u8> = (0..BLOCKS).flat_map(|i| [i as u8; BLOCK]).collect();
    std::fs::write(path, &data).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), data);
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tandem-nowait-{name}-{}", std::process::id()))
}

/// Every block, read with `read_at`, `fs::read` and `AsyncRead`: the right bytes, and with
/// `nowait_first` no read on the ring.
#[test]
fn cached_reads_skip_the_ring_only_when_asked() {
    let path = temp_path("cached");
    cached_file(&path);
    for (mode, nowait_first) in [
        (UringMode::Auto, true),
        (UringMode::Auto, false),
        (UringMode::Off, true),
        (UringMode::Off, false),
    ] {
        let rt = runtime(mode, nowait_first);
        let uring = rt.handle().metrics().io_uring().enabled;
        let file = Arc::new(rt.block_on(tandem::fs::File::open(&path)).unwrap());
        let before = submitted(&rt);
        rt.block_on(async {
            for i in (0..BLOCKS).rev() {
                let (n, buf) = file
                    .read_at(Vec::with_capacity(BLOCK), (i * BLOCK) as u64)
                    .await;
                assert_eq!(n.unwrap(), BLOCK);
                assert!(buf.iter().all(|&b| b == i as u8), "block {i}");
            }
            // Past the end: 0 bytes, from whichever path.
            let (n, _) = file
                .read_at(Vec::with_capacity(BLOCK), (BLOCKS * BLOCK) as u64)
                .await;
            assert_eq!(n.unwrap(), 0);
        });
        let reads = submitted(&rt) - before;
        let what = format!("{mode:?}, nowait_first {nowait_first}");
        let inline = rt.handle().metrics().io_uring().total().inline_reads;
        if uring && nowait_first {
            assert_eq!(reads, 0, "{what}: cached reads went to the ring");
            assert!(
                inline > BLOCKS as u64,
                "{what}: only {inline} reads counted as served inline"
            );
        } else if uring {
            assert!(
                reads > BLOCKS as u64,
                "{what}: only {reads} reads on the ring"
            );
            assert_eq!(inline, 0, "{what}: reads counted inline");
        } else {
            assert_eq!(reads, 0, "{what}: no rings, yet {reads} submissions");
        }
        // The streaming read and the whole-file read see the same bytes.
        let (streamed, whole) = rt.block_on(async {
            let mut f = tandem::fs::File::open(&path).await.unwrap();
            let mut streamed = Vec::new();
            f.read_to_end(&mut streamed).await.unwrap();
            (streamed, tandem::fs::read(&path).await.unwrap())
        });
        let expect = std::fs::read(&path).unwrap();
        assert_eq!(streamed, expect, "{what}: AsyncRead");
        assert_eq!(whole, expect, "{what}: fs::read");
        drop(file);
        drop(rt);
    }
    std::fs::remove_file(&path).unwrap();
}

/// A read of an empty FIFO would block: it must not be answered early (no 0, no EAGAIN), and
/// must complete with what a writer sends later.
#[test]
fn a_read_that_would_block_waits_for_its_data() {
    let path = temp_path("fifo");
    support::make_fifo(&path);
    for (mode, nowait_first) in [(UringMode::Auto, true), (UringMode::Off, true)] {
        let rt = runtime(mode, nowait_first);
        // Read and write, so that opening the FIFO does not wait for a writer.
        let mut file = rt
            .block_on(
                tandem::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path),
            )
            .unwrap();
        let read = rt.spawn(async move {
            let mut buf = [0u8; 5];
            file.read_exact(&mut buf).await.map(|_| buf)
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !read.is_finished(),
            "{mode:?}: the read finished with no data"
        );
        let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        writer.write_all(b"hello").unwrap();
        let got = rt.block_on(read).unwrap().unwrap();
        assert_eq!(&got, b"hello", "{mode:?}");
        drop(writer);
        drop(rt);
    }
    std::fs::remove_file(&path).unwrap();
}

/// Pages dropped from the cache: the non-blocking attempt finds nothing (or only what its own
/// readahead brought in meanwhile), and the read goes on to the ring or the pool: the right
/// bytes either way. (That a read which would block is never answered early is
/// `a_read_that_would_block_waits_for_its_data`.)
#[test]
fn uncached_pages_are_read_through_the_backend() {
    let path = temp_path("uncached");
    cached_file(&path);
    for mode in [UringMode::Auto, UringMode::Off] {
        let std_file = std::fs::File::open(&path).unwrap();
        std_file.sync_all().unwrap();
        // SAFETY: plain system call on an fd we own.
        let rc =
            unsafe { libc::posix_fadvise(std_file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0);
        let uncached = !page_resident(&std_file, 7 * BLOCK);
        let rt = runtime(mode, true);
        let file = rt.block_on(tandem::fs::File::open(&path)).unwrap();
        let before = submitted(&rt);
        let (n, buf) = rt.block_on(file.read_at(Vec::with_capacity(BLOCK), (7 * BLOCK) as u64));
        assert_eq!(n.unwrap(), BLOCK, "{mode:?}");
        assert!(buf.iter().all(|&b| b == 7), "{mode:?}");
        // Which path served it is the kernel's call: the non-blocking attempt starts readahead,
        // and a fast enough device can complete it before the attempt gives up. The bytes are
        // what must hold; the path is reported.
        let on_ring = submitted(&rt) > before;
        eprintln!(
            "{mode:?}: page cached before the read: {}, read on the ring: {on_ring}",
            !uncached
        );
        drop(file);
        drop(rt);
    }
    std::fs::remove_file(&path).unwrap();
}

/// Whether the page at `offset` is in the page cache (`mincore` of a mapping, which, unlike a
/// read, starts no readahead that would cache it).
fn page_resident(file: &std::fs::File, offset: usize) -> bool {
    let len = BLOCKS * BLOCK;
    // SAFETY: a fresh shared read-only mapping of a file we hold open, unmapped below.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    let mut resident = vec![0u8; len.div_ceil(page_size())];
    // SAFETY: `map` is a mapping of `len` bytes; `resident` has a byte per page of it.
    let rc = unsafe { libc::mincore(map, len, resident.as_mut_ptr()) };
    // SAFETY: unmaps exactly the mapping made above; nothing refers to it.
    unsafe { libc::munmap(map, len) };
    assert_eq!(rc, 0);
    resident[offset / page_size()] & 1 == 1
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// The file status flags of `file`'s open file description (`F_GETFL`).
fn status_flags(file: &std::fs::File) -> libc::c_int {
    // SAFETY: a plain fcntl on an fd the caller holds open.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags
}

/// An open tried on the worker first (`openat2` with `O_NONBLOCK`, cleared afterwards) leaves
/// the file exactly as an open(2) with the caller's flags would: close-on-exec, no `O_NONBLOCK`
/// unless asked for, `O_APPEND` kept; a serial open on a current-thread runtime takes that path, concurrent
/// ones the ring's. Run on every backend and both settings.
#[test]
fn inline_opens_leave_the_flags_asked_for() {
    let path = temp_path("flags");
    std::fs::write(&path, b"start").unwrap();
    for (mode, nowait_first) in [
        (UringMode::Auto, true),
        (UringMode::Auto, false),
        (UringMode::Off, true),
    ] {
        for current_thread in [true, false] {
            let rt = if current_thread {
                runtime_on(&mut Builder::new_current_thread(), mode, nowait_first)
            } else {
                runtime(mode, nowait_first)
            };
            let what =
                format!("{mode:?}, nowait_first {nowait_first}, current_thread {current_thread}");
            let before = submitted(&rt);
            rt.block_on(async {
                let plain = tandem::fs::File::open(&path)
                    .await
                    .unwrap()
                    .into_std()
                    .await;
                assert_eq!(
                    status_flags(&plain) & libc::O_NONBLOCK,
                    0,
                    "{what}: plain open"
                );
                // SAFETY: a plain fcntl on an fd we hold open.
                let fd_flags = unsafe { libc::fcntl(plain.as_raw_fd(), libc::F_GETFD) };
                assert_ne!(fd_flags & libc::FD_CLOEXEC, 0, "{what}: close-on-exec");
                let nonblocking = tandem::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&path)
                    .await
                    .unwrap()
                    .into_std()
                    .await;
                assert_ne!(
                    status_flags(&nonblocking) & libc::O_NONBLOCK,
                    0,
                    "{what}: O_NONBLOCK asked for"
                );
                let appending = tandem::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .await
                    .unwrap()
                    .into_std()
                    .await;
                let flags = status_flags(&appending);
                assert_ne!(flags & libc::O_APPEND, 0, "{what}: O_APPEND");
                assert_eq!(flags & libc::O_NONBLOCK, 0, "{what}: O_APPEND open");
                (&appending).write_all(b"+").unwrap();
            });
            // With rings (io_uring may be unavailable here, or refused by an injected error).
            let uring = rt.handle().metrics().io_uring().enabled;
            if uring && nowait_first && current_thread {
                // Each open had the ring to itself: done inline, nothing submitted.
                assert_eq!(submitted(&rt), before, "{what}: an open went to the ring");
                let inline = rt.handle().metrics().io_uring().total().inline_opens;
                assert!(
                    inline >= 3,
                    "{what}: {inline} opens counted as served inline"
                );
            }
            drop(rt);
        }
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"start++++++");
    std::fs::remove_file(&path).unwrap();
}

/// Reads served inline spend the task's cooperative budget, as ring reads do: a task reading a
/// cached file in a loop yields, and a task queued behind it on the same thread gets to run long
/// before the loop ends.
#[test]
fn inline_reads_yield_to_other_tasks() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let path = temp_path("coop");
    cached_file(&path);
    for mode in [UringMode::Auto, UringMode::Off] {
        let rt = runtime_on(&mut Builder::new_current_thread(), mode, true);
        let other_ran = Arc::new(AtomicBool::new(false));
        let reads_before_other = rt.block_on(async {
            let file = Arc::new(tandem::fs::File::open(&path).await.unwrap());
            let seen = other_ran.clone();
            let reader = tandem::spawn(async move {
                for i in 0..10_000u64 {
                    if seen.load(Ordering::Relaxed) {
                        return Some(i);
                    }
                    let offset = (i % BLOCKS as u64) * BLOCK as u64;
                    let (n, _) = file.read_at(Vec::with_capacity(BLOCK), offset).await;
                    assert_eq!(n.unwrap(), BLOCK);
                }
                None
            });
            let flag = other_ran.clone();
            tandem::spawn(async move { flag.store(true, Ordering::Relaxed) });
            reader.await.unwrap()
        });
        let reads = reads_before_other.unwrap_or_else(|| {
            panic!("{mode:?}: 10,000 inline reads without letting the other task run")
        });
        assert!(
            reads <= 1_000,
            "{mode:?}: the other task waited for {reads} reads"
        );
        drop(rt);
    }
    std::fs::remove_file(&path).unwrap();
}
