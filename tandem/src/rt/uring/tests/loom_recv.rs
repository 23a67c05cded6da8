//! Loom models of a multishot receive's queue with a fake ring (`docs/URING-NET.md`, "Must
//! hold"): the reaper pushing completions that each name a buffer of a provided-buffer group
//! (`buf_group.rs`), a reader on another thread taking them, the stream's drop racing the
//! final completion, and every buffer coming back to the group's ring exactly once.
//!
//! `ModelRecv` mirrors `ops/recv_multi.rs`'s `RecvMulti` over a group no kernel knows
//! (`BufGroupOwner::model`), with no fd: `item` takes the buffer a completion's flags name
//! (`BufGroup::take`), `release` gives an untaken one back. The fake kernel writes a buffer,
//! then queues its completion in the cell as the reaper does under the CQ's lock
//! (`RawOp::enqueue_in_order`), with the flags the kernel sets (`IORING_CQE_F_BUFFER`, the id
//! above `IORING_CQE_BUFFER_SHIFT`, `IORING_CQE_F_MORE` on all but the last).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc as LoomArc;
use crate::rt::uring::buf_group::{BufGroup, BufGroupOwner, TakenBuf};
use crate::rt::uring::cell::{tag, CqeResult, RawOp};
use crate::rt::uring::multishot::{MultiCell, MultishotOperation};
use crate::rt::uring::operation::Completion;
use io_uring::squeue;
use loom::thread;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// `IORING_CQE_F_BUFFER`, `IORING_CQE_F_MORE`, `IORING_CQE_BUFFER_SHIFT` (the kernel ABI).
const F_BUFFER: u32 = 1 << 0;
const F_MORE: u32 = 1 << 1;
const BUFFER_SHIFT: u32 = 16;

/// The bytes the fake kernel receives into buffers 0 and 1, in that order.
const DATA: [(u16, u8); 2] = [(0, b'a'), (1, b'b')];

struct Events {
    /// Completions the fake kernel has started to post.
    posted: AtomicUsize,
    /// Completions given to `release`.
    released: AtomicUsize,
    /// The final completion went to `release` (it came after the stream's drop).
    final_released: AtomicUsize,
    /// Operations dropped.
    dropped: AtomicUsize,
    /// Written by the fake kernel just before its final completion, read by the operation's
    /// drop: loom reports a race if the operation is dropped before the final completion.
    last_write: UnsafeCell<u32>,
}

// SAFETY: `last_write` is written once by the fake kernel and read once by the operation's
// drop; whether those are ordered is what loom checks.
unsafe impl Sync for Events {}

/// A multishot receive without a socket: `RecvMulti`'s `item` and `release`.
struct ModelRecv {
    group: Arc<BufGroup>,
    events: LoomArc<Events>,
}

/// `RecvMulti`'s `Chunk`, as far as the model needs.
enum Item {
    Data(TakenBuf),
    /// A completion without a buffer: its result (0 for end-of-file).
    End(i32),
}

// SAFETY: the entry (a no-op) points at nothing; the model never submits it.
unsafe impl MultishotOperation for ModelRecv {
    const OPCODE: u8 = io_uring::opcode::RecvMulti::CODE;
    type Item = Item;

    fn entry(&mut self) -> squeue::Entry {
        io_uring::opcode::Nop::new().build()
    }

    fn item(&mut self, completion: Completion) -> Item {
        let res = completion.result();
        // SAFETY: a completion of the fake kernel, naming a buffer of this group it wrote, and
        // `item` or `release` sees each completion once (what the model checks).
        match unsafe { self.group.take(completion.flags(), res.max(0) as u32) } {
            Some(buf) => Item::Data(buf),
            None => Item::End(res),
        }
    }

    fn release(&mut self, completion: Completion) {
        self.events.released.fetch_add(1, SeqCst);
        if !io_uring::cqueue::more(completion.flags()) {
            self.events.final_released.fetch_add(1, SeqCst);
        }
        // SAFETY: as in `item`; the buffer, if any, is given back as the `TakenBuf` drops.
        drop(unsafe {
            self.group
                .take(completion.flags(), completion.result().max(0) as u32)
        });
    }
}

impl Drop for ModelRecv {
    fn drop(&mut self) {
        // SAFETY: a read, racing (for loom) with the fake kernel's write if the operation is
        // dropped before the final completion.
        let last = self.events.last_write.with(|w| unsafe { *w });
        assert_eq!(
            last, 1,
            "the operation was dropped before its final completion"
        );
        self.events.dropped.fetch_add(1, SeqCst);
    }
}

/// Unparks the thread that polled: a reader that found nothing parks until woken, so a lost
/// wake-up is a deadlock, which loom reports.
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn setup(owner: &BufGroupOwner) -> (Arc<MultiCell<ModelRecv>>, LoomArc<Events>) {
    let events = LoomArc::new(Events {
        posted: AtomicUsize::new(0),
        released: AtomicUsize::new(0),
        final_released: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
        last_write: UnsafeCell::new(0),
    });
    let cell = MultiCell::new(ModelRecv {
        group: Arc::clone(owner.group()),
        events: events.clone(),
    });
    (cell, events)
}

