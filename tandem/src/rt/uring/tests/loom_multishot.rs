use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc as LoomArc;
use crate::rt::uring::cell::{tag, CqeResult, RawOp};
use crate::rt::uring::multishot::{MultiCell, MultishotOperation};
use crate::rt::uring::operation::Completion;
use io_uring::squeue;
use loom::thread;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A value the fake kernel writes before its first CQE and the operation's drop reads: loom
/// reports a race if the operation were freed while the kernel may still write.
struct Buffer(UnsafeCell<u32>);

// SAFETY: accesses are ordered by the protocol under test; loom checks exactly that.
unsafe impl Sync for Buffer {}

struct Events {
    taken: AtomicUsize,
    released: AtomicUsize,
    dropped: AtomicUsize,
    woken: AtomicUsize,
}

struct FakeMulti {
    buffer: Arc<Buffer>,
    events: LoomArc<Events>,
}

// SAFETY: the fake entry points at nothing; the model never submits it.
unsafe impl MultishotOperation for FakeMulti {
    const OPCODE: u8 = io_uring::opcode::Nop::CODE;
    type Item = i32;

    fn entry(&mut self) -> squeue::Entry {
        io_uring::opcode::Nop::new().build()
    }

    fn item(&mut self, completion: Completion) -> i32 {
        self.events.taken.fetch_add(1, SeqCst);
        completion.result()
    }

    fn release(&mut self, _completion: Completion) {
        self.events.released.fetch_add(1, SeqCst);
    }
}

impl Drop for FakeMulti {
    fn drop(&mut self) {
        // SAFETY: a read, racing (for loom) with the kernel's write if freed early.
        let value = self.buffer.0.with(|b| unsafe { *b });
        assert_eq!(
            value, 42,
            "the operation was dropped before the kernel was done"
        );
        self.events.dropped.fetch_add(1, SeqCst);
    }
}

struct CountWake(LoomArc<Events>);

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.woken.fetch_add(1, SeqCst);
    }
}

fn setup() -> (Arc<MultiCell<FakeMulti>>, LoomArc<Events>, Arc<Buffer>) {
    let events = LoomArc::new(Events {
        taken: AtomicUsize::new(0),
        released: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
        woken: AtomicUsize::new(0),
    });
    let buffer = Arc::new(Buffer(UnsafeCell::new(0)));
    let cell = MultiCell::new(FakeMulti {
        buffer: buffer.clone(),
        events: events.clone(),
    });
    (cell, events, buffer)
}

fn cqe(res: i32, more: bool) -> CqeResult {
    CqeResult {
        res,
        // IORING_CQE_F_MORE
        flags: if more { 1 << 1 } else { 0 },
        refused: None,
    }
}

/// The kernel and reaper: writes the buffer, then delivers CQEs 1 and 2 (F_MORE) and the final
/// 3, through the ring's reference, as `ring/reap.rs` dispatches them.
fn spawn_kernel(cell: &Arc<MultiCell<FakeMulti>>, buffer: Arc<Buffer>) -> thread::JoinHandle<()> {
    let user_data = cell.raw().into_user_data(tag::OP);
    thread::spawn(move || {
        // SAFETY: the kernel's write; the cell must keep the operation alive until the end.
        buffer.0.with_mut(|b| unsafe { *b = 42 });
        for res in [1, 2] {
            // SAFETY: the ring's reference is held until the final CQE below.
            unsafe { RawOp::deliver_more(user_data, cqe(res, true)) };
        }
        // SAFETY: the reference given up by `into_user_data`, consumed once, at the final CQE.
        unsafe { RawOp::from_user_data(user_data) }.complete(cqe(3, false));
    })
}

fn poll(cell: &MultiCell<FakeMulti>, events: &LoomArc<Events>) -> Poll<Option<i32>> {
    let waker = Waker::from(Arc::new(CountWake(events.clone())));
    cell.poll_next(&mut Context::from_waker(&waker))
        .map(|next| next.map(|item| item.expect("never refused")))
}

