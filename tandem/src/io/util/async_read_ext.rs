//! `AsyncReadExt`: the future-returning methods of every `AsyncRead`.

use super::chain::{chain, Chain};
use super::read::{read, Read};
use super::read_buf::{read_buf, ReadBuf};
use super::read_exact::{read_exact, ReadExact};
use super::read_int::ReadInt;
use super::read_to_end::{read_to_end, ReadToEnd};
use super::read_to_string::{read_to_string, ReadToString};
use super::take::{take, Take};
use crate::io::AsyncRead;
use bytes::BufMut;

/// Declares `read_*` methods that read a number whole and decode it.
macro_rules! read_number {
    ($($(#[$doc:meta])* $name:ident -> $ty:ty, $decode:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// Fails with `ErrorKind::UnexpectedEof` if the reader ends first.
        fn $name(&mut self) -> ReadInt<&mut Self, $ty>
        where
            Self: Unpin,
        {
            const SIZE: usize = std::mem::size_of::<$ty>();
            ReadInt::new(self, SIZE, |bytes| {
                let mut array = [0; SIZE];
                array.copy_from_slice(bytes);
                <$ty>::$decode(array)
            })
        }
    )*};
}

/// The part of the doc of every multi-byte `read_*` method about cancellation.
macro_rules! not_cancel_safe_number {
    () => {
        "\n\n# Cancel safety\n\nThis method is not cancel safe: if the future is dropped \
         before completion, some of the number's bytes may have been read and are lost."
    };
}

/// The futures of reading from an [`AsyncRead`], as `tokio::io::AsyncReadExt`. Implemented for
/// every `AsyncRead`.
///
/// The futures that read until done (`read_exact`, `read_to_end`, `read_to_string` and the
/// numbers) retry a read that fails with `ErrorKind::Interrupted`; `read` and `read_buf`, which
/// read once, return it.
pub trait AsyncReadExt: AsyncRead {
    /// A reader that reads all of `self`, then all of `next`.
    fn chain<R>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
        R: AsyncRead,
    {
        chain(self, next)
    }

    /// Reads some bytes into `buf`, returning how many: `Ok(0)` means end of file, or an empty
    /// `buf`. Waits until at least one byte can be read.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        read(self, buf)
    }

    /// Reads some bytes into `buf`'s next chunk and advances it, returning how many: `Ok(0)`
    /// means end of file, or that `buf` has no room.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before completion, no data was
    /// read.
    fn read_buf<'a, B>(&'a mut self, buf: &'a mut B) -> ReadBuf<'a, Self, B>
    where
        Self: Unpin,
        B: BufMut + ?Sized,
    {
        read_buf(self, buf)
    }

    /// Reads exactly `buf.len()` bytes, returning that number. Fails with
    /// `ErrorKind::UnexpectedEof` ("early eof") if the reader ends first; the contents of `buf`
    /// are then unspecified.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if the future is dropped before completion, some data
    /// may have been read into `buf`, and that progress is lost.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        read_exact(self, buf)
    }

    read_number! {
        /// Reads an unsigned byte.
        ///
        /// # Cancel safety
        ///
        /// This method is cancel safe: if the future is dropped before completion, no data was
        /// read.
        read_u8 -> u8, from_be_bytes;
        /// Reads a signed byte.
        ///
        /// # Cancel safety
        ///
        /// This method is cancel safe: if the future is dropped before completion, no data was
        /// read.
        read_i8 -> i8, from_be_bytes;
        /// Reads an unsigned 16-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_u16 -> u16, from_be_bytes;
        /// Reads a signed 16-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_i16 -> i16, from_be_bytes;
        /// Reads an unsigned 32-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_u32 -> u32, from_be_bytes;
        /// Reads a signed 32-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_i32 -> i32, from_be_bytes;
        /// Reads an unsigned 64-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_u64 -> u64, from_be_bytes;
        /// Reads a signed 64-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_i64 -> i64, from_be_bytes;
        /// Reads an unsigned 128-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_u128 -> u128, from_be_bytes;
        /// Reads a signed 128-bit integer, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_i128 -> i128, from_be_bytes;
        /// Reads a 32-bit IEEE 754 float, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_f32 -> f32, from_be_bytes;
        /// Reads a 64-bit IEEE 754 float, big-endian.
        #[doc = not_cancel_safe_number!()]
        read_f64 -> f64, from_be_bytes;
        /// Reads an unsigned 16-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_u16_le -> u16, from_le_bytes;
        /// Reads a signed 16-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_i16_le -> i16, from_le_bytes;
        /// Reads an unsigned 32-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_u32_le -> u32, from_le_bytes;
        /// Reads a signed 32-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_i32_le -> i32, from_le_bytes;
        /// Reads an unsigned 64-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_u64_le -> u64, from_le_bytes;
        /// Reads a signed 64-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_i64_le -> i64, from_le_bytes;
        /// Reads an unsigned 128-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_u128_le -> u128, from_le_bytes;
        /// Reads a signed 128-bit integer, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_i128_le -> i128, from_le_bytes;
        /// Reads a 32-bit IEEE 754 float, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_f32_le -> f32, from_le_bytes;
        /// Reads a 64-bit IEEE 754 float, little-endian.
        #[doc = not_cancel_safe_number!()]
        read_f64_le -> f64, from_le_bytes;
    }

    /// Reads to end of file, appending to `buf`; returns how many bytes were appended. On an
    /// error, the bytes read before it stay in `buf`.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before completion, the bytes read so far stay in `buf`; the
    /// count of them is lost.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        read_to_end(self, buf)
    }

    /// Reads to end of file, appending to `dst`; returns how many bytes were appended. If the
    /// bytes are not UTF-8 (an `ErrorKind::InvalidData` error) or reading fails, `dst` is left
    /// unchanged.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if the future is dropped before completion, the bytes
    /// read so far are lost (`dst` is unchanged).
    fn read_to_string<'a>(&'a mut self, dst: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        read_to_string(self, dst)
    }

    /// A reader that reads at most `limit` bytes from `self`, then reports end of file.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        take(self, limit)
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}
