//! `AsyncBufReadExt`: the future-returning methods of every `AsyncBufRead`.

use super::fill_buf::{fill_buf, FillBuf};
use super::lines::{lines, Lines};
use super::read_line::{read_line, ReadLine};
use super::read_until::{read_until, ReadUntil};
use super::split::{split, Split};
use crate::io::AsyncBufRead;
use std::pin::Pin;

/// The futures of reading from an [`AsyncBufRead`], as `tokio::io::AsyncBufReadExt`.
/// Implemented for every `AsyncBufRead`.
///
/// `read_until`, `read_line`, and the streams `lines` and `split` retry a fill that fails with
/// `ErrorKind::Interrupted`; `fill_buf` returns it.
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Reads up to and including `byte` (or to end of file), appending to `buf`; returns how
    /// many bytes were appended, 0 at end of file.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before completion, the bytes read so far are already appended
    /// to `buf`, and a new call continues reading until `byte`; the count it returns starts
    /// again from 0.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        read_until(self, byte, buf)
    }

    /// Reads up to and including a `\n` (or to end of file), appending to `buf`; returns how
    /// many bytes were read, 0 at end of file. Bytes that are not UTF-8 are an
    /// `ErrorKind::InvalidData` error and never reach `buf`.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if the future is dropped before completion, the part of
    /// the line read so far is lost (`buf` is unchanged). Use [`lines`](Self::lines), whose
    /// `next_line` is cancel safe, in a `select!`.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        read_line(self, buf)
    }

    /// The segments of `self` between `byte`s, without the `byte`.
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized + Unpin,
    {
        split(self, byte)
    }

    /// The buffer's contents, filled from the inner reader first if empty; empty at end of
    /// file. Pair it with [`consume`](Self::consume).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// read.
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        fill_buf(self)
    }

    /// Marks `amt` bytes of the buffer returned by [`fill_buf`](Self::fill_buf) as read.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        AsyncBufRead::consume(Pin::new(self), amt)
    }

    /// The lines of `self`, without their `\n` or `\r\n`.
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        lines(self)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}