/// With every CQE queued: the stream takes items 1, 2, 3 in order, then the cell, dropped,
/// drops its operation once.
fn takes_every_item_then_drops(cell: Arc<MultiCell<FakeMulti>>, events: &LoomArc<Events>) {
    let mut items = Vec::new();
    while let Poll::Ready(Some(item)) = poll(&cell, events) {
        items.push(item);
    }
    assert_eq!(items, [1, 2, 3]);
    drop(cell);
    assert_eq!(events.dropped.load(SeqCst), 1);
}

/// The stream polls while the CQEs arrive: it gets every item, in order, then the end; a poll
/// that found nothing is always woken later (no lost wake-up).
#[test]
fn stream_gets_every_item_then_ends() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        let kernel = spawn_kernel(&cell, buffer);
        let mut kernel = Some(kernel);
        let mut items = Vec::new();
        loop {
            // Read before the poll: a wake may come as soon as the poll leaves its waker.
            let woken = events.woken.load(SeqCst);
            match poll(&cell, &events) {
                Poll::Ready(Some(item)) => items.push(item),
                Poll::Ready(None) => break,
                Poll::Pending => {
                    let kernel = kernel.take().expect("pending after every CQE came");
                    kernel.join().unwrap();
                    assert!(
                        events.woken.load(SeqCst) > woken,
                        "a CQE came and nobody woke"
                    );
                }
            }
        }
        if let Some(kernel) = kernel {
            kernel.join().unwrap();
        }
        assert_eq!(items, [1, 2, 3]);
        drop(cell);
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_eq!(events.released.load(SeqCst), 0);
    });
}

/// The stream is dropped (after one poll) while the CQEs arrive: every CQE is either taken or
/// released, exactly once, and the operation is dropped once, after the kernel is done.
#[test]
fn drop_races_the_cqes() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        let kernel = spawn_kernel(&cell, buffer);
        let _ = poll(&cell, &events);
        let cancel = cell.drop_stream();
        drop(cell);
        kernel.join().unwrap();
        let taken = events.taken.load(SeqCst);
        let released = events.released.load(SeqCst);
        assert_eq!(taken + released, 3, "taken {taken}, released {released}");
        assert_eq!(events.dropped.load(SeqCst), 1);
        // A cancel is asked for only while the final CQE has not come.
        if cancel {
            assert!(
                released >= 1,
                "the final CQE came after the drop: it was released"
            );
        }
    });
}

/// Two reapers drain a CQ holding CQEs 1 and 2 (F_MORE) and the final 3, one per lock hold, as
/// `ring/reap.rs` does: each CQE is queued in the cell under the CQ's lock
/// (`RawOp::enqueue_in_order`) and its waker woken after. Whichever reaper holds the lock for
/// which CQE, the stream gets 1, 2, 3 in that order, and the operation is dropped once. (Had
/// the reapers queued the CQEs after unlocking, as one-shot completions are delivered, one
/// could queue 3 before the other queued 2.)
#[test]
fn cqes_reaped_by_two_threads_keep_their_order() {
    use crate::loom::sync::Mutex;
    use crate::util::drain_lock::DrainLock;
    use std::collections::VecDeque;

    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        // SAFETY: the kernel's write, before any CQE is posted.
        buffer.0.with_mut(|b| unsafe { *b = 42 });
        let user_data = cell.raw().into_user_data(tag::OP);
        let cq = LoomArc::new((
            DrainLock::new(),
            Mutex::new(VecDeque::from([cqe(1, true), cqe(2, true), cqe(3, false)])),
        ));
        let reapers: Vec<_> = (0..2)
            .map(|_| {
                let cq = cq.clone();
                thread::spawn(move || {
                    while let Some(held) = cq.0.try_lock() {
                        let next = cq.1.lock().pop_front();
                        // SAFETY: each CQE is popped once, under the CQ lock; the ring's
                        // reference lives until the final one, which hands it over.
                        let queued = next
                            .map(|result| unsafe { RawOp::enqueue_in_order(user_data, result) });
                        held.unlock();
                        match queued {
                            Some(Some(done)) => {
                                // No cap on this cell: no cancel asked for.
                                assert!(done.finish().is_none());
                            }
                            Some(None) => unreachable!("a multishot cell queues its CQEs"),
                            None => break,
                        }
                    }
                })
            })
            .collect();
        for reaper in reapers {
            reaper.join().unwrap();
        }
        // A reaper that found the lock held left the rest to the holder: all three are in.
        assert!(cq.1.lock().is_empty());
        takes_every_item_then_drops(cell, &events);
    });
}

