//! Running hyper 1.x on Tandem: the glue hyper asks every runtime for.
//!
//! - [`TandemIo`] adapts any Tandem stream (anything implementing `tandem::io::AsyncRead` and
//!   `AsyncWrite`) to hyper's `rt::Read`/`rt::Write`.
//! - [`TandemExecutor`] spawns hyper's background tasks (HTTP/2 streams) on Tandem.
//! - [`TandemTimer`] gives hyper timers (the header-read timeout, HTTP/2 keep-alive).
//!
//! ```no_run
//! use http_body_util::Full;
//! use hyper::body::Bytes;
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use tandem::hyper::{TandemIo, TandemTimer};
//!
//! #[tandem::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = tandem::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     loop {
//!         let (stream, _) = listener.accept().await?;
//!         tandem::spawn(async move {
//!             let service = service_fn(|_req| async {
//!                 Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(
//!                     "Hello, World!",
//!                 ))))
//!             });
//!             let _ = http1::Builder::new()
//!                 .timer(TandemTimer::new())
//!                 .serve_connection(TandemIo::new(stream), service)
//!                 .await;
//!         });
//!     }
//! }
//! ```

use crate::io::{AsyncRead, AsyncWrite, ReadBuf};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A Tandem stream seen by hyper: implements `hyper::rt::Read` and `hyper::rt::Write` for any
/// `T` implementing Tandem's (Tokio's) `AsyncRead` and `AsyncWrite`, and the reverse, so hyper's
/// upgraded connections work with Tandem's I/O traits.
#[derive(Debug)]
pub struct TandemIo<T> {
    inner: T,
}

impl<T> TandemIo<T> {
    /// Wraps a stream.
    pub fn new(inner: T) -> TandemIo<T> {
        TandemIo { inner }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn project(self: Pin<&mut Self>) -> Pin<&mut T> {
        // SAFETY: `inner` is structurally pinned: `TandemIo` never moves it out of a pinned
        // `self`, has no `Drop` impl, and is `Unpin` only when `T` is.
        unsafe { self.map_unchecked_mut(|me| &mut me.inner) }
    }
}

impl<T: AsyncRead> hyper::rt::Read for TandemIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: the slice is handed to a `ReadBuf` that treats it as uninitialised: it is
        // never read, and never exposed as `&mut [u8]` before being initialised.
        let unfilled = unsafe { buf.as_mut() };
        let mut read_buf = ReadBuf::uninit(unfilled);
        let n = match self.project().poll_read(cx, &mut read_buf) {
            Poll::Ready(Ok(())) => read_buf.filled().len(),
            other => return other,
        };
        // SAFETY: `AsyncRead` guarantees the first `n` bytes of `read_buf`, which are the first
        // `n` bytes of the cursor's unfilled part, were initialised and filled.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for TandemIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().poll_write_vectored(cx, bufs)
    }
}

impl<T: hyper::rt::Read> AsyncRead for TandemIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: the cursor only writes initialised bytes into the unfilled part and reports
        // how many through `advance`; we then mark exactly those as filled.
        let n = unsafe {
            let mut hyper_buf = hyper::rt::ReadBuf::uninit(buf.unfilled_mut());
            match hyper::rt::Read::poll_read(self.project(), cx, hyper_buf.unfilled()) {
                Poll::Ready(Ok(())) => hyper_buf.filled().len(),
                other => return other,
            }
        };
        // SAFETY: the first `n` unfilled bytes were initialised by the read above
        // (`assume_init` counts from the end of the filled part, not from the start).
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: hyper::rt::Write> AsyncWrite for TandemIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(self.project(), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(self.project(), cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(self.project(), cx)
    }

    fn is_write_vectored(&self) -> bool {
        hyper::rt::Write::is_write_vectored(&self.inner)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write_vectored(self.project(), cx, bufs)
    }
}

/// Spawns hyper's background futures (HTTP/2 connection and stream tasks) on Tandem.
///
/// Built with [`TandemExecutor::new`], it spawns on whatever runtime is current when hyper calls
/// it; built with [`TandemExecutor::with_handle`], always on that runtime.
#[derive(Debug, Clone, Default)]
pub struct TandemExecutor {
    handle: Option<crate::runtime::Handle>,
}

impl TandemExecutor {
    /// An executor that spawns on the current runtime.
    pub fn new() -> TandemExecutor {
        TandemExecutor { handle: None }
    }

    /// An executor that spawns on `handle`'s runtime.
    pub fn with_handle(handle: crate::runtime::Handle) -> TandemExecutor {
        TandemExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> hyper::rt::Executor<F> for TandemExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        match &self.handle {
            Some(handle) => drop(handle.spawn(future)),
            None => drop(crate::spawn(future)),
        }
    }
}

/// Timers for hyper, backed by `tandem::time` (the runtime needs `enable_time`).
#[derive(Debug, Clone, Default)]
pub struct TandemTimer {
    _private: (),
}

impl TandemTimer {
    /// A timer on the current runtime's clock.
    pub fn new() -> TandemTimer {
        TandemTimer { _private: () }
    }
}

/// A `tandem::time::Sleep` that hyper can hold as `Pin<Box<dyn hyper::rt::Sleep>>`.
#[derive(Debug)]
struct TandemSleep {
    inner: crate::time::Sleep,
}

impl Future for TandemSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `inner` is structurally pinned: never moved out of a pinned `TandemSleep`.
        unsafe { self.map_unchecked_mut(|me| &mut me.inner) }.poll(cx)
    }
}

impl hyper::rt::Sleep for TandemSleep {}

impl hyper::rt::Timer for TandemTimer {
    fn now(&self) -> Instant {
        // The runtime's clock, so deadlines agree with `tandem::time` (paused in tests).
        crate::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TandemSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(TandemSleep {
            inner: crate::time::sleep_until(crate::time::Instant::from_std(deadline)),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<TandemSleep>() {
            Some(ours) => {
                // SAFETY: `inner` is structurally pinned (see `poll`).
                let inner = unsafe { ours.map_unchecked_mut(|me| &mut me.inner) };
                inner.reset(crate::time::Instant::from_std(new_deadline));
            }
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
