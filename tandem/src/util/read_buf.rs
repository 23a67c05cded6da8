//! `ReadBuf`: a borrowed buffer that a reader fills from the front, tracking how much of it is
//! filled and how much is initialized.

use std::fmt;
use std::mem::MaybeUninit;

/// A wrapper around a byte buffer that is incrementally filled and initialized, as
/// `tokio::io::ReadBuf`.
///
/// The buffer has three regions, front to back:
///
/// ```text
/// [             capacity              ]
/// [ filled |         unfilled         ]
/// [    initialized    | uninitialized ]
/// ```
///
/// The filled region is always initialized (`filled <= initialized <= capacity`). A reader may
/// hand the buffer to code that writes into uninitialized memory (`unfilled_mut`), and once part
/// of it is initialized it stays initialized: nothing here ever writes uninitialized bytes back.
pub struct ReadBuf<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
    initialized: usize,
}

impl<'a> ReadBuf<'a> {
    /// A `ReadBuf` over a fully initialized buffer, nothing filled yet.
    #[inline]
    pub fn new(buf: &'a mut [u8]) -> ReadBuf<'a> {
        let initialized = buf.len();
        // SAFETY: `u8` and `MaybeUninit<u8>` have one layout. The bytes are initialized, and
        // `ReadBuf` keeps the invariant (this type's doc) that it never de-initializes them; an
        // `unsafe` caller of `inner_mut`/`unfilled_mut` promises the same.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        ReadBuf {
            buf,
            filled: 0,
            initialized,
        }
    }

    /// A `ReadBuf` over a possibly uninitialized buffer, nothing filled or initialized yet.
    #[inline]
    pub fn uninit(buf: &'a mut [MaybeUninit<u8>]) -> ReadBuf<'a> {
        ReadBuf {
            buf,
            filled: 0,
            initialized: 0,
        }
    }

    /// The total length of the buffer.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The filled part of the buffer.
    #[inline]
    pub fn filled(&self) -> &[u8] {
        // SAFETY: `..filled` lies within `..initialized` (the invariant on the type).
        unsafe { assume_init(&self.buf[..self.filled]) }
    }

    /// The filled part of the buffer, mutably.
    #[inline]
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: `..filled` lies within `..initialized` (the invariant on the type).
        unsafe { assume_init_mut(&mut self.buf[..self.filled]) }
    }

