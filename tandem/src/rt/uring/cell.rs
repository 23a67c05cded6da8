//! The type-erased cell of one io_uring operation, and the life of an operation from push to
//! reap, whatever happens to its future (the future itself is `op.rs`).
//!
//! An operation is one heap cell (`OpCell<T>`, in an `Arc`) holding everything the kernel touches
//! (`T`: buffer, path, fd, statx buffer), the result slot, the waker slot and the lifecycle word
//! (`state.rs`). The cell's address, with a tag in its low bits, is the SQE's `user_data`; that
//! raw pointer *is* the ring's reference to the cell (one `Arc` count), so the cell cannot be
//! freed before its CQE is reaped.
//!
//! # Protocol
//! 1. First poll: the future moves `T` into a new cell, builds the SQE from it (pointers into
//!    the cell, which never moves), gives one reference to the ring and pushes the SQE on the
//!    ring of the thread that polls (`ring/`). It keeps a handle to that ring.
//! 2. Completion: whichever thread reaps the CQE stores the result, sets COMPLETE and wakes the
//!    future (if it registered a waker), then drops the ring's reference.
//! 3. The future, seeing COMPLETE, takes `T` and the result back.
//! 4. If the future is dropped first (cancel, abort, `select!`, timeout, shutdown), it sets
//!    DROPPED and asks its ring to cancel the operation (`IORING_OP_ASYNC_CANCEL`, routed to
//!    the owning ring from any thread). The data stays in the cell; at completion the ring calls
//!    `OpCode::release` (closing an fd that a cancelled open produced, say) and frees the cell.
//! 5. A cancel request holds its own reference to the cell until its own CQE, so the cell's
//!    address cannot be reused by a new operation while the request may still name it.

use super::state::{Completed, Dropped, State};
use crate::loom::cell::UnsafeCell;
use io_uring::squeue;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A CQE's payload: the result (`-errno` on failure) and flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CqeResult {
    pub(crate) res: i32,
    pub(crate) flags: u32,
    /// The entry never reached a kernel, and why. `res` is then `-ECANCELED`. Kept apart from
    /// a kernel's `-ECANCELED` (which a file system may also return, from a flush at close,
    /// say): only a refused entry's resources are still untouched.
    pub(crate) refused: Option<Refused>,
}

/// Why an entry never reached a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A ring whose runtime shut down refused it, or the future was polled outside a runtime
    /// with rings.
    ShutDown,
    /// Its batch (`op::OpBatch`) was not submitted: the runtime sends one of its opcodes to no
    /// ring (`UringHandle::check`).
    Unsupported,
    /// Its batch broke a rule of `tandem::uring::Batch` (a flag it does not allow, a link out
    /// of the batch, too many entries).
    InvalidBatch,
    /// Its batch was dropped without being submitted.
    BatchDropped,
}

impl CqeResult {
    /// The result of an entry that a shut-down ring refused.
    pub(crate) fn refused() -> CqeResult {
        CqeResult::refused_for(Refused::ShutDown)
    }

    /// The result of an entry that never reached a kernel, for `why`.
    pub(crate) fn refused_for(why: Refused) -> CqeResult {
        CqeResult {
            res: -libc::ECANCELED,
            flags: 0,
            refused: Some(why),
        }
    }

    /// The result as an `io::Result`: a negative value is `-errno`. A refused entry (its
    /// runtime shut down) reports what Tokio reports for a blocking job its pool refused: kind
    /// `Other`, "background task failed" (users and Tokio's tests match on it).
    pub(crate) fn into_io(self) -> std::io::Result<u32> {
        if self.refused.is_some() {
            return Err(std::io::Error::other("background task failed"));
        }
        if self.res < 0 {
            Err(std::io::Error::from_raw_os_error(-self.res))
        } else {
            Ok(self.res as u32)
        }
    }
}

/// An io_uring operation: what it submits, and what it cleans up if nobody takes its result.
///
/// # Safety
/// Every pointer in the entry built by `entry` must point into `self` (into memory that does not
/// move when `self` is not touched: a heap buffer, a boxed path) or into static memory, and stay
/// valid until `self` is dropped. Fds named by the entry must be owned by `self`.
pub(crate) unsafe trait OpCode: Send + 'static {
    /// Builds the SQE. Called once, after `self` has reached its final place in the cell.
    fn entry(&mut self) -> squeue::Entry;

    /// Releases what a successful completion created when no future will take it: the fd of an
    /// open, for instance. Called at most once, by the ring or the dropped future.
    fn release(&mut self, _result: CqeResult) {}

    /// Whether dropping the future of an operation in flight asks the kernel to cancel it. False
    /// for operations that finish quickly and must not be interrupted (a close).
    const CANCEL_ON_DROP: bool = true;
}

