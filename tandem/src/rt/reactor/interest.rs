//! `Interest`: which readiness a caller waits for.

use std::fmt;
use std::ops;

/// The readiness events a caller is interested in.
///
/// ```
/// use tandem::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!both.remove(Interest::WRITABLE).unwrap().is_writable());
/// ```
#[derive(Clone, Copy, Eq, PartialEq)]
pub struct Interest(u8);

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
const PRIORITY: u8 = 0b0100;
const ERROR: u8 = 0b1000;

impl Interest {
    /// Readable: data to read, a connection to accept, or the read side closed.
    pub const READABLE: Interest = Interest(READABLE);
    /// Writable: room to write, or the write side closed.
    pub const WRITABLE: Interest = Interest(WRITABLE);
    /// Priority (out-of-band) data, `EPOLLPRI`.
    pub const PRIORITY: Interest = Interest(PRIORITY);
    /// An error condition on the resource (`EPOLLERR`), always reported by epoll.
    pub const ERROR: Interest = Interest(ERROR);

    /// True if readable interest is included.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// True if writable interest is included.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// True if priority interest is included.
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// True if error interest is included.
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Both sets of interests.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` if nothing would be left.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }

    /// The readiness that satisfies this interest (closed states included, so a waiter learns
    /// about a closed peer).
    pub(crate) fn mask(self) -> super::Ready {
        use super::Ready;
        let mut ready = Ready::EMPTY;
        if self.is_readable() {
            ready = ready | Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.is_writable() {
            ready = ready | Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        if self.is_priority() {
            ready = ready | Ready::PRIORITY | Ready::READ_CLOSED;
        }
        if self.is_error() {
            ready |= Ready::ERROR;
        }
        ready
    }

    pub(crate) fn to_mio(self) -> mio::Interest {
        let mut mio: Option<mio::Interest> = None;
        let mut add = |i: mio::Interest| mio = Some(mio.map_or(i, |m| m.add(i)));
        if self.is_readable() {
            add(mio::Interest::READABLE);
        }
        if self.is_writable() {
            add(mio::Interest::WRITABLE);
        }
        if self.is_priority() {
            add(mio::Interest::PRIORITY);
        }
        // epoll always reports errors; mio needs at least one real interest.
        mio.unwrap_or(mio::Interest::READABLE)
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_priority(), "PRIORITY"),
            (self.is_error(), "ERROR"),
        ];
        let mut first = true;
        for (set, name) in names {
            if set {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}
