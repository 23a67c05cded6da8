//! The futures `join!` and `try_join!` hold: a future until it completes, then its output
//! until it is taken.
//!
//! The state tag sits beside the future, not in a niche of its bytes (`repr(u8)`): reading the
//! state must not read memory of a pinned future that may hold a borrow into itself.

use pin_project_lite::pin_project;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// A future of `join!`: `Running` until it completes, then `Done` with its output, then
    /// `Taken`.
    #[derive(Debug)]
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    #[repr(u8)]
    pub enum MaybeDone<F: Future> {
        /// Not complete yet.
        Running { #[pin] future: F },
        /// Complete; the output not yet taken.
        Done { output: F::Output },
        /// The output was taken.
        Taken,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps `future` (anything `IntoFuture`).
    pub fn new<I: IntoFuture<IntoFuture = F>>(future: I) -> Self {
        MaybeDone::Running {
            future: future.into_future(),
        }
    }

    /// Takes the output.
    ///
    /// # Panics
    /// If the future is not complete, or its output was taken already.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(MaybeDone::Taken) {
            MaybeDoneReplace::Done { output } => output,
            _ => panic!("join! took the output of a future that was not complete"),
        }
    }
}

impl<F: Future> Future for MaybeDone<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let output = match self.as_mut().project() {
            MaybeDoneProj::Running { future } => ready!(future.poll(cx)),
            MaybeDoneProj::Done { .. } => return Poll::Ready(()),
            MaybeDoneProj::Taken => panic!("join! polled a future whose output was taken"),
        };
        self.set(MaybeDone::Done { output });
        Poll::Ready(())
    }
}

/// A future whose output is a `Result`: what `try_join!` takes.
pub trait TryFuture: Future<Output = Result<Self::Ok, Self::Error>> {
    /// The `Ok` type.
    type Ok;
    /// The `Err` type.
    type Error;
}

impl<T, E, F: Future<Output = Result<T, E>>> TryFuture for F {
    type Ok = T;
    type Error = E;
}

pin_project! {
    /// A future of `try_join!`: `Running` until it completes, then `Done` with its `Ok` value,
    /// then `Taken`. An `Err` goes straight to the caller of `poll` (and leaves `Taken`).
    #[derive(Debug)]
    #[project = TryMaybeDoneProj]
    #[project_replace = TryMaybeDoneReplace]
    #[repr(u8)]
    pub enum TryMaybeDone<F: TryFuture> {
        /// Not complete yet.
        Running { #[pin] future: F },
        /// Complete with `Ok`; the value not yet taken.
        Done { output: F::Ok },
        /// The value was taken, or the future failed.
        Taken,
    }
}

impl<F: TryFuture> TryMaybeDone<F> {
    /// Wraps `future` (anything `IntoFuture`).
    pub fn new<I: IntoFuture<IntoFuture = F>>(future: I) -> Self {
        TryMaybeDone::Running {
            future: future.into_future(),
        }
    }

    /// Takes the `Ok` value.
    ///
    /// # Panics
    /// If the future is not complete with `Ok`, or its value was taken already.
    pub fn take_output(self: Pin<&mut Self>) -> F::Ok {
        match self.project_replace(TryMaybeDone::Taken) {
            TryMaybeDoneReplace::Done { output } => output,
            _ => panic!("try_join! took the output of a future that was not complete"),
        }
    }
}

impl<F: TryFuture> Future for TryMaybeDone<F> {
    type Output = Result<(), F::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = match self.as_mut().project() {
            TryMaybeDoneProj::Running { future } => ready!(future.poll(cx)),
            TryMaybeDoneProj::Done { .. } => return Poll::Ready(Ok(())),
            TryMaybeDoneProj::Taken => panic!("try_join! polled a future that had finished"),
        };
        match result {
            Ok(output) => {
                self.set(TryMaybeDone::Done { output });
                Poll::Ready(Ok(()))
            }
            Err(err) => {
                self.set(TryMaybeDone::Taken);
                Poll::Ready(Err(err))
            }
        }
    }
}