/// How a CQE's `user_data` names its cell.
pub(crate) mod tag {
    /// The operation itself completed.
    pub(crate) const OP: u64 = 0;
    /// A cancel request for the operation completed: drop the request's reference.
    pub(crate) const CANCEL: u64 = 1;
    /// A ring-internal entry with no cell (the shutdown cancel-all).
    pub(crate) const INTERNAL: u64 = 2;
    pub(crate) const MASK: u64 = 0b111;
}

/// The type-erased part of a cell, at its start so a `user_data` pointer reaches it: how the
/// ring calls the cell, whatever its kind.
#[repr(C)]
pub(crate) struct Header {
    vtable: &'static Vtable,
}

/// What the ring calls on a cell, whatever its kind (a one-shot `OpCell`, or a multishot cell,
/// `multishot.rs`).
pub(super) struct Vtable {
    /// Consumes the ring's reference: stores the (final) result and wakes or cleans up.
    pub(super) complete: unsafe fn(*const Header, CqeResult),
    /// Delivers a CQE flagged `IORING_CQE_F_MORE`: more will follow, and the ring keeps its
    /// reference. Only multishot cells take these.
    pub(super) more: unsafe fn(*const Header, CqeResult),
    /// Drops one reference (a cancel request's).
    pub(super) drop_ref: unsafe fn(*const Header),
    /// True while the request may still post CQEs on its own: a multishot request whose final
    /// CQE has not come. A cancel the kernel answered `ENOENT` must then be sent again (see
    /// `Ring::dispatch`). False for one-shot cells: a one-shot request the kernel's cancel
    /// could not find has completed or is completing.
    pub(super) may_go_on: unsafe fn(*const Header) -> bool,
    /// Cells whose CQEs must reach them in the CQ's order (multishot: a stream of chunks),
    /// `None` for one-shot cells. Called by the reaper under the CQ's lock: queues the CQE in
    /// the cell at once and returns the waker to wake once the lock is released. Without this,
    /// two threads reaping consecutive batches (each delivers after unlocking) could deliver a
    /// later CQE of a request before an earlier one. Does not consume the ring's reference,
    /// even for the final CQE (the reaper drops it after the lock). Also returns a reference
    /// for a cancel request if the cell asks for its request to be cancelled (a multishot
    /// stream's cap, `multishot.rs`).
    #[allow(clippy::type_complexity)]
    pub(super) enqueue:
        Option<unsafe fn(*const Header, CqeResult) -> (Option<Waker>, Option<RawOp>)>,
}

/// A CQE already queued in its cell under the CQ's lock (`RawOp::enqueue_in_order`): what is
/// left to do once the lock is released.
pub(crate) struct Enqueued {
    waker: Option<Waker>,
    /// The ring's reference, after the request's final CQE.
    reference: Option<RawOp>,
    /// A reference for a cancel request the cell asked for.
    cancel: Option<RawOp>,
}

impl Enqueued {
    /// Wakes the stream, then lets the ring's reference go if this was the final CQE; returns
    /// the reference of a cancel request to queue on the ring, if the cell asked for one.
    #[must_use = "a cancel the cell asked for must reach the ring"]
    pub(crate) fn finish(self) -> Option<RawOp> {
        let Enqueued {
            waker,
            reference,
            cancel,
        } = self;
        if let Some(waker) = waker {
            waker.wake();
        }
        drop(reference);
        cancel
    }
}

impl Header {
    pub(super) fn new(vtable: &'static Vtable) -> Header {
        Header { vtable }
    }
}

#[repr(C)]
pub(crate) struct OpCell<T> {
    header: Header,
    state: State,
    waker: UnsafeCell<Option<Waker>>,
    result: UnsafeCell<CqeResult>,
    /// Reached only through the lifecycle protocol (`state.rs`); the future (`op.rs`) takes it
    /// before the cell is shared and when its entry was refused.
    pub(super) data: UnsafeCell<Option<T>>,
}

// SAFETY: the cell's fields are reached only through the lifecycle protocol (`state.rs`), which
// gives one thread at a time the data and the result; the data moves between threads, so it
// must be `Send`. Wakers are `Send + Sync`.
unsafe impl<T: Send> Send for OpCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for OpCell<T> {}

/// A raw reference to a cell, as carried in `user_data`. Owns one `Arc` count.
pub(crate) struct RawOp(*const Header);

// SAFETY: a cell is `Send + Sync` when `T: Send` (its fields are only reached through the
// lifecycle protocol), and `RawOp` is one `Arc` reference to it.
unsafe impl Send for RawOp {}

impl RawOp {
    /// The `user_data` for an entry of this cell with `tag`.
    pub(crate) fn user_data(&self, tag: u64) -> u64 {
        self.0 as u64 | tag
    }

