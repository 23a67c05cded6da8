//! A provided-buffer group (`IORING_REGISTER_PBUF_RING`): fixed-size buffers that a ring's
//! multishot receives fill, the kernel choosing one per completion (`docs/URING-NET.md`,
//! decisions 3 and 4). Each worker ring registers one when networking runs on io_uring
//! (`handle.rs`); its owner republishes on every tick (`LocalRing::tick`, `before_park`), and
//! `ops/recv_multi.rs` takes the buffers its completions name.
//!
//! # Who owns a buffer
//! - **Published** (its entry is in the buffer ring, before the tail): the kernel's, which may
//!   write into it at any time.
//! - **Taken**: a completion with `IORING_CQE_F_BUFFER` named it; the kernel has consumed the
//!   entry and will not touch the buffer again until it is given back. Its bytes belong to the
//!   one [`TakenBuf`] made for that completion.
//! - **Returned**: the `TakenBuf` was dropped, on any thread; the id waits in `returned` until
//!   the owner republishes it (`BufGroupOwner::republish`).
//!
//! Only the owner (the thread holding the ring's submission side) writes entries and the tail:
//! the kernel reads them with no lock, so there is one writer. Other threads give buffers back
//! through a mutex-protected list, as cancels reach a ring from other threads (`ring/cancel.rs`).
//!
//! # Memory
//! The entries and the buffers are two anonymous mappings owned by the `BufGroup`, freed when
//! its last `Arc` goes. The ring that registered the group must hold one of those `Arc`s until
//! its fd is closed (closing it unregisters the group): then no kernel reads the entries or
//! writes a buffer after the mappings are gone.

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::Mutex;
use io_uring::types::BufRingEntry;
use io_uring::IoUring;
use std::io;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

