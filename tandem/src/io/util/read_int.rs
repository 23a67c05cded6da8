//! `ReadInt`: the future of `AsyncReadExt::read_u8` to `read_f64_le`, a number read whole.

use crate::io::{AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads a number's bytes, then decodes them: see
    /// [`AsyncReadExt::read_u16`](super::AsyncReadExt::read_u16) and its siblings.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadInt<R, T> {
        reader: R,
        // The number's bytes; `..len` of them are used (16 for a `u128`).
        buf: [u8; 16],
        len: usize,
        filled: usize,
        decode: fn(&[u8]) -> T,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<R, T> ReadInt<R, T> {
    pub(super) fn new(reader: R, len: usize, decode: fn(&[u8]) -> T) -> Self {
        ReadInt {
            reader,
            buf: [0; 16],
            len,
            filled: 0,
            decode,
            _pinned: PhantomPinned,
        }
    }
}

impl<R: AsyncRead + Unpin, T> Future for ReadInt<R, T> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let me = self.project();
        while *me.filled < *me.len {
            let mut buf = ReadBuf::new(&mut me.buf[*me.filled..*me.len]);
            match ready!(Pin::new(&mut *me.reader).poll_read(cx, &mut buf)) {
                Ok(()) => {}
                // An interrupted read read nothing: try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            *me.filled += n;
        }
        Poll::Ready(Ok((me.decode)(&me.buf[..*me.len])))
    }
}

impl<R: fmt::Debug, T> fmt::Debug for ReadInt<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadInt")
            .field("reader", &self.reader)
            .field("len", &self.len)
            .field("filled", &self.filled)
            .finish()
    }
}