    /// Gives up this reference into a `user_data` value (the kernel now holds it).
    pub(crate) fn into_user_data(self, tag: u64) -> u64 {
        let data = self.user_data(tag);
        std::mem::forget(self);
        data
    }

    /// Takes back the reference a CQE's `user_data` carried.
    ///
    /// # Safety
    /// `user_data` came from `into_user_data` and is consumed once.
    pub(crate) unsafe fn from_user_data(user_data: u64) -> RawOp {
        RawOp((user_data & !tag::MASK) as *const Header)
    }

    /// A reference to a cell of another kind (`multishot.rs`).
    ///
    /// # Safety
    /// `ptr` is the address of a `repr(C)` cell that starts with a `Header`, from `Arc::into_raw`
    /// of that cell, and its reference is given to the `RawOp`.
    pub(super) unsafe fn from_raw(ptr: *const Header) -> RawOp {
        RawOp(ptr)
    }

    /// Delivers a CQE flagged `IORING_CQE_F_MORE` for `user_data`'s cell: the ring keeps its
    /// reference (the final CQE will consume it).
    ///
    /// # Safety
    /// `user_data` came from `into_user_data` and its final CQE has not been delivered: the
    /// ring's reference keeps the cell alive.
    pub(crate) unsafe fn deliver_more(user_data: u64, result: CqeResult) {
        let ptr = (user_data & !tag::MASK) as *const Header;
        // SAFETY: the ring's reference keeps the cell alive (the caller's contract).
        unsafe { ((*ptr).vtable.more)(ptr, result) }
    }

    /// Under the CQ's lock: queues the CQE in `user_data`'s cell if its kind wants CQEs in the
    /// CQ's order (`Vtable::enqueue`), and returns what is left for after the lock. `None` for
    /// other cells (nothing was done: deliver as usual).
    ///
    /// # Safety
    /// `user_data` came from `into_user_data` with tag `OP`, its final CQE has not been
    /// delivered, and this is one of its CQEs, reaped once; if it is the final one (no
    /// `F_MORE`) and `Some` is returned, the ring's reference passes into the `Enqueued`.
    pub(crate) unsafe fn enqueue_in_order(user_data: u64, result: CqeResult) -> Option<Enqueued> {
        let ptr = (user_data & !tag::MASK) as *const Header;
        // SAFETY: the ring's reference keeps the cell alive (the caller's contract).
        let enqueue = unsafe { (*ptr).vtable.enqueue }?;
        // SAFETY: as above; `enqueue` keeps no reference.
        let (waker, cancel) = unsafe { enqueue(ptr, result) };
        let last = !io_uring::cqueue::more(result.flags);
        Some(Enqueued {
            waker,
            cancel,
            // SAFETY: the final CQE: the ring's reference is the caller's to give up, here.
            reference: last.then(|| unsafe { RawOp::from_user_data(user_data) }),
        })
    }

    /// True while the cell's request may still post CQEs on its own (`Vtable::may_go_on`): a
    /// multishot request whose final CQE has not come.
    pub(crate) fn may_go_on(&self) -> bool {
        // SAFETY: `self` owns a reference, which keeps the cell alive.
        unsafe { ((*self.0).vtable.may_go_on)(self.0) }
    }

    /// Delivers the operation's CQE, consuming the ring's reference.
    pub(crate) fn complete(self, result: CqeResult) {
        let ptr = self.0;
        std::mem::forget(self);
        // SAFETY: `self` owned a reference, which `complete` consumes.
        unsafe { ((*ptr).vtable.complete)(ptr, result) }
    }
}

impl Drop for RawOp {
    fn drop(&mut self) {
        // SAFETY: `self` owns one reference.
        unsafe { ((*self.0).vtable.drop_ref)(self.0) }
    }
}

impl<T: OpCode> OpCell<T> {
    const VTABLE: Vtable = Vtable {
        complete: Self::complete_raw,
        more: Self::more_raw,
        drop_ref: Self::drop_ref_raw,
        may_go_on: Self::may_go_on_raw,
        enqueue: None,
    };

    pub(crate) fn new(data: T) -> Arc<OpCell<T>> {
        Arc::new(OpCell {
            header: Header::new(&Self::VTABLE),
            state: State::new(),
            waker: UnsafeCell::new(None),
            result: UnsafeCell::new(CqeResult::default()),
            data: UnsafeCell::new(Some(data)),
        })
    }

    /// A one-shot operation posts one CQE: one flagged `F_MORE` means its entry broke
    /// `OpCode`'s contract (a multishot request). Loudly, as an unknown tag: the cell would be
    /// freed at a CQE the kernel does not end with.
    unsafe fn more_raw(_ptr: *const Header, result: CqeResult) {
        panic!("a one-shot io_uring operation posted a CQE flagged IORING_CQE_F_MORE ({result:?})");
    }

