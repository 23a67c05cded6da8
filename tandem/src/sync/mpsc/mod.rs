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
//! | `slots.rs` | a bounded channel's capacity: free slots, and the senders waiting for some, in FIFO order |
//! | `batch.rs` | the unbounded receiver's own batch of messages, popped without the lock; buffers give back a drained burst's memory |
//! | `chan.rs` | the shared state under one lock: the buffer, the receiver's waker, the close flags, the capacity |
//! | `waiting.rs` | the futures that wait in a queue (a reservation, `closed`) and leave it when dropped |
//! | `handles.rs` | the strong/weak sender and receiver handles both flavours share |
//! | `permit.rs` | `Permit`, `PermitIterator`, `OwnedPermit`: reserved room |
//! | `bounded.rs` | `channel`, `Sender`, `WeakSender`, `Receiver` |
//! | `unbounded.rs` | `unbounded_channel`, `UnboundedSender`, `WeakUnboundedSender`, `UnboundedReceiver` |
//!
//! # Design: one short lock
//!
//! Every operation is one short critical section on a `Mutex` over a `VecDeque` and the
//! channel's small state (`chan.rs`): a send takes the lock once (to take a slot, push, and
//! take the receiver's waker). A bounded receive takes it once per message (to pop, and hand
//! the freed slot to the first waiting sender); an unbounded receive once per *batch*: it
//! swaps the channel's whole buffer with its own empty one (`batch.rs`) and pops the rest
//! without the lock, so under load the receiver hardly competes with the senders. Only the
//! sender counts live outside the lock, in atomics, so that cloning and dropping senders and
//! `Sender::is_closed` take no lock. The lock is never held while foreign code runs: wakers
//! are taken under it and woken (or dropped) after.
//!
//! A lock-free block-linked list (Tokio's design) would spare a push the lock, but needs a
//! separate semaphore for capacity and an atomic waker for the receiver, each with its own
//! protocol; one lock keeps the capacity, the FIFO of waiting senders, the close and the
//! buffer consistent by construction. Its cost under contention has not been measured yet
//! (the sync benchmark against Tokio will tell); the lock-free queue remains the fallback.
//!
//! # Invariants
//!
//! 1. Slots (bounded only): each of the `bound` slots is free, assigned to a waiting sender,
//!    held by a permit, or holds a buffered message. A freed slot goes to the first waiting
//!    sender before anyone else, so waiting senders are served in FIFO order.
//! 2. FIFO per sender: a sender's messages are pushed under the lock in the order it sent them.
//! 3. The end: `recv` returns `None` once nothing is buffered and every strong sender is gone,
//!    or the receiver closed and no slot is held (no permit could still send).
//!
//! # Close protocol
//!
//! 1. `Receiver::close` (or its drop) sets `rx_closed` under the lock: every later send,
//!    `try_send` and reservation fails.
//! 2. Every waiting sender and every `Sender::closed` is woken. A woken reservation, when
//!    polled (or dropped), leaves the queue and gives back the slots it was assigned.
//! 3. Permits still held can send; their values are received. A dropped receiver drops the
//!    buffered values after releasing the lock, and any value a permit sends later.
//! 4. Each slot that comes back after the close may make the channel idle; the one that does
//!    wakes the receiver, whose `recv` then returns `None`.
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
mod slots;
mod unbounded;
mod waiting;
mod wakers;

#[cfg(test)]
mod tests;

pub use bounded::{channel, Receiver, Sender, WeakSender};
pub use permit::{OwnedPermit, Permit, PermitIterator};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
