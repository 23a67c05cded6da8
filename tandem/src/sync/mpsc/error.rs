//! The channel's error types, with Tokio's names and Display messages.

use std::error::Error;
use std::fmt;

/// Error returned by [`Sender::send`](super::Sender::send) and
/// [`UnboundedSender::send`](super::UnboundedSender::send): the receiver is gone or closed. It
/// hands the message back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> Error for SendError<T> {}

/// Error returned by [`Sender::try_send`](super::Sender::try_send) and the `try_reserve`
/// family: why the message (or reservation) could not go in without waiting.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full: sending would have to wait for the receiver.
    Full(T),
    /// The receiver closed the channel or was dropped.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// Consumes the error, returning the message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(..) => f.write_str("Full(..)"),
            TrySendError::Closed(..) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(..) => "no available capacity",
            TrySendError::Closed(..) => "channel closed",
        })
    }
}

impl<T> Error for TrySendError<T> {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> TrySendError<T> {
        TrySendError::Closed(err.0)
    }
}

/// Error returned by [`Receiver::try_recv`](super::Receiver::try_recv) and
/// [`UnboundedReceiver::try_recv`](super::UnboundedReceiver::try_recv).
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// No message is buffered now, but a sender may still send one.
    Empty,
    /// No message is buffered and none ever will be: every sender is gone, or the receiver
    /// closed the channel and every reserved slot was used or released.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receiving on an empty channel",
            TryRecvError::Disconnected => "receiving on a closed channel",
        })
    }
}

impl Error for TryRecvError {}

/// Error returned by [`Sender::send_timeout`](super::Sender::send_timeout): the message comes
/// back with the reason.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The channel stayed full until the timeout elapsed.
    Timeout(T),
    /// The receiver closed the channel or was dropped.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// Consumes the error, returning the message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(value) | SendTimeoutError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(..) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(..) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(..) => "timed out waiting on send operation",
            SendTimeoutError::Closed(..) => "channel closed",
        })
    }
}

impl<T> Error for SendTimeoutError<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tokios() {
        assert_eq!(SendError(1).to_string(), "channel closed");
        assert_eq!(TrySendError::Full(1).to_string(), "no available capacity");
        assert_eq!(TrySendError::Closed(1).to_string(), "channel closed");
        assert_eq!(
            TryRecvError::Empty.to_string(),
            "receiving on an empty channel"
        );
        assert_eq!(
            TryRecvError::Disconnected.to_string(),
            "receiving on a closed channel"
        );
        assert_eq!(
            SendTimeoutError::Timeout(1).to_string(),
            "timed out waiting on send operation"
        );
        assert_eq!(format!("{:?}", TrySendError::Full(1)), "Full(..)");
        assert_eq!(format!("{:?}", SendError(1)), "SendError { .. }");
    }
}
