//! A multi-producer, single-consumer queue for sending values between asynchronous tasks, with
//! Tokio's `sync::mpsc` API: a bounded [`channel`] with backpressure and an
//! [`unbounded_channel`].
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `error.rs` | the error types, with Tokio's names and messages |
//! | `wakers.rs` | wakers taken under the lock, woken after it is released |
//! | `senders.rs` | the strong and weak sender counts (atomics); the last sender ends the stream |
//! | `batch.rs` | the receiver's own batch of messages, popped without the lock; buffers give back a drained burst's memory |
//! | `chan.rs` | the shared state under one lock (the buffer, the receiver's waker, the close flags); beside it a bounded channel's capacity, a batch semaphore |
//! | `waiting.rs` | the futures that wait (a reservation of slots, `closed`) and give back what they hold when dropped |
//! | `handles.rs` | the strong/weak sender and receiver handles both flavours share |
//! | `permit.rs` | `Permit`, `PermitIterator`, `OwnedPermit`: reserved room |
//! | `bounded.rs` | `channel`, `Sender`, `WeakSender`, `Receiver` |
//! | `unbounded.rs` | `unbounded_channel`, `UnboundedSender`, `WeakUnboundedSender`, `UnboundedReceiver` |
//!
//! # Design: one short lock, capacity beside it
//!
//! The messages are one `VecDeque` under a `Mutex` with the channel's small state (`chan.rs`):
//! a send pushes under the lock (and takes the receiver's waker). The receiver takes the lock
//! once per *batch*: it swaps the channel's whole buffer with its own empty one (`batch.rs`)
//! and pops the rest without the lock, so under load it hardly competes with the senders.
//!
//! A bounded channel's capacity is a batch semaphore of `bound` permits (`sync/semaphore`),
//! outside the lock: a send reserves its slot with one CAS on the permit word (queueing in
//! FIFO order only when none is free), and the receiver frees the slot of each message as it
//! hands it out, lock-free while no sender waits. So a message held in the receiver's batch
//! still holds its slot: the capacity is what it would be had it stayed in the channel.
//! (Measured: with the slots under the channel's lock, a bounded send took it twice and a
//! receive once per message, 8 producers ran at twice Tokio's time; now at par.)
//!
//! Only the sender counts, the close flag copy and the capacity live outside the lock, so that
//! cloning and dropping senders, `Sender::is_closed` and reserving room take no lock. The lock
//! is never held while foreign code runs: wakers are taken under it and woken (or dropped)
//! after.

//! # Invariants
//!
//! 1. Slots (bounded only): each of the `bound` permits of the semaphore is free, assigned to
//!    a waiting sender, held by a permit, or holds a message (buffered, or in the receiver's
//!    batch until `recv` returns it). A freed slot goes to the first waiting sender before
//!    anyone else (the semaphore's fairness), so waiting senders are served in FIFO order.
//! 2. FIFO per sender: a sender's messages are pushed under the lock in the order it sent them.
//! 3. The end: `recv` returns `None` once nothing is buffered and every strong sender is gone,
//!    or the receiver closed and no slot is held (no permit could still send).
//!
//! # Close protocol
//!
//! 1. `Receiver::close` (or its drop) sets `rx_closed` under the lock, then closes the
//!    semaphore: every later send, `try_send` and reservation fails.
//! 2. Every waiting sender and every `Sender::closed` is woken. A woken reservation, when
//!    polled (or dropped), leaves the queue and gives back the slots it was assigned.
//! 3. Permits still held can send; their values are received. A dropped receiver drops the
//!    buffered values after releasing the lock, and any value a permit sends later.
//! 4. Each slot that comes back after the close may make the channel idle; the one that does
//!    wakes the receiver, whose `recv` then returns `None` (`chan.rs` says why no wake-up is
//!    lost between the semaphore's word and the lock).
//!
//! # Cooperative budget
//!
//! `recv`, `recv_many`, `poll_recv`, `poll_recv_many` and the bounded `send`/`reserve` family
//! spend one unit of the task's budget when they complete, and yield when it is spent, so a
//! task draining an always-full channel lets the others run.

mod batch;
mod bounded;
mod chan;
pub mod error;
mod handles;
mod permit;
mod senders;
mod unbounded;
mod waiting;
mod wakers;

#[cfg(test)]
mod tests;

pub use bounded::{channel, Receiver, Sender, WeakSender};
pub use permit::{OwnedPermit, Permit, PermitIterator};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
