//! Owned buffers: what an io_uring operation may hand to the kernel.
//!
//! The kernel reads or writes a buffer after the call that submitted it has returned, so the
//! buffer must be owned by the operation (moved in, handed back with the result) and its memory
//! must not move while the operation owns it. These traits say which types qualify.
//!
//! Semantics, as in tokio-uring: a read fills the buffer from its start up to
//! [`IoBufMut::bytes_total`] and then raises the initialised length to at least the number of
//! bytes read; a write sends the first [`IoBuf::bytes_init`] bytes.

/// A buffer an operation may send to the kernel.
///
/// # Safety
/// `stable_ptr` must point to `bytes_init` initialised bytes, and the pointer and those bytes
/// must stay valid and unchanged while the value is not touched, even if the value itself is
/// moved (the memory lives on the heap or in static storage).
pub unsafe trait IoBuf: Send + 'static {
    /// The start of the buffer's memory.
    fn stable_ptr(&self) -> *const u8;
    /// How many bytes, from the start, hold data.
    fn bytes_init(&self) -> usize;
    /// The buffer's capacity.
    fn bytes_total(&self) -> usize;
}

/// A buffer an operation may let the kernel write into.
///
/// # Safety
/// As [`IoBuf`], and `stable_mut_ptr` must be valid for writes of `bytes_total` bytes.
pub unsafe trait IoBufMut: IoBuf {
    /// The start of the buffer's memory, for writing.
    fn stable_mut_ptr(&mut self) -> *mut u8;
    /// Records that the first `n` bytes are initialised (never lowers the length).
    ///
    /// # Safety
    /// The first `n` bytes must have been initialised, and `n <= bytes_total()`.
    unsafe fn set_init(&mut self, n: usize);
}

// SAFETY: a Vec's heap memory does not move when the Vec does, and it is neither freed nor
// reallocated while the Vec is not touched; `len` bytes from its pointer are initialised.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: as for `IoBuf`; the whole capacity is writable.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, n: usize) {
        if n > self.len() {
            // SAFETY: the caller promises `n <= capacity` and that the first `n` bytes are
            // initialised (`set_init`'s contract).
            unsafe { self.set_len(n) };
        }
    }
}

// SAFETY: a boxed slice's memory is on the heap, fully initialised, and fixed while the box is
// not touched.
unsafe impl IoBuf for Box<[u8]> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for `IoBuf`; every byte is initialised already, so `set_init` has nothing to do.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, _n: usize) {}
}

// SAFETY: static memory never moves and is never freed.
unsafe impl IoBuf for &'static [u8] {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: static memory never moves and is never freed.
unsafe impl IoBuf for &'static str {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: a String is a Vec<u8> of UTF-8; writes only read it, so it needs no `IoBufMut`.
unsafe impl IoBuf for String {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}