    /// A new `ReadBuf` over the unfilled part of this one, at most `n` bytes long. Its
    /// initialized region is whatever of that part this buffer already knows to be initialized.
    #[inline]
    pub fn take(&mut self, n: usize) -> ReadBuf<'_> {
        let max = self.remaining().min(n);
        let initialized = (self.initialized - self.filled).min(max);
        let end = self.filled + max;
        ReadBuf {
            buf: &mut self.buf[self.filled..end],
            filled: 0,
            initialized,
        }
    }

    /// The initialized part of the buffer (it includes the filled part).
    #[inline]
    pub fn initialized(&self) -> &[u8] {
        // SAFETY: `..initialized` is initialized, by the invariant on the type.
        unsafe { assume_init(&self.buf[..self.initialized]) }
    }

    /// The initialized part of the buffer, mutably (it includes the filled part).
    #[inline]
    pub fn initialized_mut(&mut self) -> &mut [u8] {
        // SAFETY: `..initialized` is initialized, by the invariant on the type.
        unsafe { assume_init_mut(&mut self.buf[..self.initialized]) }
    }

    /// The whole buffer, filled, initialized or not.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize any byte that was initialized (must not write
    /// `MaybeUninit::uninit()` into it): the `ReadBuf` assumes it still is.
    #[inline]
    pub unsafe fn inner_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.buf
    }

    /// The unfilled part of the buffer, which may be uninitialized.
    ///
    /// # Safety
    ///
    /// The caller must not de-initialize any byte that was initialized (must not write
    /// `MaybeUninit::uninit()` into it): the `ReadBuf` assumes it still is.
    #[inline]
    pub unsafe fn unfilled_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        &mut self.buf[self.filled..]
    }

    /// The whole unfilled part, after zeroing whatever of it was not initialized yet.
    #[inline]
    pub fn initialize_unfilled(&mut self) -> &mut [u8] {
        self.initialize_unfilled_to(self.remaining())
    }

    /// The first `n` bytes of the unfilled part, after zeroing whatever of them was not
    /// initialized yet.
    ///
    /// # Panics
    ///
    /// Panics if `self.remaining()` is less than `n`.
    #[inline]
    #[track_caller]
    pub fn initialize_unfilled_to(&mut self, n: usize) -> &mut [u8] {
        assert!(self.remaining() >= n, "n overflows remaining");
        let end = self.filled + n;
        if self.initialized < end {
            self.buf[self.initialized..end].fill(MaybeUninit::new(0));
            self.initialized = end;
        }
        // SAFETY: `filled..end` lies within `..initialized`, zeroed just above if it was not.
        unsafe { assume_init_mut(&mut self.buf[self.filled..end]) }
    }

    /// How many bytes of the buffer are unfilled.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.capacity() - self.filled
    }

    /// Empties the filled part; what was initialized stays initialized.
    #[inline]
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Grows the filled part by `n` bytes.
    ///
    /// # Panics
    ///
    /// Panics if the filled part would become larger than the initialized part.
    #[inline]
    #[track_caller]
    pub fn advance(&mut self, n: usize) {
        let filled = self.filled.checked_add(n).expect("filled overflow");
        self.set_filled(filled);
    }

    /// Sets the length of the filled part (shrinking it too).
    ///
    /// # Panics
    ///
    /// Panics if the filled part would become larger than the initialized part.
    #[inline]
    #[track_caller]
    pub fn set_filled(&mut self, n: usize) {
        assert!(
            n <= self.initialized,
            "filled must not become larger than initialized"
        );
        self.filled = n;
    }

    /// Records that the first `n` unfilled bytes are initialized. Never shrinks the initialized
    /// part.
    ///
    /// # Safety
    ///
    /// The caller must have initialized those `n` bytes (`unfilled_mut()[..n]`).
    #[inline]
    pub unsafe fn assume_init(&mut self, n: usize) {
        let end = self.filled + n;
        if end > self.initialized {
            self.initialized = end;
        }
    }

    /// Copies `buf` into the unfilled part and fills it.
    ///
    /// # Panics
    ///
    /// Panics if `self.remaining()` is less than `buf.len()`.
    #[inline]
    #[track_caller]
    pub fn put_slice(&mut self, buf: &[u8]) {
        assert!(
            self.remaining() >= buf.len(),
            "buf.len() must fit in remaining(); buf.len() = {}, remaining() = {}",
            buf.len(),
            self.remaining()
        );
        let end = self.filled + buf.len();
        for (dst, &src) in self.buf[self.filled..end].iter_mut().zip(buf) {
            *dst = MaybeUninit::new(src);
        }
        self.initialized = self.initialized.max(end);
        self.filled = end;
    }
}

// SAFETY: `chunk_mut` is the unfilled part, `remaining_mut` its length, and `advance_mut(cnt)`
// fills `cnt` bytes only after the caller, by `BufMut::advance_mut`'s contract, initialized them.
unsafe impl bytes::BufMut for ReadBuf<'_> {
    fn remaining_mut(&self) -> usize {
        self.remaining()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller initialized the first `cnt` bytes of `chunk_mut()`, which are the
        // first `cnt` unfilled bytes (`BufMut::advance_mut`'s contract).
        unsafe { self.assume_init(cnt) };
        self.advance(cnt);
    }

    fn chunk_mut(&mut self) -> &mut bytes::buf::UninitSlice {
        // SAFETY: an `UninitSlice` only lets its user write initialized bytes, so nothing
        // initialized is de-initialized through it (`unfilled_mut`'s contract).
        let unfilled = unsafe { self.unfilled_mut() };
        bytes::buf::UninitSlice::uninit(unfilled)
    }
}

