//! `WriteInt`: the future of `AsyncWriteExt::write_u8` to `write_f64_le`, a number written
//! whole.

use crate::io::AsyncWrite;
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Writes a number's encoded bytes: see
    /// [`AsyncWriteExt::write_u16`](super::AsyncWriteExt::write_u16) and its siblings.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WriteInt<W> {
        writer: W,
        // The encoded number; `written..len` is left to write (16 bytes for a `u128`).
        buf: [u8; 16],
        len: usize,
        written: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<W> WriteInt<W> {
    pub(super) fn new(writer: W, bytes: &[u8]) -> Self {
        let mut buf = [0; 16];
        buf[..bytes.len()].copy_from_slice(bytes);
        WriteInt {
            writer,
            buf,
            len: bytes.len(),
            written: 0,
            _pinned: PhantomPinned,
        }
    }
}

impl<W: AsyncWrite + Unpin> Future for WriteInt<W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.project();
        while *me.written < *me.len {
            let rest = &me.buf[*me.written..*me.len];
            let n = match ready!(Pin::new(&mut *me.writer).poll_write(cx, rest)) {
                Ok(n) => n,
                // An interrupted write wrote nothing: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *me.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: fmt::Debug> fmt::Debug for WriteInt<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteInt")
            .field("writer", &self.writer)
            .field("len", &self.len)
            .field("written", &self.written)
            .finish()
    }
}
