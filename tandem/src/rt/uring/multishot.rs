//! Multishot operations: one entry, many CQEs (each flagged `IORING_CQE_F_MORE` but the last),
//! as a stream (`OpStream`, public in `tandem::uring` with `MultishotOperation`).
//!
//! The cell (`MultiCell`) starts with the same `Header` as a one-shot cell, so the ring treats
//! both alike (`user_data`, the ring's reference, cancel requests), but keeps its state under
//! one mutex instead of the lifecycle word: a queue of CQEs not yet taken, whether the final CQE
//! came (`ended`), whether the stream is gone (`dropped`), the stream's waker, and the
//! operation's data.
//!
//! # Protocol
//! 1. First poll: the stream moves the operation into a new cell, builds the entry from it,
//!    gives one reference to the ring and pushes the entry on the polling thread's ring, whose
//!    handle it keeps (as `op.rs`).
//! 2. A CQE with `F_MORE` or the final one: the reaper, still holding the CQ's lock, calls
//!    `Vtable::enqueue`, so one request's CQEs reach the cell in the CQ's order whichever
//!    thread reaps which batch (`ring/reap.rs`). Under the cell's lock, if the stream is alive
//!    the CQE joins the queue and the waker is taken (cloned; moved out at the final CQE,
//!    after which nothing wakes the stream again) to be woken after the CQ's lock is
//!    released; if the stream is gone, the operation's `release` gets the CQE at once (a
//!    multishot accept's fd is closed). After the final CQE the ring's reference is dropped
//!    once the CQ's lock is released. (`Vtable::more` and `complete` do the same with the wake
//!    at once, for callers that hold no CQ lock: the loom models.)
//! 3. The stream, under the lock, takes the queue's oldest CQE and turns it into an item (the
//!    operation's `item`); with the queue empty and `ended` set, the stream ends; else it leaves
//!    its waker. Items, the waker and `ended` change only under the lock, so no CQE is missed.
//! 4. Dropping the stream: under the lock, `dropped` is set, the CQEs it did not take are
//!    released, and the waker is taken out (dropped after the lock). If the final CQE has not
//!    come, the stream asks the ring to cancel the operation (a multishot request never ends
//!    by itself); the cell, and the memory the kernel may still write, live until the final CQE.
//! 5. The operation itself is dropped with the cell, after the final CQE and the stream are
//!    both gone, on whichever thread lets the last reference go.

use super::cell::{tag, CqeResult, Header, RawOp, Refused, Vtable};
use super::op_future::{refusal_error, with_uring};
use super::operation::Completion;
use super::ring::{LocalRing, Queued, Ring};
use crate::loom::sync::Mutex;
use io_uring::squeue;
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A multishot io_uring operation: one submission entry, a completion for each event (an
/// accepted connection, a received message, a timer tick, a readiness change), the last
/// without `IORING_CQE_F_MORE`. [`submit_multishot`] gives its [`OpStream`] of items.
///
/// Ownership and cancellation are [`Operation`](super::Operation)'s: the operation lives in a
/// heap cell until the final completion, whatever happens to the stream; dropping the stream
/// cancels the request on its ring (from any thread), and completions that come after the
/// drop, or that the stream had not taken, go to [`release`](MultishotOperation::release), on
/// the thread that reaps the ring (or in the drop, on the dropping thread, for those already
/// queued). The final completion also ends the stream when the kernel ends the request by
/// itself (an error, a multishot timeout's last tick, a full CQ): re-submit to go on.
///
/// # Safety
/// As [`Operation`](super::Operation)'s points 1, 2, 4 and 5: every pointer in the entry points
/// into heap or static memory `self` owns, valid until `self` is dropped; every fd it names is
/// owned by `self`; building it gives up nothing; it posts to no other ring and cancels no
/// other request. Point 3 differs: the entry is one multishot
/// request of [`OPCODE`](MultishotOperation::OPCODE), whose every completion but the last
/// carries `IORING_CQE_F_MORE`.
pub unsafe trait MultishotOperation: Send + 'static {
    /// The `IORING_OP_*` code of the entry.
    const OPCODE: u8;

    /// What the stream yields for each completion.
    type Item;

    /// Builds the submission entry (with its multishot flag) from the data `self` owns. Called
    /// once. Flags set on the entry itself are cleared, as for [`Operation`](super::Operation).
    fn entry(&mut self) -> squeue::Entry;

    /// Turns one completion (the last one too) into an item, on the thread polling the stream.
    /// Runs under the stream's lock: keep it short.
    fn item(&mut self, completion: Completion) -> Self::Item;

    /// Releases what a completion nobody will take created (an accepted fd). Runs under the
    /// stream's lock on a runtime thread; a panic in it is caught. The default does nothing.
    fn release(&mut self, completion: Completion) {
        let _ = completion;
    }
}

