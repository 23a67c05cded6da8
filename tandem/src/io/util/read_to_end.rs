//! `ReadToEnd`: the future of `AsyncReadExt::read_to_end`, and `Filling`, the vector-growth
//! policy it shares with `read_to_string`.
//!
//! The policy is Tokio's contract, which callers observe through the vector's capacity:
//!
//! - A read goes straight into the vector's spare capacity while at least `PROBE` (32) bytes of
//!   it are free; with less free, the vector first grows by `Vec::reserve(PROBE)` (so doubles).
//! - A vector that has filled the capacity it came with (if that was at least `PROBE`) is not
//!   grown on speculation: a read into a small stack buffer probes first, and the vector grows
//!   only if that read brings more than fits. A caller who sized the vector for the whole
//!   input therefore never sees it reallocated just to find end of file.
//! - Bytes of the spare capacity a reader initialized stay known as initialized from one read
//!   to the next (until the vector reallocates), so the reader is not handed them again as
//!   uninitialized.
//! - An `Interrupted` read is retried.

use crate::io::{AsyncRead, ReadBuf};
use pin_project_lite::pin_project;
use std::borrow::BorrowMut;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::mem::{self, MaybeUninit};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

pin_project! {
    /// Reads to end of file, appending to a vector: see
    /// [`AsyncReadExt::read_to_end`](super::AsyncReadExt::read_to_end).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ReadToEnd<'a, R: ?Sized> {
        reader: &'a mut R,
        buf: Filling<&'a mut Vec<u8>>,
        // Bytes appended by this call so far.
        read: usize,
        // `!Unpin`, as Tokio's: code that asserts it (Tokio's tests do) sees the same type.
        #[pin]
        _pinned: PhantomPinned,
    }
}

pub(super) fn read_to_end<'a, R: AsyncRead + Unpin + ?Sized>(
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
) -> ReadToEnd<'a, R> {
    ReadToEnd {
        reader,
        buf: Filling::new(buf),
        read: 0,
        _pinned: PhantomPinned,
    }
}

/// The least free room a read into the vector gets, and the size of the probing read.
const PROBE: usize = 32;

/// A vector being read into, with what this read learned about its spare capacity.
///
/// `V` is `Vec<u8>` or `&mut Vec<u8>`, held for the whole read: nothing but this struct touches
/// the vector between two polls, which is what makes `initialized` trustworthy.
#[derive(Debug)]
pub(super) struct Filling<V> {
    vec: V,
    /// The first `initialized` bytes of the vector's allocation are initialized; always
    /// between its length and its capacity.
    initialized: usize,
    /// The capacity the vector came with.
    start_capacity: usize,
}

impl<V: BorrowMut<Vec<u8>>> Filling<V> {
    pub(super) fn new(mut vec: V) -> Self {
        let v: &mut Vec<u8> = vec.borrow_mut();
        Filling {
            initialized: v.len(),
            start_capacity: v.capacity(),
            vec,
        }
    }

    /// The vector, given back once the read is over.
    pub(super) fn into_inner(self) -> V {
        self.vec
    }

    /// Makes at least `additional` bytes of spare capacity, forgetting what was initialized
    /// past the length if the vector reallocates.
    fn reserve(&mut self, additional: usize) {
        let vec: &mut Vec<u8> = self.vec.borrow_mut();
        if vec.capacity() - vec.len() < additional {
            vec.reserve(additional);
            // A reallocation copies only the vector's contents, `..len`.
            self.initialized = vec.len();
        }
    }

    /// One read, appended to the vector; returns the bytes appended (0 at end of file).
    fn poll_read_once<R: AsyncRead + ?Sized>(
        &mut self,
        reader: Pin<&mut R>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let (len, capacity) = {
            let vec: &mut Vec<u8> = self.vec.borrow_mut();
            (vec.len(), vec.capacity())
        };
        let probe_first =
            capacity - len < PROBE && capacity == self.start_capacity && capacity >= PROBE;
        if probe_first {
            return self.poll_probe(reader, cx);
        }
        self.reserve(PROBE);

        let vec: &mut Vec<u8> = self.vec.borrow_mut();
        let len = vec.len();
        let mut spare = ReadBuf::uninit(vec.spare_capacity_mut());
        // SAFETY: `Filling`'s invariant: the allocation's first `initialized` bytes are
        // initialized, and `len <= initialized`, so the spare capacity's first
        // `initialized - len` bytes are.
        unsafe { spare.assume_init(self.initialized - len) };
        let start = spare.filled().as_ptr();
        let result = reader.poll_read(cx, &mut spare);
        // The counts below are trusted only for this `ReadBuf`; a reader could have swapped in
        // another one of the same lifetime.
        assert_eq!(
            spare.filled().as_ptr(),
            start,
            "the reader replaced the ReadBuf it was given"
        );
        let filled = spare.filled().len();
        // A `ReadBuf` never forgets initialized bytes, so this never shrinks below `len`.
        self.initialized = len + spare.initialized().len();
        // SAFETY: the reader filled, so initialized, the spare capacity's first `filled` bytes
        // (a `ReadBuf` never fills past its capacity). They are kept even if the read then
        // failed or was pending, as a reader that returns those should not have filled any.
        unsafe { vec.set_len(len + filled) };
        ready!(result)?;
        Poll::Ready(Ok(filled))
    }

    /// A read into a stack buffer, for a vector full at its first capacity: the vector grows
    /// only if the reader has more than fits.
    fn poll_probe<R: AsyncRead + ?Sized>(
        &mut self,
        reader: Pin<&mut R>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let mut probe = [MaybeUninit::<u8>::uninit(); PROBE];
        let mut probe = ReadBuf::uninit(&mut probe);
        ready!(reader.poll_read(cx, &mut probe))?;
        let got = probe.filled();
        let vec: &mut Vec<u8> = self.vec.borrow_mut();
        if got.len() > vec.capacity() - vec.len() {
            self.reserve(PROBE);
        }
        let vec: &mut Vec<u8> = self.vec.borrow_mut();
        vec.extend_from_slice(got);
        self.initialized = self.initialized.max(vec.len());
        Poll::Ready(Ok(got.len()))
    }
}

/// Reads into `buf` until end of file, counting into `read`. Returns the total; on error, the
/// bytes read stay in `buf` and `read` counts them.
pub(super) fn poll_read_to_end<R: AsyncRead + ?Sized, V: BorrowMut<Vec<u8>>>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Filling<V>,
    read: &mut usize,
) -> Poll<io::Result<usize>> {
    loop {
        match ready!(buf.poll_read_once(reader.as_mut(), cx)) {
            Ok(0) => return Poll::Ready(Ok(mem::take(read))),
            Ok(n) => *read += n,
            // An interrupted read read nothing: try again, as Tokio's `read_to_end` does.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let me = self.project();
        poll_read_to_end(Pin::new(&mut **me.reader), cx, me.buf, me.read)
    }
}