/// One anonymous, page-aligned, read-write mapping, unmapped on drop.
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> io::Result<Mapping> {
        // SAFETY: an anonymous private mapping at an address the kernel picks; no pointer
        // argument is read.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast()).expect("mmap never maps address 0 here");
        Ok(Mapping { ptr, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once; nothing uses it any more (see the
        // module docs: the ring is closed, and no `TakenBuf` is left).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The group's memory and the list of buffers given back by other threads.
pub(crate) struct BufGroup {
    id: u16,
    count: u16,
    buf_len: u32,
    entries: Mapping,
    buffers: Mapping,
    returned: Mutex<Vec<u16>>,
    /// Set when `returned` may hold ids: the owner's per-tick check is one load.
    has_returned: AtomicBool,
}

// SAFETY: the mappings are plain memory. Who may touch which part is the protocol of the
// module docs: entries and tail only by the owner (`BufGroupOwner` is not `Clone`, and sits
// with the ring's submission side, one thread at a time), a buffer's bytes only by the one
// `TakenBuf` for it, `returned` under its mutex.
unsafe impl Send for BufGroup {}
// SAFETY: as for `Send`; shared access goes through `TakenBuf` and `give_back`.
unsafe impl Sync for BufGroup {}

/// The owner's side of a group: the tail of the buffer ring, which only it writes.
pub(crate) struct BufGroupOwner {
    group: Arc<BufGroup>,
    /// The next entry to write; published to the kernel by `publish`.
    tail: u16,
}

/// A buffer a completion handed over: its received bytes until dropped; dropping it gives the
/// buffer back to its group.
pub(crate) struct TakenBuf {
    group: Arc<BufGroup>,
    id: u16,
    len: usize,
}

impl BufGroupOwner {
    /// Maps `count` buffers of `buf_len` bytes, registers them with `uring` as group `id`, and
    /// publishes them all. The caller keeps the returned owner's group (`group()`) alive until
    /// `uring`'s fd is closed.
    ///
    /// # Errors
    /// The kernel's, if it has no buffer rings (before 5.19) or the id is taken; `mmap`'s.
    pub(crate) fn register(
        uring: &IoUring,
        id: u16,
        count: u16,
        buf_len: u32,
    ) -> io::Result<BufGroupOwner> {
        assert!(
            count.is_power_of_two() && count <= 1 << 15,
            "a buffer ring holds a power of two of entries, at most 32,768"
        );
        assert!(buf_len > 0, "empty buffers");
        let entries = Mapping::new(usize::from(count) * std::mem::size_of::<BufRingEntry>())?;
        let buffers = Mapping::new(usize::from(count) * buf_len as usize)?;
        let group = Arc::new(BufGroup {
            id,
            count,
            buf_len,
            entries,
            buffers,
            returned: Mutex::new(Vec::new()),
            has_returned: AtomicBool::new(false),
        });
        // SAFETY: the entries mapping is page-aligned and holds `count` entries; it lives as
        // long as `group`, which the caller keeps until the ring's fd is closed (this fn's
        // contract, and the module docs).
        unsafe {
            uring.submitter().register_buf_ring_with_flags(
                group.entries.ptr.as_ptr() as u64,
                count,
                id,
                0,
            )?;
        }
        let mut owner = BufGroupOwner { group, tail: 0 };
        for bid in 0..count {
            owner.push(bid);
        }
        owner.publish();
        Ok(owner)
    }

    pub(crate) fn group(&self) -> &Arc<BufGroup> {
        &self.group
    }

    /// True if buffers may have come back since the last `republish`: the owner's per-tick
    /// check, one load.
    #[inline]
    pub(crate) fn has_returned(&self) -> bool {
        // Relaxed: a hint only; `republish`'s Acquire swap is what pairs with `give_back`.
        self.group.has_returned.load(Ordering::Relaxed)
    }

    /// Writes buffer `bid`'s entry at the tail (the kernel sees it after `publish`).
    fn push(&mut self, bid: u16) {
        let group = &*self.group;
        debug_assert!(bid < group.count);
        let slot = usize::from(self.tail & (group.count - 1));
        // SAFETY: `slot < count`, inside the entries mapping. The kernel reads entries only
        // below the published tail, and this one is at or past it: only we touch it now.
        let entry = unsafe { &mut *group.entries.ptr.as_ptr().cast::<BufRingEntry>().add(slot) };
        entry.set_addr(group.buffer_ptr(bid) as u64);
        entry.set_len(group.buf_len);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes the entries written so far visible to the kernel.
    fn publish(&self) {
        // std's atomic, not the loom shim's: the other side is the kernel, which no model runs.
        use std::sync::atomic::{AtomicU16, Ordering::Release};
        // SAFETY: the tail is a `u16` in the first entry's reserved field (the kernel ABI;
        // `BufRingEntry::tail` computes its address), inside the mapping, aligned for a u16.
        let tail = unsafe {
            &*BufRingEntry::tail(self.group.entries.ptr.as_ptr().cast()).cast::<AtomicU16>()
        };
        // Release: the entries written before are visible to the kernel when it sees the tail.
        tail.store(self.tail, Release);
    }

    /// Puts the buffers given back since the last call into the ring again. The owner calls it
    /// once per tick (and before re-arming a receive that ran out of buffers). Returns how
    /// many it put back.
    pub(crate) fn republish(&mut self) -> usize {
        // Acquire: pairs with the Release store in `give_back`, so the ids pushed before it are
        // seen below.
        if !self.group.has_returned.swap(false, Ordering::Acquire) {
            return 0;
        }
        let returned = std::mem::take(&mut *self.group.returned.lock());
        for &bid in &returned {
            self.push(bid);
        }
        if !returned.is_empty() {
            self.publish();
        }
        returned.len()
    }
}

impl BufGroup {
    /// The group id the receives name (`RecvMulti::new(fd, id)`).
    pub(crate) fn id(&self) -> u16 {
        self.id
    }

    fn buffer_ptr(&self, bid: u16) -> *mut u8 {
        // SAFETY: `bid < count` (callers check), so the offset stays inside the buffers mapping.
        unsafe {
            self.buffers
                .ptr
                .as_ptr()
                .add(usize::from(bid) * self.buf_len as usize)
        }
    }

    /// The buffer a completion of this group names, holding the `len` bytes it received.
    /// `None` if the flags name no buffer (an error or end-of-file completion).
    ///
    /// # Safety
    /// `flags` and `len` are those of one completion of a receive on the ring this group is
    /// registered with, naming this group, and this is the only `TakenBuf` made for that
    /// completion.
    ///
    /// # Panics
    /// If the completion names a buffer the group does not have, or more bytes than a buffer
    /// holds (a kernel contract broken).
    pub(crate) unsafe fn take(self: &Arc<Self>, flags: u32, len: u32) -> Option<TakenBuf> {
        let bid = io_uring::cqueue::buffer_select(flags)?;
        assert!(
            bid < self.count,
            "a completion named buffer {bid} of {}",
            self.count
        );
        assert!(
            len <= self.buf_len,
            "a completion filled {len} bytes of a {}-byte buffer",
            self.buf_len
        );
        Some(TakenBuf {
            group: Arc::clone(self),
            id: bid,
            len: len as usize,
        })
    }

    /// Gives buffer `bid` back, from any thread: the owner republishes it at its next tick.
    fn give_back(&self, bid: u16) {
        self.returned.lock().push(bid);
        // Release: pairs with the Acquire swap in `republish`. A read-modify-write where a
        // store would do: loom 0.7 lets a plain store slip between the read and the write of
        // a concurrent RMW (tokio-rs/loom#254), and its model of this then loses buffers that
        // no real execution loses.
        self.has_returned.swap(true, Ordering::Release);
    }
}

impl TakenBuf {
    /// The buffer's id in its group.
    #[cfg(test)]
    pub(crate) fn id(&self) -> u16 {
        self.id
    }
}

impl Deref for TakenBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the buffer is taken (module docs): the kernel does not write it until this
        // handle gives it back, and this is the only handle for it (`take`'s contract). The
        // first `len` bytes are the ones the completion says it received.
        unsafe { std::slice::from_raw_parts(self.group.buffer_ptr(self.id), self.len) }
    }
}

impl Drop for TakenBuf {
    fn drop(&mut self) {
        self.group.give_back(self.id);
    }
}

impl std::fmt::Debug for TakenBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakenBuf")
            .field("group", &self.group.id)
            .field("id", &self.id)
            .field("len", &self.len)
            .finish()
    }
}

/// For the loom models (`loom_tests` below, `tests/loom_recv.rs`): a group no kernel knows, a fake
/// kernel's writes into its buffers, and what the owner has put in its ring.
#[cfg(all(test, loom))]
impl BufGroupOwner {
    /// A group of `count` buffers of 8 bytes that no ring registered; none is published (the
    /// model's fake kernel deems them all its own until it names them in a completion).
    pub(crate) fn model(count: u16) -> BufGroupOwner {
        let group = Arc::new(BufGroup {
            id: 0,
            count,
            buf_len: 8,
            entries: Mapping::new(4096).expect("mmap"),
            buffers: Mapping::new(usize::from(count) * 8).expect("mmap"),
            returned: Mutex::new(Vec::new()),
            has_returned: AtomicBool::new(false),
        });
        BufGroupOwner { group, tail: 0 }
    }

    /// The ids the owner has put in the ring so far (`republish`), oldest first: at most
    /// `count`, the latest (older entries were overwritten).
    pub(crate) fn published(&self) -> Vec<u16> {
        let count = self.group.count;
        let first = self.tail.saturating_sub(count);
        (first..self.tail)
            .map(|n| {
                let slot = usize::from(n & (count - 1));
                // SAFETY: `slot < count`, inside the entries mapping, which only the owner
                // (`&self`) writes; no kernel reads it in a model.
                let entry = unsafe {
                    &*self
                        .group
                        .entries
                        .ptr
                        .as_ptr()
                        .cast::<BufRingEntry>()
                        .add(slot)
                };
                entry.bid()
            })
            .collect()
    }
}

#[cfg(all(test, loom))]
impl BufGroup {
    /// The fake kernel's write of `bytes` into buffer `bid`, before the completion naming it.
    ///
    /// # Safety
    /// `bid` is the fake kernel's (no `TakenBuf` for it exists), and `bytes` fits a buffer.
    pub(crate) unsafe fn kernel_write(&self, bid: u16, bytes: &[u8]) {
        assert!(bid < self.count && bytes.len() <= self.buf_len as usize);
        // SAFETY: inside the buffers mapping (checked above); nobody else touches the buffer
        // (the caller's contract).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buffer_ptr(bid), bytes.len()) };
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{BufGroupOwner, TakenBuf};
    use std::sync::Arc;

    /// Buffers given back from two threads while the owner republishes: each comes back into
    /// the ring exactly once, none is lost between the list and the flag.
    #[test]
    fn every_buffer_given_back_is_republished_once() {
        loom::model(|| {
            let mut owner = BufGroupOwner::model(4);
            let taken: Vec<TakenBuf> = (0..2)
                .map(|id| TakenBuf {
                    group: Arc::clone(owner.group()),
                    id,
                    len: 0,
                })
                .collect();
            let threads: Vec<_> = taken
                .into_iter()
                .map(|buf| loom::thread::spawn(move || drop(buf)))
                .collect();
            let mut republished = owner.republish();
            for thread in threads {
                thread.join().unwrap();
            }
            republished += owner.republish();
            assert_eq!(republished, 2);
            assert_eq!(owner.republish(), 0);
            assert_eq!(owner.tail, 2);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{BufGroupOwner, TakenBuf};
    use io_uring::{cqueue, opcode, types, IoUring};
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    const GROUP: u16 = 3;

    /// A ring, and its buffer group's owner: dropped ring first (its fd's close unregisters
    /// the group), as `BufGroup`'s contract wants. `None` where the kernel has no buffer rings.
    struct Fixture {
        uring: Option<IoUring>,
        owner: BufGroupOwner,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            drop(self.uring.take());
        }
    }

    fn fixture(count: u16, buf_len: u32) -> Option<Fixture> {
        let uring = IoUring::new(8).ok()?;
        let owner = BufGroupOwner::register(&uring, GROUP, count, buf_len).ok()?;
        Some(Fixture {
            uring: Some(uring),
            owner,
        })
    }

    /// Arms a multishot receive on `fd` and returns the completions of one wait.
    fn receive(fx: &mut Fixture, fd: i32, arm: bool) -> Vec<(i32, u32)> {
        let group = fx.owner.group().id();
        assert_eq!(group, GROUP);
        let uring = fx
            .uring
            .as_mut()
            .expect("the ring lives until the fixture drops");
        if arm {
            let entry = opcode::RecvMulti::new(types::Fd(fd), group)
                .build()
                .user_data(1);
            // SAFETY: the entry points at no memory; buffers come from the group, alive with
            // the fixture.
            unsafe { uring.submission().push(&entry).expect("room in the SQ") };
        }
        uring.submit_and_wait(1).expect("io_uring_enter");
        uring
            .completion()
            .map(|c| (c.result(), c.flags()))
            .collect()
    }

    fn take(fx: &Fixture, (res, flags): (i32, u32)) -> Option<TakenBuf> {
        // SAFETY: one completion of a receive on this fixture's ring, naming its group, taken
        // once.
        unsafe { fx.owner.group().take(flags, u32::try_from(res).ok()?) }
    }

    #[test]
    fn a_received_chunk_lands_in_a_buffer_that_comes_back() {
        let Some(mut fx) = fixture(4, 64) else {
            return; // no io_uring buffer rings on this kernel
        };
        let (mut tx, rx) = UnixStream::pair().unwrap();
        tx.write_all(b"hello").unwrap();
        let cqes = receive(&mut fx, rx.as_raw_fd(), true);
        assert_eq!(cqes.len(), 1, "{cqes:?}");
        assert!(cqueue::more(cqes[0].1), "the multishot receive stays armed");
        let buf = take(&fx, cqes[0]).expect("data names a buffer");
        assert_eq!(&*buf, b"hello");
        let id = buf.id();
        // Given back from another thread, republished by the owner.
        std::thread::spawn(move || drop(buf)).join().unwrap();
        assert_eq!(fx.owner.republish(), 1);
        assert_eq!(fx.owner.republish(), 0, "nothing more came back");
        // The kernel takes buffers from the ring's head and the owner puts them back at its
        // tail: with each given back before the next receive, they come round in order.
        let mut seen = vec![id];
        for round in 0..4u8 {
            tx.write_all(&[round; 3]).unwrap();
            let cqes = receive(&mut fx, rx.as_raw_fd(), false);
            let buf = take(&fx, cqes[0]).expect("data names a buffer");
            assert_eq!(&*buf, &[round; 3]);
            seen.push(buf.id());
            drop(buf);
            fx.owner.republish();
        }
        assert_eq!(seen, [0, 1, 2, 3, 0]);
    }

    #[test]
    fn an_empty_group_ends_the_receive_with_enobufs() {
        let Some(mut fx) = fixture(2, 16) else {
            return;
        };
        let (mut tx, rx) = UnixStream::pair().unwrap();
        let mut held = Vec::new();
        for byte in [1u8, 2] {
            tx.write_all(&[byte; 4]).unwrap();
            let cqes = receive(&mut fx, rx.as_raw_fd(), held.is_empty());
            held.push(take(&fx, cqes[0]).expect("a buffer"));
        }
        tx.write_all(b"more").unwrap();
        let cqes = receive(&mut fx, rx.as_raw_fd(), false);
        assert_eq!(cqes[0].0, -libc::ENOBUFS, "{cqes:?}");
        assert!(!cqueue::more(cqes[0].1), "the receive ended");
        assert!(take(&fx, cqes[0]).is_none());
        // The bytes wait in the socket: given buffers back and re-armed, the receive gets them.
        drop(held);
        assert_eq!(fx.owner.republish(), 2);
        let cqes = receive(&mut fx, rx.as_raw_fd(), true);
        assert_eq!(&*take(&fx, cqes[0]).expect("a buffer"), b"more");
    }

    #[test]
    fn a_chunk_larger_than_a_buffer_is_split_in_order() {
        let Some(mut fx) = fixture(8, 4) else {
            return;
        };
        let (mut tx, rx) = UnixStream::pair().unwrap();
        tx.write_all(b"0123456789").unwrap();
        let mut got = Vec::new();
        let mut arm = true;
        while got.len() < 10 {
            for cqe in receive(&mut fx, rx.as_raw_fd(), arm) {
                got.extend_from_slice(&take(&fx, cqe).expect("a buffer"));
            }
            arm = false;
            fx.owner.republish();
        }
        assert_eq!(got, b"0123456789");
    }
}