impl fmt::Debug for ReadBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("filled", &self.filled)
            .field("initialized", &self.initialized)
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// # Safety
///
/// Every byte of `slice` is initialized.
unsafe fn assume_init(slice: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: same layout; the bytes are initialized (this function's contract).
    unsafe { &*(slice as *const [MaybeUninit<u8>] as *const [u8]) }
}

/// # Safety
///
/// Every byte of `slice` is initialized.
unsafe fn assume_init_mut(slice: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    // SAFETY: same layout; the bytes are initialized (this function's contract).
    unsafe { &mut *(slice as *mut [MaybeUninit<u8>] as *mut [u8]) }
}

#[cfg(test)]
mod tests {
    use super::ReadBuf;
    use bytes::BufMut;
    use std::mem::MaybeUninit;

    #[test]
    fn new_is_initialized_and_empty() {
        let mut storage = [1u8; 8];
        let buf = ReadBuf::new(&mut storage);
        assert_eq!(buf.capacity(), 8);
        assert_eq!(buf.remaining(), 8);
        assert!(buf.filled().is_empty());
        assert_eq!(buf.initialized(), &[1; 8]);
    }

    #[test]
    fn uninit_zeroes_only_what_it_hands_out() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 8];
        let mut buf = ReadBuf::uninit(&mut storage);
        assert!(buf.initialized().is_empty());
        assert_eq!(buf.initialize_unfilled_to(3), &[0, 0, 0]);
        assert_eq!(buf.initialized().len(), 3);
        buf.advance(2);
        assert_eq!(buf.filled(), &[0, 0]);
        assert_eq!(buf.initialize_unfilled().len(), 6);
        assert_eq!(buf.initialized().len(), 8);
    }

    #[test]
    fn put_slice_fills_and_initializes() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 6];
        let mut buf = ReadBuf::uninit(&mut storage);
        buf.put_slice(b"abc");
        buf.put_slice(b"de");
        assert_eq!(buf.filled(), b"abcde");
        assert_eq!(buf.initialized(), b"abcde");
        assert_eq!(buf.remaining(), 1);
        buf.filled_mut()[0] = b'A';
        buf.clear();
        assert!(buf.filled().is_empty());
        assert_eq!(buf.initialized(), b"Abcde");
        buf.set_filled(4);
        assert_eq!(buf.filled(), b"Abcd");
        buf.initialized_mut()[4] = b'E';
        assert_eq!(buf.initialized(), b"AbcdE");
    }

    #[test]
    #[should_panic(expected = "buf.len() must fit in remaining()")]
    fn put_slice_past_capacity_panics() {
        let mut storage = [0u8; 2];
        ReadBuf::new(&mut storage).put_slice(b"abc");
    }

    #[test]
    #[should_panic(expected = "filled must not become larger than initialized")]
    fn advance_past_initialized_panics() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        ReadBuf::uninit(&mut storage).advance(1);
    }

    #[test]
    #[should_panic(expected = "n overflows remaining")]
    fn initialize_past_remaining_panics() {
        let mut storage = [0u8; 2];
        ReadBuf::new(&mut storage).initialize_unfilled_to(3);
    }

    #[test]
    fn take_sees_the_unfilled_part_only() {
        let mut storage = [0u8; 8];
        let mut buf = ReadBuf::new(&mut storage);
        buf.put_slice(b"xy");
        let mut sub = buf.take(4);
        assert_eq!(sub.capacity(), 4);
        assert_eq!(sub.initialized().len(), 4);
        sub.put_slice(b"zz");
        assert_eq!(sub.filled(), b"zz");
        let mut big = buf.take(100);
        assert_eq!(big.capacity(), 6);
        big.clear();
    }

    #[test]
    fn assume_init_after_writing_unfilled() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        let mut buf = ReadBuf::uninit(&mut storage);
        // SAFETY: the two bytes are written before `assume_init(2)` claims them.
        unsafe {
            buf.unfilled_mut()[0].write(7);
            buf.unfilled_mut()[1].write(8);
            buf.assume_init(2);
        }
        buf.advance(2);
        assert_eq!(buf.filled(), &[7, 8]);
        // SAFETY: nothing is written through the slice.
        assert_eq!(unsafe { buf.inner_mut() }.len(), 4);
    }

    #[test]
    fn buf_mut_writes_fill_the_buffer() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 8];
        let mut buf = ReadBuf::uninit(&mut storage);
        assert_eq!(buf.remaining_mut(), 8);
        buf.put_u16(0x0102);
        buf.put_slice(b"ab");
        assert_eq!(buf.filled(), &[1, 2, b'a', b'b']);
        assert_eq!(buf.remaining_mut(), 4);
        assert_eq!(
            format!("{buf:?}"),
            "ReadBuf { filled: 4, initialized: 4, capacity: 8 }"
        );
    }
}
