//! Time error types.

use std::fmt;

/// The error of a [`Timeout`](super::Timeout) whose deadline passed first.
///
/// ```
/// use tandem::time::error::Elapsed;
/// # fn check(e: Elapsed) {
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// An error of the timer itself, as `tokio::time::error::Error`: the timer was shut down, is at
/// capacity, or was asked for a duration it cannot hold. Tandem's timer returns none of these
/// today (a `Sleep` outside a runtime panics, as Tokio's does; its wheel grows; far deadlines are
/// clamped), but the type is part of Tokio's API: code that names or builds one compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(ErrorKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Shutdown,
    AtCapacity,
    Invalid,
}

impl Error {
    /// The timer was shut down.
    pub fn shutdown() -> Error {
        Error(ErrorKind::Shutdown)
    }

    /// True for [`Error::shutdown`].
    pub fn is_shutdown(&self) -> bool {
        self.0 == ErrorKind::Shutdown
    }

    /// The timer holds as many entries as it can.
    pub fn at_capacity() -> Error {
        Error(ErrorKind::AtCapacity)
    }

    /// True for [`Error::at_capacity`].
    pub fn is_at_capacity(&self) -> bool {
        self.0 == ErrorKind::AtCapacity
    }

    /// The duration is longer than the timer can hold.
    pub fn invalid() -> Error {
        Error(ErrorKind::Invalid)
    }

    /// True for [`Error::invalid`].
    pub fn is_invalid(&self) -> bool {
        self.0 == ErrorKind::Invalid
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokio's words.
        f.write_str(match self.0 {
            ErrorKind::Shutdown => {
                "the timer is shutdown, must be called from the context of Tokio runtime"
            }
            ErrorKind::AtCapacity => "timer is at capacity and cannot create a new entry",
            ErrorKind::Invalid => "timer duration exceeds maximum duration",
        })
    }
}

impl std::error::Error for Error {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Error;

    #[test]
    fn each_kind_answers_for_itself_and_says_tokios_words() {
        let kinds = [Error::shutdown(), Error::at_capacity(), Error::invalid()];
        let flags: Vec<_> = kinds
            .iter()
            .map(|e| (e.is_shutdown(), e.is_at_capacity(), e.is_invalid()))
            .collect();
        assert_eq!(
            flags,
            [
                (true, false, false),
                (false, true, false),
                (false, false, true)
            ]
        );
        assert_eq!(
            Error::invalid().to_string(),
            "timer duration exceeds maximum duration"
        );
    }
}
