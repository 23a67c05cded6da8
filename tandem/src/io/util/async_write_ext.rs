//! `AsyncWriteExt`: the future-returning methods of every `AsyncWrite`.

use super::flush::{flush, shutdown, Flush, Shutdown};
use super::write::{write, write_vectored, Write, WriteVectored};
use super::write_all::{write_all, WriteAll};
use super::write_buf::{write_all_buf, write_buf, WriteAllBuf, WriteBuf};
use super::write_int::WriteInt;
use crate::io::AsyncWrite;
use bytes::Buf;
use std::io::IoSlice;

/// Declares `write_*` methods that encode a number and write it whole.
macro_rules! write_number {
    ($($(#[$doc:meta])* $name:ident($ty:ty), $encode:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// Fails with `ErrorKind::WriteZero` if the writer takes no more bytes.
        ///
        /// # Cancel safety
        ///
        /// This method is not cancel safe: if the future is dropped before completion, some of
        /// the number's bytes may have been written.
        fn $name(&mut self, n: $ty) -> WriteInt<&mut Self>
        where
            Self: Unpin,
        {
            WriteInt::new(self, &n.$encode())
        }
    )*};
}

/// The futures of writing to an [`AsyncWrite`], as `tokio::io::AsyncWriteExt`. Implemented for
/// every `AsyncWrite`.
///
/// The futures that write until done (`write_all`, `write_all_buf` and the numbers) retry a
/// write that fails with `ErrorKind::Interrupted`; those that write once return it.
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `src`, returning how many bytes were written. `Ok(0)` for a non-empty
    /// `src` means the writer takes no more.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// written.
    fn write<'a>(&'a mut self, src: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        write(self, src)
    }

    /// Writes some of `bufs`, in order, returning how many bytes were written.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// written.
    fn write_vectored<'a, 'b>(&'a mut self, bufs: &'a [IoSlice<'b>]) -> WriteVectored<'a, 'b, Self>
    where
        Self: Unpin,
    {
        write_vectored(self, bufs)
    }

    /// Writes some of `src` in one write and advances it, returning how many bytes were
    /// written (`Ok(0)` if `src` is empty): a vectored write of up to 64 of its chunks if the
    /// writer prefers vectored writes, else a write of its front chunk.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// written.
    fn write_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        write_buf(self, src)
    }

    /// Writes all of `src`, advancing it as bytes are written (through vectored writes if the
    /// writer prefers them). Fails with `ErrorKind::WriteZero` if the writer takes no more.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before completion, `src` has been advanced past exactly the
    /// bytes written, so a new call continues where this one stopped.
    fn write_all_buf<'a, B>(&'a mut self, src: &'a mut B) -> WriteAllBuf<'a, Self, B>
    where
        Self: Sized + Unpin,
        B: Buf,
    {
        write_all_buf(self, src)
    }

    /// Writes all of `src`. Fails with `ErrorKind::WriteZero` if the writer takes no more.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if the future is dropped before completion, some of
    /// `src` may have been written, and how much is not known.
    fn write_all<'a>(&'a mut self, src: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        write_all(self, src)
    }

    write_number! {
        /// Writes an unsigned byte.
        write_u8(u8), to_be_bytes;
        /// Writes a signed byte.
        write_i8(i8), to_be_bytes;
        /// Writes an unsigned 16-bit integer, big-endian.
        write_u16(u16), to_be_bytes;
        /// Writes a signed 16-bit integer, big-endian.
        write_i16(i16), to_be_bytes;
        /// Writes an unsigned 32-bit integer, big-endian.
        write_u32(u32), to_be_bytes;
        /// Writes a signed 32-bit integer, big-endian.
        write_i32(i32), to_be_bytes;
        /// Writes an unsigned 64-bit integer, big-endian.
        write_u64(u64), to_be_bytes;
        /// Writes a signed 64-bit integer, big-endian.
        write_i64(i64), to_be_bytes;
        /// Writes an unsigned 128-bit integer, big-endian.
        write_u128(u128), to_be_bytes;
        /// Writes a signed 128-bit integer, big-endian.
        write_i128(i128), to_be_bytes;
        /// Writes a 32-bit IEEE 754 float, big-endian.
        write_f32(f32), to_be_bytes;
        /// Writes a 64-bit IEEE 754 float, big-endian.
        write_f64(f64), to_be_bytes;
        /// Writes an unsigned 16-bit integer, little-endian.
        write_u16_le(u16), to_le_bytes;
        /// Writes a signed 16-bit integer, little-endian.
        write_i16_le(i16), to_le_bytes;
        /// Writes an unsigned 32-bit integer, little-endian.
        write_u32_le(u32), to_le_bytes;
        /// Writes a signed 32-bit integer, little-endian.
        write_i32_le(i32), to_le_bytes;
        /// Writes an unsigned 64-bit integer, little-endian.
        write_u64_le(u64), to_le_bytes;
        /// Writes a signed 64-bit integer, little-endian.
        write_i64_le(i64), to_le_bytes;
        /// Writes an unsigned 128-bit integer, little-endian.
        write_u128_le(u128), to_le_bytes;
        /// Writes a signed 128-bit integer, little-endian.
        write_i128_le(i128), to_le_bytes;
        /// Writes a 32-bit IEEE 754 float, little-endian.
        write_f32_le(f32), to_le_bytes;
        /// Writes a 64-bit IEEE 754 float, little-endian.
        write_f64_le(f64), to_le_bytes;
    }

    /// Flushes buffered data to its destination.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: what was flushed stays flushed, and a new call flushes the
    /// rest.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        flush(self)
    }

    /// Shuts the writer down (flushing it first as needed); for a socket, the peer then reads
    /// end of file.
    fn shutdown(&mut self) -> Shutdown<'_, Self>
    where
        Self: Unpin,
    {
        shutdown(self)
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