/// A cell with a cap of 2 untaken CQEs: the reaper queues CQEs 1 and 2 (F_MORE) and the final
/// 3 while the stream takes items. However they interleave, the cell asks for at most one
/// cancel, and only if 2 CQEs were untaken at once; the stream still gets 1, 2, 3 in order, and
/// the operation is dropped once, after the cancel's reference and the ring's are gone.
#[test]
fn the_cap_asks_for_one_cancel_at_most() {
    capped_cell(false);
}

/// The same, with the stream ending the request itself first (`OpStream::end`, which a TCP
/// receive does to follow its reader): the stream's claim and the cap's share one flag, so at
/// most one cancel is asked for in all, none once the final CQE came.
#[test]
fn ending_from_the_stream_and_the_cap_ask_for_one_cancel_in_all() {
    capped_cell(true);
}

/// The model of the two tests above; `stream_ends`: the stream claims the cancel first.
fn capped_cell(stream_ends: bool) {
    crate::loom::model::model(move || {
        let (cell, events, buffer) = setup();
        cell.set_cap(2);
        // SAFETY: the kernel's write, before any CQE is posted.
        buffer.0.with_mut(|b| unsafe { *b = 42 });
        let user_data = cell.raw().into_user_data(tag::OP);
        let reaper = thread::spawn(move || {
            let mut cancels = Vec::new();
            for (res, more) in [(1, true), (2, true), (3, false)] {
                // SAFETY: one CQE at a time, in order, as under the CQ lock; the ring's
                // reference is handed over with the final one.
                let done = unsafe { RawOp::enqueue_in_order(user_data, cqe(res, more)) }
                    .expect("a multishot cell queues its CQEs");
                cancels.extend(done.finish());
            }
            let asked = cancels.len();
            // The cancel request's reference, dropped at its CQE.
            drop(cancels);
            asked
        });
        let claimed = stream_ends && cell.claim_cancel();
        let mut items = Vec::new();
        loop {
            match poll(&cell, &events) {
                Poll::Ready(Some(item)) => items.push(item),
                Poll::Ready(None) => break,
                Poll::Pending => thread::yield_now(),
            }
        }
        if stream_ends {
            assert!(!cell.claim_cancel(), "a second claim, or one after the end");
        }
        let asked = reaper.join().unwrap() + usize::from(claimed);
        assert!(asked <= 1, "{asked} cancels asked for");
        assert_eq!(items, [1, 2, 3]);
        drop(cell);
        assert_eq!(events.dropped.load(SeqCst), 1);
    });
}

/// A raw read waits for the request's end (`MultiCell::poll_final`, `net/uring_recv.rs` step 8)
/// while the CQEs arrive: a wait that found no final CQE is woken later (no lost wake-up), one
/// that found it has every item queued, and the stream then takes 1, 2, 3 in order.
#[test]
fn a_wait_for_the_final_cqe_is_woken_and_finds_every_item() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        let kernel = spawn_kernel(&cell, buffer);
        let waker = Waker::from(Arc::new(CountWake(events.clone())));
        // Read before the poll: a wake may come as soon as the poll leaves its waker.
        let woken = events.woken.load(SeqCst);
        if cell
            .poll_final(Some(&mut Context::from_waker(&waker)))
            .is_pending()
        {
            kernel.join().unwrap();
            assert!(
                events.woken.load(SeqCst) > woken,
                "the end came, nobody woke"
            );
            assert!(cell.poll_final(None).is_ready());
        } else {
            kernel.join().unwrap();
        }
        takes_every_item_then_drops(cell, &events);
    });
}
