//! `Seek`: the future of `AsyncSeekExt::seek`, `rewind` and `stream_position`.

use crate::io::AsyncSeek;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Seeks, then reports the new position: see [`AsyncSeekExt::seek`](super::AsyncSeekExt::seek).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Seek<'a, S: ?Sized> {
        seeker: &'a mut S,
        // The seek not yet started.
        position: Option<SeekFrom>,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn seek<S: AsyncSeek + Unpin + ?Sized>(
    seeker: &mut S,
    position: SeekFrom,
) -> Seek<'_, S> {
    Seek {
        seeker,
        position: Some(position),
        _pinned: PhantomPinned,
    }
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.project();
        if let Some(position) = *me.position {
            // Finish a seek someone else left in flight before starting ours.
            ready!(Pin::new(&mut **me.seeker).poll_complete(cx))?;
            *me.position = None;
            Pin::new(&mut **me.seeker).start_seek(position)?;
        }
        Pin::new(&mut **me.seeker).poll_complete(cx)
    }
}
