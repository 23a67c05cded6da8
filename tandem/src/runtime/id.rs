//! `runtime::Id`: an opaque id that tells runtimes apart (`Handle::id`).

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// An opaque id of a runtime, unique among the runtimes of this process: two handles of one
/// runtime have the same id, handles of different runtimes different ones (as Tokio's). No
/// other property is promised; in particular the numbers may change between versions.
///
/// ```
/// let rt1 = tandem::runtime::Runtime::new().unwrap();
/// let rt2 = tandem::runtime::Runtime::new().unwrap();
/// assert_eq!(rt1.handle().id(), rt1.handle().clone().id());
/// assert_ne!(rt1.handle().id(), rt2.handle().id());
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id, from a process-wide counter (relaxed: only uniqueness matters, and building a
    /// runtime is rare).
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        Id(NonZeroU64::new(id).expect("2^64 runtimes were not built"))
    }

    pub(crate) fn as_u64(self) -> NonZeroU64 {
        self.0
    }

    pub(crate) fn from_u64(id: NonZeroU64) -> Id {
        Id(id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