/// The fake kernel and reaper for completion `n` of the request: data into buffer `DATA[n]`
/// (flagged `F_MORE`), or, for `n == DATA.len()`, the final one (end-of-file, no buffer).
///
/// # Safety
/// `user_data` is the cell's, from `into_user_data`; completions are posted once each, in
/// order, none after the final one.
unsafe fn post(user_data: u64, group: &BufGroup, events: &Events, n: usize) {
    let result = match DATA.get(n) {
        Some(&(bid, byte)) => {
            // SAFETY: buffer `bid` is the kernel's: it was named by no completion yet.
            unsafe { group.kernel_write(bid, &[byte]) };
            CqeResult {
                res: 1,
                flags: F_BUFFER | (u32::from(bid) << BUFFER_SHIFT) | F_MORE,
                refused: None,
            }
        }
        None => {
            // SAFETY: the only write, before the final completion (see `Events::last_write`).
            events.last_write.with_mut(|w| unsafe { *w = 1 });
            CqeResult {
                res: 0,
                flags: 0,
                refused: None,
            }
        }
    };
    events.posted.fetch_add(1, SeqCst);
    // SAFETY: the caller's contract; the ring's reference passes into `done` with the final
    // completion.
    let done = unsafe { RawOp::enqueue_in_order(user_data, result) }
        .expect("a multishot cell queues its completions");
    // No cap on this cell: no cancel asked for.
    assert!(done.finish().is_none());
}

/// A thread playing the kernel and the reaper: posts completions `from..=DATA.len()`.
fn spawn_kernel(
    user_data: u64,
    group: &Arc<BufGroup>,
    events: &LoomArc<Events>,
    from: usize,
) -> thread::JoinHandle<()> {
    let group = Arc::clone(group);
    let events = events.clone();
    thread::spawn(move || {
        for n in from..=DATA.len() {
            // SAFETY: each completion once, in order, the final one last.
            unsafe { post(user_data, &group, &events, n) };
        }
    })
}

fn poll(cell: &MultiCell<ModelRecv>) -> Poll<Option<Item>> {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    cell.poll_next(&mut Context::from_waker(&waker))
        .map(|next| next.map(|item| item.unwrap_or_else(|_| panic!("never refused"))))
}

/// After the model's threads are done: every buffer the kernel filled is back in the group's
/// ring exactly once (counting what `republished` so far), and no more come back.
fn assert_buffers_back_once(owner: &mut BufGroupOwner, republished: usize) {
    let republished = republished + owner.republish();
    let mut ids = owner.published();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [0, 1],
        "buffers back in the ring ({republished} republished)"
    );
    assert_eq!(republished, DATA.len());
    assert_eq!(owner.republish(), 0, "a buffer came back twice");
}

/// Model 1: the reaper posts two chunks (each in a buffer, `F_MORE`) and the final end-of-file
/// while a reader on another thread takes the items, reads each chunk and drops it (its
/// buffer goes back through the group's list), and the owner republishes meanwhile and after.
/// The reader gets "a", "b", then the end; it parks whenever it finds nothing, so a lost
/// wake-up deadlocks (loom fails the model); every buffer comes back into the ring exactly
/// once; nothing is released; the operation is dropped once, after the final completion.
///
/// Catches: a `TakenBuf` that does not give its buffer back on drop, or gives it back twice;
/// a give-back lost between the group's list and its flag (`give_back`'s order against
/// `republish`'s swap); completions reaching the reader out of order; a poll that leaves no
/// waker, or a completion that wakes nobody; the operation dropped before its final
/// completion (the race on `last_write`). Checked by breaking the code: with `TakenBuf::drop`
/// not giving the buffer back, or `BufGroup::give_back` raising the group's flag before it
/// lists the id, the model fails ("buffers back in the ring"); with a pending
/// `MultiCell::poll_next` leaving no waker, loom reports a deadlock. (A wake-up that comes
/// late, at a later completion, is not a lost one: the reader then catches up.)
#[test]
fn chunks_read_on_another_thread_come_back_once() {
    crate::loom::model::model(|| {
        let mut owner = BufGroupOwner::model(4);
        let (cell, events) = setup(&owner);
        let user_data = cell.raw().into_user_data(tag::OP);
        let kernel = spawn_kernel(user_data, owner.group(), &events, 0);
        let reader = {
            let cell = Arc::clone(&cell);
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    match poll(&cell) {
                        Poll::Ready(Some(Item::Data(buf))) => got.push(buf.to_vec()),
                        Poll::Ready(Some(Item::End(res))) => {
                            assert_eq!(res, 0, "end-of-file");
                            got.push(Vec::new());
                        }
                        Poll::Ready(None) => break,
                        Poll::Pending => thread::park(),
                    }
                }
                got
            })
        };
        // The owner's tick, racing the give-backs.
        let republished = owner.republish();
        kernel.join().unwrap();
        let got = reader.join().unwrap();
        assert_eq!(got, [&b"a"[..], b"b", b""]);
        drop(cell);
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_eq!(events.released.load(SeqCst), 0);
        assert_buffers_back_once(&mut owner, republished);
    });
}