/// Submits `op` on the current runtime, as [`submit`](super::submit) does, and returns the
/// stream of its completions: [`OpStream::next`] (or `poll_next`) yields an item per
/// completion, then `None` after the final one.
///
/// # Errors
/// The stream's first item is an error, and the stream ends, if the entry never reaches a
/// kernel: kind `Unsupported` (no io_uring on this runtime, or the kernel lacks the opcode),
/// or `Other`, "background task failed" (the runtime shut down).
///
/// # Panics
/// At the first poll outside a runtime, as [`submit`](super::submit).
pub fn submit_multishot<T: MultishotOperation>(op: T) -> OpStream<T> {
    OpStream {
        stage: Stage::Start(op),
    }
}

/// For Tandem's own multishot operations that need the ring they run on (a receive names the
/// ring's buffer group): on a worker holding its core, `make` builds the operation from the
/// worker's ring, and its entry is pushed there (submitted with the tick's flush); `None`, with
/// nothing pushed, on any other thread or when `make` declines. Unlike `submit_multishot`, the
/// entry's flags are kept (`IOSQE_BUFFER_SELECT`): the operation is crate code, and must set no
/// flag but that one.
///
/// `cap`: once the stream leaves this many CQEs untaken, the request is cancelled (by the
/// reaper, through the ring's remote cancels): a stream whose reader lags stops taking from
/// the kernel, which keeps the rest (a socket's bytes stay in its buffer, and TCP flow control
/// applies). The stream ends after the CQEs already queued; the caller submits again when it
/// has caught up.
pub(crate) fn submit_multishot_local<T: MultishotOperation>(
    cap: usize,
    make: impl FnOnce(&LocalRing) -> Option<T>,
) -> Option<OpStream<T>> {
    super::with_local_ring(|local, _idle| {
        let op = make(local)?;
        let cell = MultiCell::new(op);
        cell.inner.lock().cap = cap;
        let entry = {
            let mut inner = cell.inner.lock();
            let data = inner.data.as_mut().expect("a new cell holds its data");
            data.entry()
        };
        let entry = entry.user_data(cell.raw().into_user_data(tag::OP));
        local.submitter().push_ops(Queued::One(entry));
        Some(OpStream {
            stage: Stage::Running {
                cell,
                ring: local.ring().clone(),
            },
        })
    })
    .flatten()
}

/// The stream of a [`MultishotOperation`]'s completions. `Send`; dropping it cancels the
/// operation.
#[must_use = "streams do nothing unless polled"]
pub struct OpStream<T: MultishotOperation> {
    stage: Stage<T>,
}

enum Stage<T: MultishotOperation> {
    Start(T),
    Running {
        cell: Arc<MultiCell<T>>,
        ring: Arc<Ring>,
    },
    /// Ended: the final completion was taken, or the entry never reached a kernel.
    Done,
}

/// The cell of one multishot operation (see the module docs).
#[repr(C)]
pub(super) struct MultiCell<T: MultishotOperation> {
    /// The ring's way in.
    header: Header,
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    /// The operation; taken out (to be dropped) once the stream and the final CQE are gone.
    data: Option<T>,
    /// CQEs the stream has not taken, oldest first.
    queue: VecDeque<CqeResult>,
    /// The final CQE was delivered (it may still be in `queue`).
    ended: bool,
    /// The stream was dropped: CQEs go to `release` as they come.
    dropped: bool,
    waker: Option<Waker>,
    /// Untaken CQEs at which the reaper cancels the request (`submit_multishot_local`).
    cap: usize,
    /// The cap's cancel was requested (once).
    capped: bool,
}

