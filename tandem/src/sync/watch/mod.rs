//! A multi-producer, multi-consumer channel that keeps only the last value sent.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `state.rs` | the version word: which value is current, and whether every sender left |
//! | `error.rs` | `SendError`, `RecvError` |
//! | `sender.rs` | `Sender`: publishing a value, counting and awaiting receivers |
//! | `receiver.rs` | `Receiver`: reading the value, and awaiting a change (`changed`, `wait_for`) |
//!
//! [`channel`] makes a [`Sender`] and a [`Receiver`] around an initial value. Each receiver
//! remembers the version it last *saw*: the initial value, and the value current when it was
//! made by [`Sender::subscribe`], count as seen. [`Receiver::changed`] completes (and marks
//! the value seen) as soon as the current value is unseen; [`Receiver::borrow_and_update`]
//! reads and marks, [`Receiver::borrow`] only reads.
//!
//! Closing: when the last sender drops, `changed` returns the current value if it is unseen,
//! then errors; [`Receiver::has_changed`] errors at once. When the last receiver drops,
//! [`Sender::send`] fails and [`Sender::closed`] completes; `subscribe` reopens the channel.
//! The value lives until every handle is gone.
//!
//! The value sits under a reader-writer lock: a [`Ref`] holds the read lock, so keep it short
//! and never across an `.await`. The version is an atomic word beside it (`state.rs`), so
//! checking for a change takes no lock. Waiting receivers (and senders awaiting `closed`) queue
//! in a `WaitList` each, announced as `wait_list::wait_until` describes.
//!
//! ```
//! # tandem::runtime::Runtime::new().unwrap().block_on(async {
//! let (tx, mut rx) = tandem::sync::watch::channel("hello");
//! let task = tandem::spawn(async move {
//!     rx.changed().await.unwrap();
//!     *rx.borrow_and_update()
//! });
//! tx.send("world").unwrap();
//! assert_eq!(task.await.unwrap(), "world");
//! # });
//! ```

pub mod error;
mod receiver;
mod sender;
mod state;

pub use receiver::Receiver;
pub use sender::Sender;

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use crate::sync::wait_list::WaitList;
use state::{State, Version};
use std::fmt;
use std::ops::Deref;
use std::task::Waker;

/// Creates a watch channel holding `init`: the sending and the receiving half.
///
/// Only the last value sent is kept; every receiver sees it.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: State::new(),
        senders: AtomicUsize::new(1),
        // `Receiver::new` counts the first receiver.
        receivers: AtomicUsize::new(0),
        awaiting_change: Mutex::new(WaitList::new()),
        awaiting_close: Mutex::new(WaitList::new()),
    });
    let rx = Receiver::new(shared.clone(), Version::INITIAL);
    (Sender::from_shared(shared), rx)
}

/// What every handle of a channel shares.
struct Shared<T> {
    value: RwLock<T>,
    state: State,
    /// Handles alive (counters only: the waits' ordering comes from their lists' locks).
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Receivers in `changed` or `wait_for`, woken by each send and by the last sender's drop.
    awaiting_change: Mutex<WaitList<Waker>>,
    /// Senders in `closed`, woken by the last receiver's drop.
    awaiting_close: Mutex<WaitList<Waker>>,
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            // The lock's own `Debug` never blocks (it shows a write-locked value as locked).
            .field("value", &self.value)
            .field("state", &self.state.load())
            .field("receivers", &self.receivers)
            .finish_non_exhaustive()
    }
}

/// A borrow of a watch channel's current value, holding its read lock.
///
/// Keep it short: a sender waits for the lock while it exists, and holding one across an
/// `.await` can deadlock. Whether a second `borrow` on the same thread waits for a sender that
/// is waiting for the first depends on the platform's lock policy: do not rely on either.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the borrowed value was unseen by the receiver that borrowed it, when it did
    /// (false if borrowed from the sender). Unlike [`Receiver::has_changed`], this never fails
    /// on a closed channel.
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ref")
            .field("value", &*self.guard)
            .field("has_changed", &self.has_changed)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;
