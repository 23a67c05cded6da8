//! Broadcast error types.

use std::fmt;

/// Error returned by [`Sender::send`](super::Sender::send) when no receiver exists (the value
/// could never be received). The value comes back.
#[derive(Debug)]
pub struct SendError<T>(pub T);

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

/// Error returned by [`Receiver::recv`](super::Receiver::recv).
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum RecvError {
    /// Every sender is gone and this receiver read every value retained: none will come.
    Closed,

    /// The receiver fell behind: this many values were overwritten before it read them. It
    /// stays subscribed, its cursor moved to the oldest value retained, which the next
    /// successful `recv` returns (unless more sends overwrite it first).
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(missed) => write!(f, "channel lagged by {missed}"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Error returned by [`Receiver::try_recv`](super::Receiver::try_recv).
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum TryRecvError {
    /// No value to read now; senders remain, so one may come.
    Empty,

    /// Every sender is gone and this receiver read every value retained: none will come.
    Closed,

    /// The receiver fell behind: this many values were overwritten before it read them. It
    /// stays subscribed, its cursor moved to the oldest value retained, which the next
    /// successful `try_recv` returns (unless more sends overwrite it first).
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(missed) => write!(f, "channel lagged by {missed}"),
        }
    }
}

impl std::error::Error for TryRecvError {}
