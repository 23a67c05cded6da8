//! `copy_buf`: copying from an `AsyncBufRead` through its own buffer.

use crate::io::{AsyncBufRead, AsyncWrite};
use crate::rt::coop;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Copies all of `reader` into `writer` through `reader`'s own buffer, then flushes `writer`;
/// returns the number of bytes copied, as `tokio::io::copy_buf`. Fills and writes interrupted
/// (`ErrorKind::Interrupted`) are retried; a writer that takes no bytes fails the copy with
/// `ErrorKind::WriteZero`. `writer` is also flushed whenever `reader` has no data ready.
///
/// It spends the task's cooperative budget, so copying between always-ready ends still lets
/// other tasks run.
///
/// # Cancel safety
///
/// If the future is dropped before completion, no data is lost: what was not written is still
/// in `reader`'s buffer.
pub async fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut progress = Progress {
        amount: 0,
        need_flush: false,
    };
    poll_fn(|cx| {
        poll_copy_buf(
            cx,
            Pin::new(&mut *reader),
            Pin::new(&mut *writer),
            &mut progress,
        )
    })
    .await
}

/// How far a `copy_buf` has got, kept across polls.
struct Progress {
    /// Bytes written in all.
    amount: u64,
    /// Bytes were written since the last flush.
    need_flush: bool,
}

fn poll_copy_buf<R, W>(
    cx: &mut Context<'_>,
    mut reader: Pin<&mut R>,
    mut writer: Pin<&mut W>,
    progress: &mut Progress,
) -> Poll<io::Result<u64>>
where
    R: AsyncBufRead + ?Sized,
    W: AsyncWrite + ?Sized,
{
    let budget = ready!(coop::poll_proceed(cx));
    loop {
        let available = match reader.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(available)) => available,
            // An interrupted fill moved nothing: try again.
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {
                // The reader may be waiting for bytes still buffered in the writer (a proxy
                // looping back to itself): flush them before waiting.
                if progress.need_flush {
                    ready!(writer.as_mut().poll_flush(cx))?;
                    progress.need_flush = false;
                }
                return Poll::Pending;
            }
        };
        if available.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            progress.need_flush = false;
            return Poll::Ready(Ok(progress.amount));
        }
        let n = match ready!(writer.as_mut().poll_write(cx, available)) {
            Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => n,
            // An interrupted write wrote nothing: fill (a no-op now) and write again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Poll::Ready(Err(e)),
        };
        reader.as_mut().consume(n);
        progress.amount += n as u64;
        progress.need_flush = true;
        budget.made_progress();
    }
}
