use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc as LoomArc;
use crate::rt::uring::cell::{CqeResult, OpCell, OpCode};
use io_uring::squeue;
use loom::thread;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A buffer the fake kernel writes and the op's drop reads.
struct Buffer(UnsafeCell<u32>);

// SAFETY: accesses are ordered by the op protocol under test; loom checks exactly that.
unsafe impl Sync for Buffer {}

impl Buffer {
    fn with<R>(&self, f: impl FnOnce(*const u32) -> R) -> R {
        self.0.with(f)
    }
    fn with_mut<R>(&self, f: impl FnOnce(*mut u32) -> R) -> R {
        self.0.with_mut(f)
    }
}

/// What the fake kernel touches, and counters of what happened to it.
struct FakeOp {
    /// The "buffer": written by the kernel thread before it delivers the CQE. Dropping the op
    /// reads it, so loom reports a race if the op were freed while the kernel may write.
    buffer: Arc<Buffer>,
    events: LoomArc<Events>,
}

struct Events {
    dropped: AtomicUsize,
    released: AtomicUsize,
    woken: AtomicUsize,
    /// Wakers (`CountWake`) freed.
    wakers_dropped: AtomicUsize,
}

// SAFETY: the fake entry points at nothing; the model never submits it.
unsafe impl OpCode for FakeOp {
    fn entry(&mut self) -> squeue::Entry {
        io_uring::opcode::Nop::new().build()
    }

    fn release(&mut self, result: CqeResult) {
        assert_eq!(result.res, 7, "released a result that was not delivered");
        self.events.released.fetch_add(1, SeqCst);
    }
}

impl Drop for FakeOp {
    fn drop(&mut self) {
        // SAFETY: a read, racing (for loom) with the kernel's write if the op is freed early.
        let value = self.buffer.with(|b| unsafe { *b });
        assert_eq!(
            value, 42,
            "the op was dropped before the kernel finished with it"
        );
        self.events.dropped.fetch_add(1, SeqCst);
    }
}

struct CountWake(LoomArc<Events>);

impl Drop for CountWake {
    fn drop(&mut self) {
        self.0.wakers_dropped.fetch_add(1, SeqCst);
    }
}

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.woken.fetch_add(1, SeqCst);
    }
}

fn setup() -> (Arc<OpCell<FakeOp>>, LoomArc<Events>, Arc<Buffer>) {
    let events = LoomArc::new(Events {
        dropped: AtomicUsize::new(0),
        released: AtomicUsize::new(0),
        woken: AtomicUsize::new(0),
        wakers_dropped: AtomicUsize::new(0),
    });
    let buffer = Arc::new(Buffer(UnsafeCell::new(0)));
    let cell = OpCell::new(FakeOp {
        buffer: buffer.clone(),
        events: events.clone(),
    });
    (cell, events, buffer)
}

/// The kernel and reaper: write the buffer, then deliver the CQE through the ring's reference.
fn spawn_kernel(cell: &Arc<OpCell<FakeOp>>, buffer: Arc<Buffer>) -> thread::JoinHandle<()> {
    let ring_ref = cell.raw();
    // Send the raw reference across as an integer, as the kernel carries user_data.
    let user_data = ring_ref.into_user_data(crate::rt::uring::cell::tag::OP);
    thread::spawn(move || {
        // SAFETY: the kernel's write; the op must keep the buffer alive until the CQE.
        buffer.with_mut(|b| unsafe { *b = 42 });
        // SAFETY: the reference given up by `into_user_data`, consumed once.
        let raw = unsafe { crate::rt::uring::cell::RawOp::from_user_data(user_data) };
        raw.complete(CqeResult {
            res: 7,
            ..CqeResult::default()
        });
    })
}

/// Polls until ready, as an executor would on each wake-up.
fn poll_once(cell: &OpCell<FakeOp>, events: &LoomArc<Events>) -> Poll<(CqeResult, FakeOp)> {
    let waker = Waker::from(Arc::new(CountWake(events.clone())));
    cell.poll_complete(&mut Context::from_waker(&waker))
}

/// The future polls while the CQE arrives: it either sees the result at once or is woken, and
/// gets the data back exactly once; nothing is released.
#[test]
fn poll_races_completion() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        let kernel = spawn_kernel(&cell, buffer);
        let out = match poll_once(&cell, &events) {
            Poll::Ready(out) => out,
            Poll::Pending => {
                kernel.join().unwrap();
                assert_eq!(events.woken.load(SeqCst), 1, "completion did not wake");
                match poll_once(&cell, &events) {
                    Poll::Ready(out) => out,
                    Poll::Pending => panic!("woken but not complete"),
                }
            }
        };
        assert_eq!(out.0.res, 7);
        drop(out);
        drop(cell);
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_eq!(events.released.load(SeqCst), 0);
    });
}

/// The future is dropped (after registering a waker) while the CQE arrives: whoever comes
/// second owns the data; it is released once and freed once, never before the kernel's write.
#[test]
fn drop_races_completion() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        assert!(poll_once(&cell, &events).is_pending());
        let kernel = spawn_kernel(&cell, buffer);
        let cancel_ref = cell.drop_future();
        drop(cell);
        // A cancel request holds its own reference until its CQE: drop it after the kernel.
        kernel.join().unwrap();
        drop(cancel_ref);
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_eq!(events.released.load(SeqCst), 1);
        // Woken at most once: only if the CQE arrived before the drop.
        assert!(events.woken.load(SeqCst) <= 1);
    });
}

/// The future re-polls with a new waker while the CQE arrives: the result is never missed.
#[test]
fn waker_change_races_completion() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        assert!(poll_once(&cell, &events).is_pending());
        let kernel = spawn_kernel(&cell, buffer);
        let second = poll_once(&cell, &events);
        kernel.join().unwrap();
        let out = match second {
            Poll::Ready(out) => out,
            Poll::Pending => {
                assert!(events.woken.load(SeqCst) >= 1, "completion did not wake");
                match poll_once(&cell, &events) {
                    Poll::Ready(out) => out,
                    Poll::Pending => panic!("woken but not complete"),
                }
            }
        };
        drop(out);
        drop(cell);
        assert_eq!(events.dropped.load(SeqCst), 1);
        assert_eq!(events.released.load(SeqCst), 0);
    });
}

/// The future is dropped while its operation is in flight: it frees its waker then and there,
/// not when the cell is freed (a FIFO read nobody feeds never is, and a cell left at the
/// shutdown deadline only once the reaper reaps it; its waker would keep the task and its
/// runtime alive meanwhile). Racing the completion, the ring never reads the
/// slot the future empties (loom checks the cell accesses).
#[test]
fn drop_in_flight_releases_the_waker() {
    crate::loom::model::model(|| {
        let (cell, events, buffer) = setup();
        assert!(poll_once(&cell, &events).is_pending());
        let kernel = spawn_kernel(&cell, buffer);
        let cancel_ref = cell.drop_future();
        if cancel_ref.is_some() {
            // Handed to the ring: the waker is gone although the ring still holds the cell.
            assert_eq!(
                events.wakers_dropped.load(SeqCst),
                1,
                "the waker outlived its future"
            );
        }
        drop(cell);
        kernel.join().unwrap();
        drop(cancel_ref);
        assert_eq!(events.wakers_dropped.load(SeqCst), 1);
        assert_eq!(events.dropped.load(SeqCst), 1);
    });
}