impl<T> Inner<T> {
    /// Keeps `cx`'s waker for the next CQE (the stream has one; a new one replaces it).
    fn set_waker(&mut self, cx: &Context<'_>) {
        match &mut self.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
    }
}

impl<T: MultishotOperation> MultiCell<T> {
    const VTABLE: Vtable = Vtable {
        complete: Self::complete_raw,
        more: Self::more_raw,
        drop_ref: Self::drop_ref_raw,
        may_go_on: Self::may_go_on_raw,
        enqueue: Some(Self::enqueue_raw),
    };

    pub(super) fn new(data: T) -> Arc<MultiCell<T>> {
        Arc::new(MultiCell {
            header: Header::new(&Self::VTABLE),
            inner: Mutex::new(Inner {
                data: Some(data),
                queue: VecDeque::new(),
                ended: false,
                dropped: false,
                waker: None,
                cap: usize::MAX,
                capped: false,
            }),
        })
    }

    pub(super) fn raw(self: &Arc<Self>) -> RawOp {
        let ptr = Arc::into_raw(self.clone()).cast::<Header>();
        // SAFETY: the cell is `repr(C)` and starts with its `Header`; the reference just made is
        // handed to the `RawOp`.
        unsafe { RawOp::from_raw(ptr) }
    }

    /// # Safety
    /// `ptr` is a reference from `raw` of a `MultiCell<T>`, given up to this call.
    unsafe fn complete_raw(ptr: *const Header, result: CqeResult) {
        // SAFETY: `Header` is the first field of the `repr(C)` cell, so the pointer is the
        // cell's; the caller hands us its reference, dropped at the end of this call.
        let cell = unsafe { Arc::from_raw(ptr.cast::<MultiCell<T>>()) };
        cell.deliver(result, true);
    }

    /// # Safety
    /// `ptr` is a cell the ring holds a reference to, kept by the ring.
    unsafe fn more_raw(ptr: *const Header, result: CqeResult) {
        // SAFETY: as in `complete_raw`, but borrowed: the ring keeps its reference.
        let cell = unsafe { &*ptr.cast::<MultiCell<T>>() };
        cell.deliver(result, false);
    }

    /// # Safety
    /// `ptr` is a cell the ring holds a reference to, kept by the ring (also for the final
    /// CQE: the reaper drops it after its lock).
    unsafe fn enqueue_raw(ptr: *const Header, result: CqeResult) -> (Option<Waker>, Option<RawOp>) {
        // SAFETY: as in `more_raw`.
        let cell = unsafe { &*ptr.cast::<MultiCell<T>>() };
        let last = !io_uring::cqueue::more(result.flags);
        let (waker, cancel) = cell.enqueue(result, last);
        let cancel = cancel.then(|| {
            // SAFETY: the cell is alive (the ring's reference); a new reference for the
            // cancel request, which drops it at the cancel's CQE.
            unsafe {
                Arc::increment_strong_count(ptr.cast::<MultiCell<T>>());
                RawOp::from_raw(ptr)
            }
        });
        (waker, cancel)
    }

    /// # Safety
    /// As `complete_raw`.
    unsafe fn drop_ref_raw(ptr: *const Header) {
        // SAFETY: as in `complete_raw`; the reference is dropped here.
        drop(unsafe { Arc::from_raw(ptr.cast::<MultiCell<T>>()) });
    }

    /// # Safety
    /// `ptr` is a cell the caller holds a reference to.
    unsafe fn may_go_on_raw(ptr: *const Header) -> bool {
        // SAFETY: as in `more_raw`, with the caller's reference.
        let cell = unsafe { &*ptr.cast::<MultiCell<T>>() };
        // `ended` is set under the CQ's lock when the final CQE is reaped (`enqueue_raw`),
        // before any CQE reaped after it is dispatched.
        !cell.inner.lock().ended
    }

    /// Sets the cap of untaken CQEs (`submit_multishot_local`), for the loom models.
    #[cfg(all(test, loom))]
    pub(super) fn set_cap(&self, cap: usize) {
        self.inner.lock().cap = cap;
    }

