//! `FillBuf`: the future of `AsyncBufReadExt::fill_buf`.

use crate::io::AsyncBufRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// Returns a buffered reader's contents, filling it first if empty: see
    /// [`AsyncBufReadExt::fill_buf`](super::AsyncBufReadExt::fill_buf).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct FillBuf<'a, R: ?Sized> {
        // Taken when the future completes: the slice it returns borrows the reader for `'a`.
        reader: Option<&'a mut R>,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn fill_buf<R: AsyncBufRead + Unpin + ?Sized>(reader: &mut R) -> FillBuf<'_, R> {
    FillBuf {
        reader: Some(reader),
        _pinned: PhantomPinned,
    }
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&'a [u8]>> {
        let me = self.project();
        let reader: *mut R = me.reader.take().expect("FillBuf polled after completion");
        // SAFETY: `reader` came from the `&'a mut R` just taken out of `me.reader`, so it is
        // valid and unaliased for `'a`. Exactly one reference made from it outlives this match:
        // the returned slice on `Ready` (the future never touches the reader again), or, on
        // `Pending` or an error, the `&'a mut R` put back below, once the poll's borrow is over.
        // The borrow checker cannot see that the two never overlap (a conditional return of a
        // borrow), hence the raw pointer.
        match Pin::new(unsafe { &mut *reader }).poll_fill_buf(cx) {
            Poll::Ready(Ok(slice)) => Poll::Ready(Ok(slice)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                // SAFETY: the poll above returned no borrow of the reader (see above).
                *me.reader = Some(unsafe { &mut *reader });
                Poll::Pending
            }
        }
    }
}
