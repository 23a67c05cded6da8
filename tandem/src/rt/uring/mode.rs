//! `UringMode`: whether a runtime sends file-system calls through io_uring.

use std::fmt;
use std::str::FromStr;

/// The environment variable that sets the default [`UringMode`]: `auto`, `off` or `required`.
///
/// It applies to every runtime whose builder was not given [`Builder::io_uring`]
/// (an explicit call wins), so an operator can turn io_uring off without a rebuild.
///
/// [`Builder::io_uring`]: crate::runtime::Builder::io_uring
pub const URING_ENV_VAR: &str = "TANDEM_IO_URING";

/// Whether a runtime sends file-system calls through io_uring.
///
/// Set with [`Builder::io_uring`](crate::runtime::Builder::io_uring) or the `TANDEM_IO_URING`
/// environment variable; the default is `Auto`. Results, errors and bytes are the same either
/// way: only the path to the kernel differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UringMode {
    /// Use io_uring for every operation whose opcode the kernel supports, and the blocking pool
    /// for the rest. If the kernel refuses io_uring altogether (ENOSYS, EPERM under seccomp or
    /// `kernel.io_uring_disabled`, ENOMEM under a memlock limit), everything goes to the blocking
    /// pool. The cause is logged once per process, on standard error.
    #[default]
    Auto,
    /// Never use io_uring: file-system calls run on the blocking pool, as in Tokio.
    Off,
    /// Use io_uring or fail: `Builder::build` returns the kernel's error if a ring cannot be
    /// set up. Opcodes the kernel lacks still fall back to the blocking pool.
    Required,
}

impl UringMode {
    /// The mode named by `TANDEM_IO_URING`, if it is set. An unknown value is an error.
    pub fn from_env() -> Result<Option<UringMode>, ParseUringModeError> {
        match std::env::var(URING_ENV_VAR) {
            Ok(value) => value.parse().map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(value)) => Err(ParseUringModeError {
                value: value.to_string_lossy().into_owned(),
            }),
        }
    }
}

impl FromStr for UringMode {
    type Err = ParseUringModeError;

    fn from_str(s: &str) -> Result<UringMode, ParseUringModeError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(UringMode::Auto),
            "off" | "0" | "false" | "no" => Ok(UringMode::Off),
            "required" | "on" | "1" | "true" | "yes" => Ok(UringMode::Required),
            _ => Err(ParseUringModeError { value: s.into() }),
        }
    }
}

/// A `TANDEM_IO_URING` value that names no mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseUringModeError {
    value: String,
}

impl fmt::Display for ParseUringModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {URING_ENV_VAR} value {:?}: expected auto, off or required",
            self.value
        )
    }
}

impl std::error::Error for ParseUringModeError {}

#[cfg(test)]
mod tests {
    use super::UringMode;

    #[test]
    fn parses_every_spelling() {
        assert_eq!("auto".parse(), Ok(UringMode::Auto));
        assert_eq!("OFF".parse(), Ok(UringMode::Off));
        assert_eq!(" required ".parse(), Ok(UringMode::Required));
        assert!("sometimes".parse::<UringMode>().is_err());
    }
}
