//! `ReadToString`: the future of `AsyncReadExt::read_to_string`.

use super::read_to_end::poll_read_to_end;
use crate::io::AsyncRead;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Reads to end of file, appending to a string: see
/// [`AsyncReadExt::read_to_string`](super::AsyncReadExt::read_to_string).
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    output: &'a mut String,
    /// The bytes read so far; they reach `output` only if the whole read succeeds as UTF-8.
    bytes: Vec<u8>,
    read: usize,
}

pub(super) fn read_to_string<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    output: &'a mut String,
) -> ReadToString<'a, R> {
    ReadToString {
        reader,
        output,
        bytes: Vec::new(),
        read: 0,
    }
}

/// The error for bytes that are not UTF-8, carrying the `Utf8Error` as Tokio's does.
pub(super) fn invalid_utf8(err: std::str::Utf8Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

/// Appends `bytes` to `output` if they are UTF-8 (moving them when `output` is empty).
pub(super) fn append_utf8(output: &mut String, bytes: Vec<u8>) -> io::Result<()> {
    if output.is_empty() {
        *output = String::from_utf8(bytes).map_err(|e| invalid_utf8(e.utf8_error()))?;
    } else {
        output.push_str(std::str::from_utf8(&bytes).map_err(invalid_utf8)?);
    }
    Ok(())
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let n = ready!(poll_read_to_end(
            Pin::new(&mut *me.reader),
            cx,
            &mut me.bytes,
            &mut me.read
        ))?;
        append_utf8(me.output, std::mem::take(&mut me.bytes))?;
        Poll::Ready(Ok(n))
    }
}
