//! `read_to_string` reads into the string's own allocation, as Tokio's does: a string sized for
//! the input (as `std::fs::read_to_string` sizes one) is filled in place, never regrown. Before
//! the fix it read into a new vector that grew by doubling, then replaced (or was copied into)
//! the string. What the string holds after an error or a cancelled read is unchanged by the fix:
//! exactly what it held before.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tandem::io::{AsyncRead, AsyncReadExt, ReadBuf};

fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the reader never blocks"),
    }
}

#[test]
fn a_string_sized_for_the_input_is_filled_in_place() {
    let data = vec![b'a'; 10_000];
    let mut text = String::with_capacity(10_000);
    let allocation = text.as_ptr();
    assert_eq!(
        ready((&data[..]).read_to_string(&mut text)).unwrap(),
        10_000
    );
    assert_eq!(text.len(), 10_000);
    assert_eq!(text.capacity(), 10_000, "the string was regrown");
    assert_eq!(
        text.as_ptr(),
        allocation,
        "the string's allocation was replaced"
    );
}

#[test]
fn what_is_read_is_appended_to_what_the_string_held() {
    let mut text = String::with_capacity(64);
    text.push_str("héllo ");
    let allocation = text.as_ptr();
    assert_eq!(
        ready((&b"w\xc3\xb6rld"[..]).read_to_string(&mut text)).unwrap(),
        6
    );
    assert_eq!(text, "héllo wörld");
    assert_eq!(text.as_ptr(), allocation);
}

#[test]
fn bytes_that_are_not_utf8_leave_the_string_as_it_was() {
    let mut text = String::from("ok ");
    let err = ready((&b"ab\xffcd"[..]).read_to_string(&mut text)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let utf8 = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<std::str::Utf8Error>())
        .expect("the error carries the Utf8Error");
    // Counted from the start of the string, as Tokio's.
    assert_eq!(utf8.valid_up_to(), 5);
    assert_eq!(text, "ok ");
}

/// Gives its chunk once, then fails (`fails`) or never gives anything more.
struct OneChunk {
    chunk: &'static [u8],
    fails: bool,
}

impl AsyncRead for OneChunk {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.chunk.is_empty() {
            buf.put_slice(self.chunk);
            self.chunk = &[];
            return Poll::Ready(Ok(()));
        }
        match self.fails {
            true => Poll::Ready(Err(io::Error::other("the reader failed"))),
            false => Poll::Pending,
        }
    }
}

#[test]
fn a_failed_read_appends_nothing() {
    let mut text = String::from("kept");
    let mut reader = OneChunk {
        chunk: b" lost",
        fails: true,
    };
    let err = ready(reader.read_to_string(&mut text)).unwrap_err();
    assert_eq!(err.to_string(), "the reader failed");
    assert_eq!(text, "kept");
}

#[test]
fn a_read_dropped_before_it_completes_leaves_the_string_as_it_was() {
    let mut text = String::from("kept");
    let mut reader = OneChunk {
        chunk: b" dropped",
        fails: false,
    };
    {
        let mut read = pin!(reader.read_to_string(&mut text));
        let polled = read.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(polled.is_pending());
    }
    assert_eq!(text, "kept");
    // Never polled at all.
    drop(reader.read_to_string(&mut text));
    assert_eq!(text, "kept");
}
