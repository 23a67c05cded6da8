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
        // The string's own allocation, moved out of `output` for the read (so a string sized
        // for the input is filled in place, never regrown), the string's bytes first. `None`
        // once they are back in `output`.
        bytes: Option<Filling<Vec<u8>>>,
        // How long the string was: what goes back if the read fails or is dropped.
        kept: usize,
        read: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }

    impl<R: ?Sized> PinnedDrop for ReadToString<'_, R> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it completed: the string gets back what it held.
            let me = this.project();
            if let Some(bytes) = me.bytes.take() {
                **me.output = string_of_the_first(*me.kept, bytes.into_inner());
            }
        }
    }
}

pub(super) fn read_to_string<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    output: &'a mut String,
) -> ReadToString<'a, R> {
    let bytes = std::mem::take(output).into_bytes();
    ReadToString {
        reader,
        output,
        kept: bytes.len(),
        bytes: Some(Filling::new(bytes)),
        read: 0,
        _pinned: PhantomPinned,
    }
}

/// The string the first `kept` bytes of `bytes` make: they were a string's.
fn string_of_the_first(kept: usize, mut bytes: Vec<u8>) -> String {
    bytes.truncate(kept);
    String::from_utf8(bytes).expect("the bytes a string held are UTF-8")
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
        let filling = me
            .bytes
            .as_mut()
            .expect("`ReadToString` polled after it completed");
        let read = ready!(poll_read_to_end(
            Pin::new(&mut **me.reader),
            cx,
            filling,
            me.read
        ));
        let bytes = me
            .bytes
            .take()
            .expect("taken only here and in drop")
            .into_inner();
        let (string, result) = match read {
            // A failed read appends nothing.
            Err(e) => (string_of_the_first(*me.kept, bytes), Err(e)),
            // One pass checks the string's old bytes and the new ones, so an error's
            // `valid_up_to` counts from the start of the string, as Tokio's does.
            Ok(n) => match String::from_utf8(bytes) {
                Ok(string) => (string, Ok(n)),
                Err(not_utf8) => {
                    let error = invalid_utf8(not_utf8.utf8_error());
                    let kept = string_of_the_first(*me.kept, not_utf8.into_bytes());
                    (kept, Err(error))
                }
            },
        };
        **me.output = string;
        Poll::Ready(result)
    }
}
