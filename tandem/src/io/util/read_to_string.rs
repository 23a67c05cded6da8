//! `ReadToString`: the future of `AsyncReadExt::read_to_string`.

use super::read_to_end::{poll_read_to_end, Filling};
use crate::io::AsyncRead;
use pin_project_lite::pin_project;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads to end of file, appending to a string: see
    /// [`AsyncReadExt::read_to_string`](super::AsyncReadExt::read_to_string).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadToString<'a, R: ?Sized> {
        reader: &'a mut R,
        output: &'a mut String,
        // The bytes read so far; they reach `output` only if the whole read succeeds as UTF-8.
        bytes: Filling<Vec<u8>>,
        read: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_to_string<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    output: &'a mut String,
) -> ReadToString<'a, R> {
    ReadToString {
        reader,
        output,
        bytes: Filling::new(Vec::new()),
        read: 0,
        _pinned: PhantomPinned,
    }
}

/// The error for bytes that are not UTF-8, carrying the `Utf8Error` as Tokio's does.
pub(super) fn invalid_utf8(err: std::str::Utf8Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

/// Appends `bytes` to `output` if they are UTF-8 (moving them when `output` is empty); else
/// leaves `output` as it was.
///
/// The error's `Utf8Error` counts from the start of `output`, as Tokio's does (its
/// `valid_up_to` is where the string would stop being UTF-8), not from the start of `bytes`.
pub(super) fn append_utf8(output: &mut String, bytes: Vec<u8>) -> io::Result<()> {
    if output.is_empty() {
        *output = String::from_utf8(bytes).map_err(|e| invalid_utf8(e.utf8_error()))?;
        return Ok(());
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            output.push_str(text);
            Ok(())
        }
        Err(_) => {
            // Only a failure pays for this copy: it makes the error describe the whole string.
            let mut whole = Vec::with_capacity(output.len() + bytes.len());
            whole.extend_from_slice(output.as_bytes());
            whole.extend_from_slice(&bytes);
            Err(invalid_utf8(
                std::str::from_utf8(&whole).expect_err("`bytes` are not UTF-8"),
            ))
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        let n = ready!(poll_read_to_end(
            Pin::new(&mut **me.reader),
            cx,
            me.bytes,
            me.read
        ))?;
        let bytes = std::mem::replace(me.bytes, Filling::new(Vec::new()));
        append_utf8(me.output, bytes.into_inner())?;
        Poll::Ready(Ok(n))
    }
}