    /// # Safety
    /// `ptr` is a reference from `Arc::into_raw` of an `OpCell<T>`, given up to this call.
    unsafe fn complete_raw(ptr: *const Header, result: CqeResult) {
        // SAFETY: `Header` is the first field of the `repr(C)` cell, so the pointer is the
        // cell's; the caller hands us its reference.
        let cell = unsafe { Arc::from_raw(ptr.cast::<OpCell<T>>()) };
        cell.complete(result);
    }

    /// # Safety
    /// As `complete_raw`.
    unsafe fn drop_ref_raw(ptr: *const Header) {
        // SAFETY: as in `complete_raw`; the reference is dropped here.
        drop(unsafe { Arc::from_raw(ptr.cast::<OpCell<T>>()) });
    }

    /// A one-shot request posts one CQE, which ends it.
    unsafe fn may_go_on_raw(_ptr: *const Header) -> bool {
        false
    }

    pub(crate) fn raw(self: &Arc<Self>) -> RawOp {
        RawOp(Arc::into_raw(self.clone()).cast::<Header>())
    }

    /// The ring's side: store the result, then wake the future or clean up for it.
    fn complete(&self, result: CqeResult) {
        // SAFETY: until COMPLETE is set, only the ring touches the result slot (protocol step 2).
        self.result.with_mut(|slot| unsafe { *slot = result });
        match self.state.transition_to_complete() {
            Completed::Wake => self.waker.with(|waker| {
                // SAFETY: WAKER was set, so the slot is the ring's and the future no longer
                // writes it (`state.rs`); the future may only read it concurrently.
                let waker = unsafe { (*waker).as_ref() };
                waker.expect("WAKER set with an empty slot").wake_by_ref();
            }),
            Completed::NoWaker => {}
            Completed::Orphaned => {
                // SAFETY: DROPPED was set before COMPLETE: the future is gone and the ring owns
                // the data (`state.rs`).
                let data = self.data.with_mut(|data| unsafe { (*data).take() });
                if let Some(mut data) = data {
                    data.release(result);
                }
            }
        }
    }
}

impl<T: OpCode> OpCell<T> {
    /// The future's side: the result and data once COMPLETE, else register `cx`'s waker.
    pub(crate) fn poll_complete(&self, cx: &mut Context<'_>) -> Poll<(CqeResult, T)> {
        let mut state = self.state.load();
        if !state.is_complete() {
            if state.has_waker() {
                let same = self.waker.with(|waker| {
                    // SAFETY: reading the slot is allowed while WAKER is set: the ring only
                    // reads it too (`wake_by_ref`).
                    unsafe { (*waker).as_ref() }.is_some_and(|w| w.will_wake(cx.waker()))
                });
                if same {
                    return Poll::Pending;
                }
                if let Err(now) = self.state.unset_waker() {
                    state = now;
                }
            }
            if !state.is_complete() {
                // SAFETY: WAKER is unset (never set, or just unset), so the slot is ours.
                self.waker
                    .with_mut(|waker| unsafe { *waker = Some(cx.waker().clone()) });
                match self.state.set_waker() {
                    Ok(()) => return Poll::Pending,
                    Err(now) => debug_assert!(now.is_complete()),
                }
            }
        }
        // SAFETY: COMPLETE is set and DROPPED is not (the future is alive): the result and the
        // data are the future's (`state.rs`). The Acquire load in `State` orders these reads
        // after the ring's writes.
        let result = self.result.with(|r| unsafe { *r });
        // SAFETY: as above.
        let data = self.data.with_mut(|d| unsafe { (*d).take() });
        Poll::Ready((result, data.expect("a completed cell still holds its data")))
    }

    /// The future is dropped while in flight. Returns the reference a cancel request should
    /// carry, if the operation is still in flight (the ring then owns everything).
    pub(crate) fn drop_future(self: &Arc<Self>) -> Option<RawOp> {
        match self.state.transition_to_dropped() {
            Dropped::OwnsResult => {
                // SAFETY: COMPLETE was set before DROPPED: the result and data are ours.
                let result = self.result.with(|r| unsafe { *r });
                // SAFETY: as above.
                if let Some(mut data) = self.data.with_mut(|d| unsafe { (*d).take() }) {
                    data.release(result);
                }
                None
            }
            Dropped::HandedToRing { took_waker } => {
                if took_waker {
                    // SAFETY: WAKER was cleared while not COMPLETE, so the slot is ours
                    // (`state.rs`): the ring will not read it any more.
                    drop(self.waker.with_mut(|w| unsafe { (*w).take() }));
                }
                Some(self.raw())
            }
        }
    }
}
