//! Small building blocks with no knowledge of the runtime.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `rand.rs` | A small, fast, non-cryptographic generator for picking steal victims (and a thread-local one for `select!`) |
//! | `atomic_cell.rs` | An `Option<Box<T>>` that can be swapped atomically between threads |
//! | `try_lock.rs` | A lock that is only ever tried, never waited for: who holds the shared driver |
//! | `read_buf.rs` | `ReadBuf` (public as `io::ReadBuf`): a borrowed buffer with filled and initialized regions; the engine's reads fill it |
//! | `drain_lock.rs` | a try-lock whose losers leave a note the holder must honour (who reaps an io_uring CQ) |
//! | `wake_list.rs` | `WakeList`, the distinct tasks waiting on one thing, and `WakeAll`, such a list behind a lock that is a waker itself |
//! | `waker_slot.rs` | `register`: a waker into a slot a lock guards, with none of the waker's code run under that lock |

pub(crate) mod atomic_cell;
pub(crate) mod drain_lock;
pub(crate) mod rand;
pub(crate) mod read_buf;
pub(crate) mod try_lock;
pub(crate) mod wake_list;
pub(crate) mod waker_slot;