    /// The ring's side (protocol step 2), waking after the cell's lock is released.
    fn deliver(&self, result: CqeResult, last: bool) {
        // Woken after the lock is released. (No cap here: only `submit_multishot_local` sets
        // one, and its cells are reaped through `enqueue_raw`.)
        if let (Some(waker), _) = self.enqueue(result, last) {
            waker.wake();
        }
    }

    /// Queues (or releases) one CQE under the cell's lock; returns the waker to wake, and
    /// whether the queue just reached the cap (cancel the request, once).
    fn enqueue(&self, result: CqeResult, last: bool) -> (Option<Waker>, bool) {
        let mut inner = self.inner.lock();
        assert!(
            !inner.ended,
            "a multishot operation completed after its final CQE"
        );
        inner.ended = last;
        if inner.dropped {
            let data = inner
                .data
                .as_mut()
                .expect("the data outlives the final CQE");
            release(data, result);
            let data = if last { inner.data.take() } else { None };
            drop(inner);
            drop(data);
            return (None, false);
        }
        inner.queue.push_back(result);
        let cancel = !last && !inner.capped && inner.queue.len() >= inner.cap;
        inner.capped |= cancel;
        // After the final CQE nothing will wake the stream again (`poll_next` answers from the
        // queue, then `None`, registering nothing): the waker goes. Kept, it could keep alive
        // a task that holds the stream, and through it this cell, for good.
        let waker = if last {
            inner.waker.take()
        } else {
            inner.waker.clone()
        };
        (waker, cancel)
    }

    /// The stream's side (protocol step 3): the next CQE, made an item, or `None` once the final
    /// one was taken; else registers `cx`'s waker.
    pub(super) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Result<T::Item, Refused>>> {
        let mut inner = self.inner.lock();
        if let Some(result) = inner.queue.pop_front() {
            if let Some(why) = result.refused {
                return Poll::Ready(Some(Err(why)));
            }
            let data = inner.data.as_mut().expect("the stream's data is alive");
            return Poll::Ready(Some(Ok(data.item(Completion::from(result)))));
        }
        if inner.ended {
            return Poll::Ready(None);
        }
        inner.set_waker(cx);
        Poll::Pending
    }

    /// Ready once the final CQE has come (items may still be queued ahead of the end); else
    /// registers `cx`'s waker, which that CQE wakes.
    pub(super) fn poll_final(&self, cx: Option<&mut Context<'_>>) -> Poll<()> {
        let mut inner = self.inner.lock();
        if inner.ended {
            return Poll::Ready(());
        }
        if let Some(cx) = cx {
            inner.set_waker(cx);
        }
        Poll::Pending
    }

    /// The stream asks for the request to end (`OpStream::end`): true if the caller is to
    /// issue the cancel (none was issued, by the cap or an earlier call, and the final CQE has
    /// not come). Shares the cap's flag, so the request gets one cancel.
    pub(super) fn claim_cancel(&self) -> bool {
        let mut inner = self.inner.lock();
        let claim = !inner.ended && !inner.capped;
        inner.capped |= claim;
        claim
    }

    /// The stream is dropped (protocol step 4). True if the final CQE has not come: the caller
    /// asks the ring to cancel.
    pub(super) fn drop_stream(&self) -> bool {
        let mut inner = self.inner.lock();
        inner.dropped = true;
        let waker = inner.waker.take();
        let queued = std::mem::take(&mut inner.queue);
        if let Some(data) = inner.data.as_mut() {
            for result in queued {
                release(data, result);
            }
        }
        let ended = inner.ended;
        let data = if ended { inner.data.take() } else { None };
        drop(inner);
        drop(waker);
        drop(data);
        !ended
    }
}

/// `release`, for a CQE that reached a kernel (a refused entry created nothing); a panic is
/// caught, as for one-shot operations (`operation.rs`), so it never unwinds through the ring.
fn release<T: MultishotOperation>(data: &mut T, result: CqeResult) {
    if result.refused.is_some() {
        return;
    }
    let released = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        data.release(Completion::from(result));
    }));
    drop(released);
}

