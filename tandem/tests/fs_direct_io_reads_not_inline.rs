//! A file opened with `O_DIRECT` is never read on the calling thread first
//! (`Builder::fs_nowait_first`): with `RWF_NOWAIT`, a direct read still waits for the device, on
//! the worker. Its reads take the route (io_uring or the blocking pool) and are not counted as
//! inline reads, whether the `File` came from `OpenOptions`, `try_clone` or `from_std`; a plain
//! file's cached reads in the same runtime still are, where the runtime tries them.
//!
//! `O_DIRECT` needs a file system that has it (tmpfs does not): where the test directory's
//! refuses it (`EINVAL`), the test says so and checks nothing.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::os::unix::fs::OpenOptionsExt;

use fs_support::pattern;
use tandem::fs::{File, IoBuf, IoBufMut, OpenOptions};

/// What direct I/O aligns to here: the buffer's address, the offset and the length.
const BLOCK: usize = 4096;
const BLOCKS: usize = 8;

/// Reads counted as served inline, on every ring of the current runtime.
fn inline_reads() -> u64 {
    tandem::runtime::Handle::current()
        .metrics()
        .io_uring()
        .total()
        .inline_reads
}

#[repr(C, align(4096))]
#[derive(Clone, Copy)]
struct Block([u8; BLOCK]);

/// A buffer of whole blocks, aligned as direct I/O wants.
struct Aligned {
    blocks: Box<[Block]>,
    init: usize,
}

impl Aligned {
    fn new(blocks: usize) -> Aligned {
        Aligned {
            blocks: vec![Block([0; BLOCK]); blocks].into_boxed_slice(),
            init: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: the blocks are `len * BLOCK` contiguous initialised bytes (`repr(C)` arrays).
        let all = unsafe {
            std::slice::from_raw_parts(self.blocks.as_ptr().cast::<u8>(), self.blocks.len() * BLOCK)
        };
        &all[..self.init]
    }
}

// SAFETY: the boxed slice's memory does not move when the `Aligned` does, and is all initialised
// (zeroed at creation); `init` never exceeds its length.
unsafe impl IoBuf for Aligned {
    fn stable_ptr(&self) -> *const u8 {
        self.blocks.as_ptr().cast()
    }
    fn bytes_init(&self) -> usize {
        self.init
    }
    fn bytes_total(&self) -> usize {
        self.blocks.len() * BLOCK
    }
}

// SAFETY: as for `IoBuf`; the whole slice is writable.
unsafe impl IoBufMut for Aligned {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.blocks.as_mut_ptr().cast()
    }
    unsafe fn set_init(&mut self, n: usize) {
        self.init = self.init.max(n);
    }
}

/// Reads block 1 onwards of `file` with `read_at`, then all of it with `read_exact_at`, and
/// checks the bytes.
async fn read_direct(file: &File, data: &[u8], what: &str) {
    let (n, buf) = file.read_at(Aligned::new(2), BLOCK as u64).await;
    let n = n.unwrap_or_else(|e| panic!("{what}: read_at: {e}"));
    assert_eq!(n, 2 * BLOCK, "{what}: read_at count");
    assert_eq!(
        buf.bytes(),
        &data[BLOCK..3 * BLOCK],
        "{what}: read_at bytes"
    );
    let (res, buf) = file.read_exact_at(Aligned::new(BLOCKS), 0).await;
    res.unwrap_or_else(|e| panic!("{what}: read_exact_at: {e}"));
    assert_eq!(buf.bytes(), data, "{what}: read_exact_at bytes");
}

fs_test!(async fn direct_io_reads_are_never_tried_inline(dir) {
    let path = dir.join("direct");
    let data = pattern(BLOCKS * BLOCK, 14);
    std::fs::write(&path, &data).unwrap();
    // Read once through the page cache: a direct read must not be served from it anyway.
    assert_eq!(std::fs::read(&path).unwrap(), data);

    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(&path)
        .await;
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            eprintln!("skipped: {dir:?} is on a file system without O_DIRECT ({e})");
            return;
        }
        Err(e) => panic!("open with O_DIRECT: {e}"),
    };
    let before = inline_reads();
    read_direct(&file, &data, "OpenOptions").await;
    let clone = file.try_clone().await.unwrap();
    read_direct(&clone, &data, "try_clone").await;
    let std = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(&path)
        .unwrap();
    read_direct(&File::from_std(std), &data, "from_std").await;
    assert_eq!(inline_reads() - before, 0, "O_DIRECT reads were tried inline");

    // The same reads of a file without O_DIRECT, now cached: counted inline wherever the
    // runtime tries reads inline (so the count above was not zero for want of counting).
    let plain = File::open(&path).await.unwrap();
    let before = inline_reads();
    let (n, _) = plain.read_at(Vec::with_capacity(BLOCK), 0).await;
    assert_eq!(n.unwrap(), BLOCK);
    eprintln!("plain cached read: {} inline", inline_reads() - before);
});
