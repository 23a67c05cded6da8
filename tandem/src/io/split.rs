//! `split`: one stream as a `ReadHalf` and a `WriteHalf` that can move to different tasks.

use super::{AsyncRead, AsyncWrite, ReadBuf};
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
// std rather than `crate::loom`: `unsplit` needs `Mutex::into_inner`, which the shim lacks.
use std::task::{Context, Poll};

/// The stream both halves share. Boxed so it stays pinned while the halves move; locked for
/// the length of one poll.
type Shared<T> = Arc<Mutex<Pin<Box<T>>>>;

/// The read half of a stream [`split`] in two.
pub struct ReadHalf<T> {
    stream: Shared<T>,
}

/// The write half of a stream [`split`] in two.
pub struct WriteHalf<T> {
    stream: Shared<T>,
}

/// Splits one stream into a read half and a write half, as `tokio::io::split`. Each half locks
/// the stream for the length of one poll, so the two may be used from different tasks.
///
/// A stream with its own split (a `TcpStream`'s `into_split`) avoids the lock.
pub fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>)
where
    T: AsyncRead + AsyncWrite,
{
    let stream = Arc::new(Mutex::new(Box::pin(stream)));
    (
        ReadHalf {
            stream: stream.clone(),
        },
        WriteHalf { stream },
    )
}

/// Locks the stream; a panic in a poll of the other half does not make this one unusable.
fn lock<T>(stream: &Shared<T>) -> MutexGuard<'_, Pin<Box<T>>> {
    stream
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the write half of the same stream.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.stream, &other.stream)
    }

    /// Joins the two halves back into the stream.
    ///
    /// # Panics
    ///
    /// Panics if `wr` is not the write half of this stream.
    #[track_caller]
    pub fn unsplit(self, wr: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        if !self.is_pair_of(&wr) {
            panic!("Unrelated `split::Write` passed to `split::Read::unsplit`.");
        }
        drop(wr);
        let mutex = Arc::try_unwrap(self.stream)
            .unwrap_or_else(|_| unreachable!("the two halves held the only references"));
        let stream = mutex.into_inner().unwrap_or_else(|p| p.into_inner());
        *Pin::into_inner(stream)
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the read half of the same stream.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.is_pair_of(self)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        lock(&self.stream).as_mut().poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        lock(&self.stream).as_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        lock(&self.stream).as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        lock(&self.stream).is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.stream).as_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.stream).as_mut().poll_shutdown(cx)
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("split::ReadHalf").finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("split::WriteHalf").finish()
    }
}
