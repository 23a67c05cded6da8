//! A buffer whose creation and drop are counted, for tests of operations dropped in flight:
//! every buffer must be dropped exactly once, and only after the runtime no longer needs it.
//!
//! Include with `#[path = "support/guard_buf.rs"] mod guard_buf;`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use tandem::fs::{IoBuf, IoBufMut};

#[derive(Default)]
pub struct Counts {
    pub created: AtomicUsize,
    pub dropped: AtomicUsize,
}

impl Counts {
    pub fn created(&self) -> usize {
        self.created.load(SeqCst)
    }
    pub fn dropped(&self) -> usize {
        self.dropped.load(SeqCst)
    }
}

pub struct GuardBuf {
    vec: Vec<u8>,
    counts: Arc<Counts>,
}

impl GuardBuf {
    pub fn new(capacity: usize, counts: &Arc<Counts>) -> GuardBuf {
        counts.created.fetch_add(1, SeqCst);
        GuardBuf {
            vec: Vec::with_capacity(capacity),
            counts: counts.clone(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.vec
    }
}

impl Drop for GuardBuf {
    fn drop(&mut self) {
        // Scribble over the memory first: a kernel write after this would be a use-after-free
        // that valgrind (on the blocking backend) or a corrupted reuse would expose.
        let cap = self.vec.capacity();
        self.vec.clear();
        self.vec.resize(cap, 0xdd);
        self.counts.dropped.fetch_add(1, SeqCst);
    }
}

// SAFETY: delegates to `Vec<u8>`, whose heap memory does not move when the `GuardBuf` does.
unsafe impl IoBuf for GuardBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.vec.stable_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.vec.bytes_init()
    }
    fn bytes_total(&self) -> usize {
        self.vec.bytes_total()
    }
}

// SAFETY: delegates to `Vec<u8>`.
unsafe impl IoBufMut for GuardBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.vec.stable_mut_ptr()
    }
    unsafe fn set_init(&mut self, n: usize) {
        // SAFETY: the caller's promise is passed on unchanged.
        unsafe { self.vec.set_init(n) }
    }
}
