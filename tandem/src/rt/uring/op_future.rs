//! `submit` and its future, `OpFuture` (re-exported by `tandem::uring`): the runtime is asked at
//! the first poll (on the polling thread, whose ring takes the entry), then `Op` does the rest.
//! Tandem's own file calls start at `OpFuture::routed`, their route already asked.

use super::cell::Refused;
use super::op::Op;
use super::operation::{Bridge, Completion, Operation};
use super::{Uring, UringHandle};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Submits `op` on the current runtime: on the ring of the worker that first polls the future,
/// or on the runtime's shared ring from any other thread (a `block_on` caller, a blocking-pool
/// thread, a thread that entered the runtime). Nothing happens until the first poll.
///
/// The future is `Send` and may move between workers: the operation stays on the ring it was
/// pushed on, whose completion wakes the task wherever it runs. Dropping it in flight asks that
/// ring to cancel the operation ([`Operation::CANCEL_ON_DROP`]), from whatever thread drops it;
/// the operation's memory stays alive until the kernel's completion, and
/// [`Operation::release`] runs then.
///
/// # Errors
/// The future fails, and `op` is dropped without [`Operation::complete`] or
/// [`Operation::release`], when the entry never reaches a kernel:
/// - kind [`Unsupported`](io::ErrorKind::Unsupported): the runtime does not use io_uring
///   ([`UringMode::Off`](crate::runtime::UringMode::Off), no I/O driver, io_uring unavailable)
///   or the kernel lacks [`Operation::OPCODE`] ([`is_supported`](crate::uring::is_supported) says so
///   beforehand);
/// - kind `Other`, "background task failed": the runtime shut down (as `tandem::fs` calls).
///
/// The kernel's own errors are the operation's business: they reach
/// [`Operation::complete`] as a negative result.
///
/// # Panics
/// At the first poll, outside a runtime, as `tandem::fs`'s calls (and `spawn_blocking`) do:
/// "there is no reactor running, must be called from the context of a Tokio 1.x runtime".
pub fn submit<T: Operation>(op: T) -> OpFuture<T> {
    OpFuture {
        state: State::Start(op),
    }
}

/// The future of an [`Operation`]: see [`submit`] and [`Batch`](crate::uring::Batch).
#[must_use = "futures do nothing unless polled; a batch's operations run without being polled"]
pub struct OpFuture<T: Operation> {
    state: State<T>,
}

enum State<T: Operation> {
    /// Not polled yet: the runtime is asked at the first poll.
    Start(T),
    Running(Op<Bridge<T>>),
    Done,
}

impl<T: Operation> OpFuture<T> {
    /// A future for an operation whose route is already known to be io_uring (Tandem's own file
    /// calls, routed by `fs/backend.rs`).
    pub(crate) fn routed(uring: Uring, op: T) -> OpFuture<T> {
        OpFuture::running(Op::new(uring, Bridge(op)))
    }

    /// The future of an operation already in the runtime's hands (a batch's).
    pub(crate) fn running(op: Op<Bridge<T>>) -> OpFuture<T> {
        OpFuture {
            state: State::Running(op),
        }
    }
}

// Nothing is pinned: the operation lives in its heap cell once pushed.
impl<T: Operation> Unpin for OpFuture<T> {}

impl<T: Operation> Future for OpFuture<T> {
    type Output = io::Result<T::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let State::Start(_) = this.state {
            let State::Start(op) = std::mem::replace(&mut this.state, State::Done) else {
                unreachable!("just matched Start")
            };
            match with_uring(|uring| uring.check(T::OPCODE)) {
                Ok(uring) => this.state = State::Running(Op::new(uring, Bridge(op))),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let State::Running(op) = &mut this.state else {
            panic!("`OpFuture` polled after completion");
        };
        let (result, Bridge(op)) = std::task::ready!(Pin::new(op).poll(cx));
        this.state = State::Done;
        Poll::Ready(match result.refused {
            Some(why) => Err(refusal_error(why)),
            None => Ok(op.complete(Completion::from(result))),
        })
    }
}

impl<T: Operation> fmt::Debug for OpFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OpFuture");
        d.field("opcode", &T::OPCODE);
        match &self.state {
            State::Start(_) => d.field("state", &"not polled"),
            State::Running(op) => d.field("state", op),
            State::Done => d.field("state", &"done"),
        };
        d.finish()
    }
}

/// The error of an operation whose entry never reached a kernel.
pub(super) fn refusal_error(why: Refused) -> io::Error {
    match why {
        // What `tandem::fs` reports after a shutdown (and Tokio for a refused blocking job).
        Refused::ShutDown => io::Error::other("background task failed"),
        Refused::Unsupported => io::Error::new(
            io::ErrorKind::Unsupported,
            "the operation's batch was not submitted: this runtime does not send one of its \
             opcodes to io_uring (`Batch::submit` returned why)",
        ),
        Refused::InvalidBatch => io::Error::new(
            io::ErrorKind::InvalidInput,
            "the operation's batch was not submitted: it was invalid (`Batch::submit` returned \
             why)",
        ),
        Refused::BatchDropped => {
            io::Error::other("the operation's batch was dropped without being submitted")
        }
    }
}

/// Runs `f` with the current runtime's io_uring handle.
///
/// # Panics
/// Outside a runtime, with `Handle::current`'s message (as `tandem::fs`).
#[track_caller]
pub(crate) fn with_uring<R>(f: impl FnOnce(&UringHandle) -> R) -> R {
    crate::rt::context::with_current(|handle| match handle {
        Some(handle) => f(&handle.driver().uring),
        None => f(&crate::rt::context::current().driver().uring),
    })
}

/// True if an operation with `opcode` submitted now would reach the kernel: the kernel has the
/// opcode (probed once per process, `IORING_REGISTER_PROBE`) and, when called inside a runtime,
/// that runtime uses io_uring (not [`UringMode::Off`](crate::runtime::UringMode::Off), built
/// with the I/O driver, rings set up). Outside a runtime only the kernel is asked. Use it to
/// choose a fallback (the same system call on
/// [`spawn_blocking`](crate::task::spawn_blocking)) before building the operation.
pub fn is_supported(opcode: u8) -> bool {
    crate::rt::context::with_current(|handle| match handle {
        Some(handle) => handle.driver().uring.check(opcode).is_ok(),
        None => super::probe::kernel_supports(opcode),
    })
}
