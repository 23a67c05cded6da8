//! `copy_bidirectional`: two copies at once, between two streams, each shutting down its writer
//! when its reader ends.

use super::buf_reader::DEFAULT_BUF_SIZE;
use super::copy::CopyBuffer;
use crate::io::{AsyncRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Where one direction of a bidirectional copy stands.
#[derive(Debug)]
enum Direction {
    Copying(CopyBuffer),
    /// The reader ended and everything was written; the writer is being shut down.
    ShuttingDown(u64),
    Done(u64),
}

impl Direction {
    /// Drives this direction on; `Ready(Ok(n))` once done, with the bytes copied.
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            match self {
                Direction::Copying(buffer) => {
                    let n = ready!(buffer.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                    *self = Direction::ShuttingDown(n);
                }
                Direction::ShuttingDown(n) => {
                    let n = *n;
                    ready!(writer.as_mut().poll_shutdown(cx))?;
                    *self = Direction::Done(n);
                }
                Direction::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}

/// Copies `a` to `b` and `b` to `a` at once, as `tokio::io::copy_bidirectional`; returns the
/// bytes copied each way, `(a to b, b to a)`.
///
/// When one side reaches end of file, the other side's writer is shut down (after a flush) and
/// the other direction goes on until it ends too. The first error in either direction ends the
/// whole copy with that error. Each direction goes through an 8 KiB buffer.
///
/// # Cancel safety
///
/// If the future is dropped before completion, bytes read into its buffers but not yet written
/// are lost.
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE).await
}

/// [`copy_bidirectional`] with a buffer of `a_to_b_buf_size` bytes for the `a` to `b` direction
/// and one of `b_to_a_buf_size` for the other.
///
/// # Panics
///
/// Panics (when first polled) if either size is zero, as Tokio's does: a read into an empty
/// buffer could not tell end of file from no room.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    assert!(
        a_to_b_buf_size > 0,
        "`a_to_b_buf_size` must be greater than 0"
    );
    assert!(
        b_to_a_buf_size > 0,
        "`b_to_a_buf_size` must be greater than 0"
    );
    let mut a_to_b = Direction::Copying(CopyBuffer::new(a_to_b_buf_size));
    let mut b_to_a = Direction::Copying(CopyBuffer::new(b_to_a_buf_size));
    poll_fn(|cx| {
        let forward = a_to_b.poll(cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let backward = b_to_a.poll(cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        let forward = ready!(forward);
        let backward = ready!(backward);
        Poll::Ready(Ok((forward, backward)))
    })
    .await
}
