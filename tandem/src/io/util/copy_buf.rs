//! `copy_buf`: copying from an `AsyncBufRead` through its own buffer.

use crate::io::{AsyncBufRead, AsyncWrite};
use crate::rt::coop;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Copies all of `reader` into `writer` through `reader`'s own buffer, then flushes `writer`;
/// returns the number of bytes copied, as `tokio::io::copy_buf`. A writer that takes no bytes
/// fails the copy with `ErrorKind::WriteZero`.
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
    let mut amount = 0;
    poll_fn(|cx| {
        poll_copy_buf(
            cx,
            Pin::new(&mut *reader),
            Pin::new(&mut *writer),
            &mut amount,
        )
    })
    .await
}

fn poll_copy_buf<R, W>(
    cx: &mut Context<'_>,
    mut reader: Pin<&mut R>,
    mut writer: Pin<&mut W>,
    amount: &mut u64,
) -> Poll<io::Result<u64>>
where
    R: AsyncBufRead + ?Sized,
    W: AsyncWrite + ?Sized,
{
    let budget = ready!(coop::poll_proceed(cx));
    loop {
        let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if available.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            return Poll::Ready(Ok(*amount));
        }
        let n = ready!(writer.as_mut().poll_write(cx, available))?;
        if n == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        reader.as_mut().consume(n);
        *amount += n as u64;
        budget.made_progress();
    }
}
