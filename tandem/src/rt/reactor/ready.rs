//! `Ready`: the readiness a resource was found in.

use std::fmt;
use std::ops;

/// The readiness state of an I/O resource.
///
/// ```
/// use tandem::io::Ready;
///
/// let ready = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(ready.is_readable() && ready.is_read_closed() && !ready.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ready(usize);

const READABLE: usize = 0b00_0001;
const WRITABLE: usize = 0b00_0010;
const READ_CLOSED: usize = 0b00_0100;
const WRITE_CLOSED: usize = 0b00_1000;
const PRIORITY: usize = 0b01_0000;
const ERROR: usize = 0b10_0000;

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(READABLE);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITABLE);
    /// The read side was closed (peer shutdown or hang-up).
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write side was closed.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// Priority data.
    pub const PRIORITY: Ready = Ready(PRIORITY);
    /// An error condition.
    pub const ERROR: Ready = Ready(ERROR);
    /// Every readiness.
    pub const ALL: Ready =
        Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// The closed states, which clearing never removes: a closed side stays closed.
    pub(crate) const ALL_CLOSED: Ready = Ready(READ_CLOSED | WRITE_CLOSED);

    /// True if no readiness is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// True if readable.
    pub fn is_readable(self) -> bool {
        self.0 & READABLE != 0 || self.is_read_closed()
    }
    /// True if writable.
    pub fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0 || self.is_write_closed()
    }
    /// True if the read side is closed.
    pub fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }
    /// True if the write side is closed.
    pub fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }
    /// True if priority data is available.
    pub fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }
    /// True if an error condition is set.
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    pub(crate) fn from_usize(val: usize) -> Ready {
        Ready(val & Ready::ALL.0)
    }

    pub(crate) fn as_usize(self) -> usize {
        self.0
    }

    pub(crate) fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    /// The readiness an `epoll_wait` event's flags report, read as mio reads them (a peer's
    /// FIN is read-closed only with EPOLLIN; a lone EPOLLERR is a pipe whose reader left).
    pub(crate) fn from_epoll(flags: u32) -> Ready {
        let has = |flag: libc::c_int| flags & flag as u32 != 0;
        let mut ready = Ready::EMPTY;
        if has(libc::EPOLLIN) || has(libc::EPOLLPRI) {
            ready |= Ready::READABLE;
        }
        if has(libc::EPOLLOUT) {
            ready |= Ready::WRITABLE;
        }
        if has(libc::EPOLLHUP) || (has(libc::EPOLLIN) && has(libc::EPOLLRDHUP)) {
            ready |= Ready::READ_CLOSED;
        }
        if has(libc::EPOLLHUP)
            || (has(libc::EPOLLOUT) && has(libc::EPOLLERR))
            || flags == libc::EPOLLERR as u32
        {
            ready |= Ready::WRITE_CLOSED;
        }
        if has(libc::EPOLLPRI) {
            ready |= Ready::PRIORITY;
        }
        if has(libc::EPOLLERR) {
            ready |= Ready::ERROR;
        }
        ready
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_priority", &self.is_priority())
            .field("is_error", &self.is_error())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Ready;

    fn flags(bits: &[libc::c_int]) -> u32 {
        bits.iter().fold(0, |acc, bit| acc | *bit as u32)
    }

    /// The epoll flags read as mio reads them (the reactor waits with its own `epoll_wait`).
    #[test]
    fn epoll_flags_map_as_mio_maps_them() {
        use libc::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};
        let cases = [
            (flags(&[EPOLLIN]), Ready::READABLE),
            (flags(&[EPOLLOUT]), Ready::WRITABLE),
            // A peer's FIN: read-closed only together with EPOLLIN.
            (
                flags(&[EPOLLIN, EPOLLRDHUP]),
                Ready::READABLE | Ready::READ_CLOSED,
            ),
            (flags(&[EPOLLRDHUP]), Ready::EMPTY),
            (flags(&[EPOLLHUP]), Ready::READ_CLOSED | Ready::WRITE_CLOSED),
            // A lone EPOLLERR (a pipe whose reader left) closes the write side.
            (flags(&[EPOLLERR]), Ready::WRITE_CLOSED | Ready::ERROR),
            (
                flags(&[EPOLLOUT, EPOLLERR]),
                Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR,
            ),
            (flags(&[EPOLLPRI]), Ready::READABLE | Ready::PRIORITY),
        ];
        for (bits, want) in cases {
            assert_eq!(Ready::from_epoll(bits), want, "flags {bits:#x}");
        }
    }
}
