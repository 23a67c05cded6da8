//! `AsyncSeekExt`: the future-returning methods of every `AsyncSeek`.

use super::seek::{seek, Seek};
use crate::io::AsyncSeek;
use std::io::SeekFrom;

/// The futures of seeking an [`AsyncSeek`], as `tokio::io::AsyncSeekExt`. Implemented for every
/// `AsyncSeek`.
pub trait AsyncSeekExt: AsyncSeek {
    /// Seeks to `pos`, returning the new position from the start of the stream. A seek some
    /// earlier, dropped call left in flight is finished first.
    fn seek(&mut self, pos: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        seek(self, pos)
    }

    /// Seeks to the start of the stream (`seek(SeekFrom::Start(0))`).
    fn rewind(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// The current position from the start of the stream (`seek(SeekFrom::Current(0))`).
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}
