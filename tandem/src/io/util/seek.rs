//! `Seek`: the future of `AsyncSeekExt::seek`, `rewind` and `stream_position`.

use crate::io::AsyncSeek;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Seeks, then reports the new position: see [`AsyncSeekExt::seek`](super::AsyncSeekExt::seek).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Seek<'a, S: ?Sized> {
    seeker: &'a mut S,
    /// The seek not yet started.
    position: Option<SeekFrom>,
}

pub(super) fn seek<S: AsyncSeek + Unpin + ?Sized>(
    seeker: &mut S,
    position: SeekFrom,
) -> Seek<'_, S> {
    Seek {
        seeker,
        position: Some(position),
    }
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        if let Some(position) = me.position {
            // Finish a seek someone else left in flight before starting ours.
            ready!(Pin::new(&mut *me.seeker).poll_complete(cx))?;
            me.position = None;
            Pin::new(&mut *me.seeker).start_seek(position)?;
        }
        Pin::new(&mut *me.seeker).poll_complete(cx)
    }
}
