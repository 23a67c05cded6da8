//! A multi-producer, multi-consumer broadcast queue: every receiver sees every value sent.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `error.rs` | `SendError`, `RecvError`, `TryRecvError` |
//! | `ring.rs` | the state under the channel's one lock: the ring of retained values, the counts, the queues of waiting tasks |
//! | `sender.rs` | `Sender` and `WeakSender` |
//! | `receiver.rs` | `Receiver`: `recv` and its future, `try_recv`, `blocking_recv`, leaving |
//!
//! [`channel`] makes a [`Sender`] and a [`Receiver`]; [`Sender::subscribe`] makes more
//! receivers, each of which sees the values sent after it subscribed. A value is stored once
//! and cloned for each receiver as it reads; the channel drops its copy once every receiver
//! that was there when it was sent has read it (or left).
//!
//! # Lagging
//! The channel retains the last `capacity` values, `capacity` rounded up to a power of two.
//! A send into a full ring overwrites the oldest value; a receiver that had not read it gets
//! [`RecvError::Lagged`](error::RecvError::Lagged) with the number of values it missed, and
//! its cursor moves to the oldest value retained, which its next receive returns. It stays
//! subscribed.
//!
//! # Closing
//! When every [`Sender`] is gone (weak senders do not count), a receiver first reads what is
//! retained, then gets [`RecvError::Closed`](error::RecvError::Closed). When every receiver
//! is gone, `send` fails and [`Sender::closed`] completes; `subscribe` reopens the channel.
//!
//! # Design
//! One mutex guards the whole state (`ring.rs`). Receivers clone a value under it, except the
//! last reader of a value, which takes it out and clones it after unlocking. Wakers are woken,
//! and overwritten or released values dropped, only after the lock is released.
//!
//! ```
//! # tandem::runtime::Runtime::new().unwrap().block_on(async {
//! let (tx, mut rx1) = tandem::sync::broadcast::channel(16);
//! let mut rx2 = tx.subscribe();
//! tx.send(10).unwrap();
//! tx.send(20).unwrap();
//! assert_eq!(rx1.recv().await.unwrap(), 10);
//! assert_eq!(rx2.recv().await.unwrap(), 10);
//! assert_eq!(rx2.recv().await.unwrap(), 20);
//! # });
//! ```

pub mod error;
mod receiver;
mod ring;
mod sender;

pub use receiver::Receiver;
pub use sender::{Sender, WeakSender};

use crate::loom::sync::{Arc, Mutex};
use ring::Ring;

/// Creates a broadcast channel retaining up to `capacity` values (rounded up to a power of
/// two), and returns its sender and a first receiver. See the [module docs](self).
///
/// # Panics
/// If `capacity` is 0 or above `usize::MAX / 2`. The ring is allocated up front.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = new_shared(capacity, 1);
    let rx = Receiver::new(shared.clone(), 0);
    (Sender::from_shared(shared), rx)
}

/// What every handle of a channel shares.
struct Shared<T> {
    ring: Mutex<Ring<T>>,
}

#[track_caller]
fn new_shared<T>(capacity: usize, receivers: usize) -> Arc<Shared<T>> {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity exceeded `usize::MAX / 2`"
    );
    Arc::new(Shared {
        ring: Mutex::new(Ring::new(capacity.next_power_of_two(), receivers)),
    })
}

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;