impl<T: MultishotOperation> OpStream<T> {
    /// The next item: `Some` per completion, `None` after the final one.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<T::Item>>> {
        let coop = std::task::ready!(crate::rt::coop::poll_proceed(cx));
        if let Stage::Start(_) = self.stage {
            let Stage::Start(op) = std::mem::replace(&mut self.stage, Stage::Done) else {
                unreachable!("just matched Start")
            };
            if let Err(e) = with_uring(|uring| uring.check(T::OPCODE)) {
                coop.made_progress();
                return Poll::Ready(Some(Err(e)));
            }
            let cell = MultiCell::new(op);
            let entry = {
                let mut inner = cell.inner.lock();
                let data = inner.data.as_mut().expect("a new cell holds its data");
                data.entry().clear_flags()
            };
            let raw = cell.raw();
            let ring = crate::rt::context::with_current(|handle| {
                let rings = handle?.driver().uring.rings()?;
                Some(rings.push(entry, raw, true))
            });
            let Some(ring) = ring else {
                // `check` found rings on this thread's runtime a moment ago: unreachable, but
                // the entry (dropped with the closure) never reached a ring, so end cleanly.
                coop.made_progress();
                return Poll::Ready(Some(Err(refusal_error(Refused::ShutDown))));
            };
            self.stage = Stage::Running { cell, ring };
        }
        let Stage::Running { cell, .. } = &self.stage else {
            return Poll::Ready(None);
        };
        let next = std::task::ready!(cell.poll_next(cx));
        coop.made_progress();
        Poll::Ready(match next {
            Some(Ok(item)) => Some(Ok(item)),
            Some(Err(why)) => Some(Err(refusal_error(why))),
            None => {
                self.stage = Stage::Done;
                None
            }
        })
    }

    /// The next item if one is queued, without registering a waker (so a task waiting in
    /// `poll_next` keeps its wake-up): `Poll::Pending` if none is there yet, `Ready(None)`
    /// once the stream has ended. Spends no cooperative budget.
    pub(crate) fn try_next(&mut self) -> Poll<Option<io::Result<T::Item>>> {
        let Stage::Running { cell, .. } = &self.stage else {
            return Poll::Ready(None);
        };
        let mut inner = cell.inner.lock();
        let next = match inner.queue.pop_front() {
            Some(result) => match result.refused {
                Some(why) => Some(Err(refusal_error(why))),
                None => {
                    let data = inner.data.as_mut().expect("the stream's data is alive");
                    Some(Ok(data.item(Completion::from(result))))
                }
            },
            None if inner.ended => None,
            None => return Poll::Pending,
        };
        drop(inner);
        if next.is_none() {
            self.stage = Stage::Done;
        }
        Poll::Ready(next)
    }

    /// Cancels the request while the stream goes on: the CQEs already queued are still
    /// taken, then the stream ends (its final CQE, `ECANCELED`, or whatever ended it first).
    /// Once per request.
    pub(crate) fn end(&mut self) {
        if let Stage::Running { cell, ring } = &self.stage {
            if cell.claim_cancel() {
                ring.cancel(cell.raw());
            }
        }
    }

    /// Ready once the request's final CQE has come, or it never started: every item it will
    /// give is then queued. Else registers `cx`'s waker (`None`: registers nothing).
    pub(crate) fn poll_final(&self, cx: Option<&mut Context<'_>>) -> Poll<()> {
        match &self.stage {
            Stage::Running { cell, .. } => cell.poll_final(cx),
            _ => Poll::Ready(()),
        }
    }

    /// The ring the operation was pushed on, once it was.
    pub(crate) fn ring(&self) -> Option<&Arc<Ring>> {
        match &self.stage {
            Stage::Running { ring, .. } => Some(ring),
            _ => None,
        }
    }

    /// The next item, as [`poll_next`](OpStream::poll_next).
    pub async fn next(&mut self) -> Option<io::Result<T::Item>> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }
}

impl<T: MultishotOperation> Drop for OpStream<T> {
    fn drop(&mut self) {
        if let Stage::Running { cell, ring } = std::mem::replace(&mut self.stage, Stage::Done) {
            if cell.drop_stream() {
                ring.cancel(cell.raw());
            }
        }
    }
}

impl<T: MultishotOperation> fmt::Debug for OpStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match &self.stage {
            Stage::Start(_) => "not polled",
            Stage::Running { .. } => "running",
            Stage::Done => "done",
        };
        f.debug_struct("OpStream")
            .field("opcode", &T::OPCODE)
            .field("stage", &stage)
            .finish()
    }
}