/// Model 2: the reader polls twice (taking whatever has come, reading and dropping it), then
/// drops the stream, racing the reaper's two chunks and the final completion; the owner
/// republishes while the reaper may still post. Every completion is taken or released
/// exactly once, so every buffer comes back into the ring exactly once; the operation is
/// dropped once, after the final completion; a cancel is asked for if and only if the
/// stream was dropped before the final completion came (then `release` got that one).
///
/// Catches: a completion queued but untaken at the drop that is not released (its buffer
/// lost: the drop must release the queue), or one released twice (by the drop and again as
/// it comes); a completion after the drop that is queued instead of released; the operation
/// dropped with the stream before the final completion; a cancel not asked for while the
/// request may still post (a multishot receive never ends by itself), or asked for after it
/// ended. Checked by breaking the code: with `ModelRecv::release` not taking the buffer the
/// model fails ("buffers back in the ring"); with `MultiCell::drop_stream` not releasing the
/// queue, "taken 0, released 0"; with it dropping the operation before the final completion,
/// "the operation was dropped before its final completion".
#[test]
fn stream_dropped_racing_the_final_completion() {
    crate::loom::model::model(|| {
        let mut owner = BufGroupOwner::model(4);
        let (cell, events) = setup(&owner);
        let user_data = cell.raw().into_user_data(tag::OP);
        let kernel = spawn_kernel(user_data, owner.group(), &events, 0);
        let mut taken = 0;
        for _ in 0..2 {
            if let Poll::Ready(Some(item)) = poll(&cell) {
                taken += 1;
                if let Item::Data(buf) = item {
                    assert_eq!(buf.len(), 1);
                }
            }
        }
        let cancel = cell.drop_stream();
        // After the drop: without a cancel, the final completion was queued before it.
        let posted = events.posted.load(SeqCst);
        // `OpStream::drop` then gives the ring a reference for the cancel request, dropped at
        // the cancel's completion (here, after the kernel is done).
        let cancel_ref = cancel.then(|| cell.raw());
        drop(cell);
        let republished = owner.republish();
        kernel.join().unwrap();
        drop(cancel_ref);
        let released = events.released.load(SeqCst);
        assert_eq!(
            taken + released,
            DATA.len() + 1,
            "taken {taken}, released {released}"
        );
        assert_eq!(events.dropped.load(SeqCst), 1);
        if cancel {
            assert_eq!(
                events.final_released.load(SeqCst),
                1,
                "the final completion came after the drop: it was released"
            );
        } else {
            assert_eq!(
                posted,
                DATA.len() + 1,
                "no cancel, yet the request had not ended"
            );
        }
        assert_buffers_back_once(&mut owner, republished);
    });
}

/// Model 3: the reader has taken the first chunk and holds it (as `uring_recv.rs`'s
/// `State::chunk`) when its stream is dropped, racing the second chunk and the final
/// completion; it reads the chunk and drops it after, while the owner republishes. The held
/// chunk's buffer comes back exactly once (by its own drop, not by the stream's), the
/// untaken one too (by `release`), and the operation is dropped once, after the final
/// completion.
///
/// Catches: the stream's drop giving back a buffer a taken chunk still holds (a second give-
/// back, and the kernel could fill it while the reader reads it); a held chunk's buffer
/// never coming back once its stream is gone; the chunk's bytes not outliving the stream
/// (the group must live as long as the `TakenBuf`). Checked by breaking the code: with
/// `TakenBuf::drop` not giving the buffer back, or `ModelRecv::release` not taking it, the
/// model fails ("buffers back in the ring"); with `MultiCell::drop_stream` not releasing the
/// queue, the count of released completions is short.
#[test]
fn chunk_held_across_the_stream_drop_comes_back_once() {
    crate::loom::model::model(|| {
        let mut owner = BufGroupOwner::model(4);
        let (cell, events) = setup(&owner);
        let user_data = cell.raw().into_user_data(tag::OP);
        // The first chunk came before the reader's poll.
        // SAFETY: completion 0, the first, posted once.
        unsafe { post(user_data, owner.group(), &events, 0) };
        let kernel = spawn_kernel(user_data, owner.group(), &events, 1);
        let reader = thread::spawn(move || {
            let Poll::Ready(Some(Item::Data(chunk))) = poll(&cell) else {
                panic!("the first chunk was queued");
            };
            let cancel = cell.drop_stream();
            let cancel_ref = cancel.then(|| cell.raw());
            drop(cell);
            assert_eq!(&*chunk, b"a", "the held chunk outlives its stream");
            drop(chunk);
            cancel_ref
        });
        let republished = owner.republish();
        kernel.join().unwrap();
        drop(reader.join().unwrap());
        assert_eq!(events.released.load(SeqCst), DATA.len());
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_buffers_back_once(&mut owner, republished);
    });
}
