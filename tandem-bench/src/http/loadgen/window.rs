//! The connect window: how many of a thread's connections may be opening at once, where
//! opening means a socket that is connecting or connected but has not had a response yet.
//!
//! Why: a server's accept queue holds at most its listen backlog (4,096 for the suite's
//! servers, and the kernel caps it at `net.core.somaxconn`). With 10,000 connections opened
//! at once, the queue overflows while the server is busy serving the first ones; the kernel
//! then drops the SYNs, the client sends them again 1 s and 3 s later, and a connect not
//! through within the timeout (2 s) is a connect error: the run measures the kernel's SYN
//! retries, not the server. A
//! connection holds a place in the window from its `connect()` until its first response (or
//! its close), and the others wait for a place in order, so that no more than the window are
//! ever queued at the server: give every thread its share of the backlog and the queue cannot
//! overflow. A window at least as large as the connections changes nothing (a `-c1000` run
//! opens every connection at once, as `wrk` does).
//!
//! How fast the waiting connections get in is then up to the server: how soon it accepts and
//! answers the ones before them. That is what the first-served spread measures.

use std::collections::VecDeque;

/// Places for opening connections, and the connections waiting for one (by token).
#[derive(Debug)]
pub struct Window {
    /// Places in all.
    limit: usize,
    /// Places taken.
    opening: usize,
    /// Connections waiting for a place, first come first served.
    waiting: VecDeque<usize>,
}

impl Window {
    /// A window of `limit` places (at least one).
    pub fn new(limit: usize) -> Window {
        Window {
            limit: limit.max(1),
            opening: 0,
            waiting: VecDeque::new(),
        }
    }

    /// Takes a place for connection `token`: `true` if it may connect now; `false` if it is
    /// queued, and [`Window::next_admitted`] will hand it a place later.
    #[must_use]
    pub fn open(&mut self, token: usize) -> bool {
        if self.opening < self.limit && self.waiting.is_empty() {
            self.opening += 1;
            return true;
        }
        self.waiting.push_back(token);
        false
    }

    /// Gives a place back: its connection got its first response, or closed without one.
    pub fn release(&mut self) {
        self.opening = self
            .opening
            .checked_sub(1)
            .expect("a place is released only by a connection holding one");
    }

    /// The connection that waited longest, if a place is free; the place is taken for it.
    pub fn next_admitted(&mut self) -> Option<usize> {
        if self.opening >= self.limit {
            return None;
        }
        let token = self.waiting.pop_front()?;
        self.opening += 1;
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_past_the_limit_wait_their_turn() {
        let mut window = Window::new(2);
        assert!(window.open(0));
        assert!(window.open(1));
        assert!(!window.open(2));
        assert!(!window.open(3));
        assert_eq!(window.next_admitted(), None, "no place is free");

        window.release();
        // A newcomer does not jump the queue, even with a place free.
        assert!(!window.open(4));
        assert_eq!(window.next_admitted(), Some(2));
        assert_eq!(window.next_admitted(), None);

        window.release();
        window.release();
        assert_eq!(window.next_admitted(), Some(3));
        assert_eq!(window.next_admitted(), Some(4));
        assert_eq!(window.next_admitted(), None, "nobody waits");
        assert_eq!(window.opening, 2);
    }

    #[test]
    fn a_window_as_large_as_the_connections_never_queues() {
        let mut window = Window::new(1000);
        assert!((0..1000).all(|token| window.open(token)));
        assert_eq!(window.next_admitted(), None);
        assert_eq!(Window::new(0).limit, 1);
    }
}
