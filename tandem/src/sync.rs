//! Synchronization primitives for async code.
//!
//! Tokio's runtime-independent primitives (`Mutex`, `RwLock`, `Semaphore`, `Notify`, `Barrier`,
//! `OnceCell`, and the `mpsc`, `oneshot`, `broadcast` and `watch` channels), re-exported
//! unchanged: they work on any executor, Tandem included.

pub use tokio::sync::*;
