//! The pause a listener takes after `accept(2)` failed for lack of resources.
//!
//! # Why
//! A listener's readiness is edge-triggered. When `accept` fails with `EMFILE` (or `ENFILE`,
//! `ENOBUFS`, `ENOMEM`) the connection stays queued in the kernel, and no new edge will come for
//! it. So the readiness must stay set (only `WouldBlock` clears it), or that connection, and
//! every one queued behind it, would wait for an unrelated new connection. But with readiness
//! set, a user looping on `accept()` would get the same error back immediately, forever: 100% CPU
//! until a descriptor frees up.
//!
//! # Protocol
//! 1. `accept` fails for lack of resources: the listener returns the error and arms the
//!    backoff: no accept before `now + delay`; `delay` doubles for the next failure, from
//!    [`INITIAL_DELAY`] up to [`MAX_DELAY`].
//! 2. The next `accept`/`poll_accept` first waits until that instant, then retries. Readiness
//!    was never cleared, so the retry happens even if no new connection arrives.
//! 3. A successful accept (or `WouldBlock`) disarms it and resets the delay.
//!
//! # The wait
//! Until Tandem's timers can be used here, the wait is a `std::thread::sleep` on the blocking
//! pool (never on a worker): one pool thread per waiting accept, only while a listener is
//! starved of descriptors. Each waiting `accept()` future owns its own sleep, so several tasks
//! accepting on one listener all wake; `poll_accept` keeps one in the listener, as it keeps one
//! waker. Outside a runtime there is no pool to sleep on, and the accept is retried at once.

use crate::loom::sync::Mutex;
use crate::rt::task::JoinHandle;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The pause after the first resource failure in a row.
pub(crate) const INITIAL_DELAY: Duration = Duration::from_millis(5);
/// The longest pause, reached after six failures in a row.
pub(crate) const MAX_DELAY: Duration = Duration::from_millis(200);

pub(crate) struct AcceptBackoff {
    state: Mutex<State>,
}

struct State {
    /// No accept before this instant; `None` when disarmed.
    not_before: Option<Instant>,
    /// The pause the next failure arms.
    delay: Duration,
    /// `poll_accept`'s sleep, if it is waiting.
    poll_sleep: Option<BackoffSleep>,
}

impl AcceptBackoff {
    pub(crate) fn new() -> AcceptBackoff {
        AcceptBackoff {
            state: Mutex::new(State {
                not_before: None,
                delay: INITIAL_DELAY,
                poll_sleep: None,
            }),
        }
    }

    /// Records the outcome of an accept (step 1 or 3 of the protocol).
    pub(crate) fn record<T>(&self, res: &io::Result<T>) {
        let mut state = self.state.lock();
        match res {
            Err(e) if is_resource_exhaustion(e) => {
                state.not_before = Some(Instant::now() + state.delay);
                state.delay = (state.delay * 2).min(MAX_DELAY);
            }
            _ => {
                state.not_before = None;
                state.delay = INITIAL_DELAY;
            }
        }
    }

    /// Step 2 for `poll_accept`: ready once no backoff is pending.
    pub(crate) fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock();
        loop {
            let Some(deadline) = state.not_before.filter(|d| *d > Instant::now()) else {
                state.poll_sleep = None;
                return Poll::Ready(());
            };
            let sleep = match &mut state.poll_sleep {
                Some(sleep) if sleep.deadline == deadline => sleep,
                slot => slot.insert(BackoffSleep::until(deadline)),
            };
            match Pin::new(sleep).poll(cx) {
                Poll::Ready(()) => {
                    state.poll_sleep = None;
                    // Re-check: a failure recorded meanwhile may have moved the deadline.
                    if state.not_before == Some(deadline) {
                        return Poll::Ready(());
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Step 2 for `accept()`: waits with a sleep of its own.
    pub(crate) async fn wait(&self) {
        loop {
            let deadline = self.state.lock().not_before;
            match deadline {
                Some(deadline) if deadline > Instant::now() => {
                    BackoffSleep::until(deadline).await;
                }
                _ => return,
            }
            // Sleeping `until(deadline)` ends the wait unless a new failure moved it.
            if self.state.lock().not_before == deadline {
                return;
            }
        }
    }
}

/// True for the errors after which the listener backs off.
pub(crate) fn is_resource_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// A sleep on the blocking pool (see the module docs).
struct BackoffSleep {
    deadline: Instant,
    /// `None` outside a runtime: the sleep ends at once.
    handle: Option<JoinHandle<()>>,
}

impl BackoffSleep {
    fn until(deadline: Instant) -> BackoffSleep {
        let handle = crate::runtime::Handle::try_current().ok().map(|rt| {
            rt.spawn_blocking(move || {
                let left = deadline.saturating_duration_since(Instant::now());
                std::thread::sleep(left);
            })
        });
        BackoffSleep { deadline, handle }
    }
}

impl Future for BackoffSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.handle {
            // A cancelled sleep (the runtime is shutting down) ends the wait too; the accept
            // that follows reports the shutdown.
            Some(handle) => Pin::new(handle).poll(cx).map(drop),
            None => Poll::Ready(()),
        }
    }
}

impl Drop for BackoffSleep {
    fn drop(&mut self) {
        // A sleep nobody waits for any more has nothing to hold up.
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

impl std::fmt::Debug for AcceptBackoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("AcceptBackoff")
            .field("not_before", &state.not_before)
            .field("delay", &state.delay)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::poll_fn;

    fn wait_poll(backoff: &AcceptBackoff) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| backoff.poll_wait(cx))
    }

    fn emfile() -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::EMFILE))
    }

    #[test]
    fn delay_doubles_up_to_the_cap_and_resets_on_success() {
        let backoff = AcceptBackoff::new();
        let mut delays = Vec::new();
        for _ in 0..8 {
            delays.push(backoff.state.lock().delay);
            backoff.record(&emfile());
        }
        assert_eq!(delays[0], INITIAL_DELAY);
        assert_eq!(delays[1], INITIAL_DELAY * 2);
        assert_eq!(*delays.last().unwrap(), MAX_DELAY);
        assert!(backoff.state.lock().not_before.is_some());
        backoff.record(&Ok(()));
        assert!(backoff.state.lock().not_before.is_none());
        assert_eq!(backoff.state.lock().delay, INITIAL_DELAY);
    }

    #[test]
    fn other_errors_do_not_arm_it() {
        let backoff = AcceptBackoff::new();
        backoff.record::<()>(&Err(io::ErrorKind::ConnectionAborted.into()));
        assert!(backoff.state.lock().not_before.is_none());
    }

    #[test]
    fn both_waits_last_until_the_deadline() {
        let rt = crate::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let backoff = AcceptBackoff::new();
        rt.block_on(async {
            backoff.record(&emfile());
            let start = Instant::now();
            backoff.wait().await;
            assert!(start.elapsed() >= INITIAL_DELAY);
            backoff.record(&emfile());
            let start = Instant::now();
            wait_poll(&backoff).await;
            assert!(start.elapsed() >= INITIAL_DELAY * 2);
            // Disarmed: no wait.
            backoff.record(&Ok(()));
            wait_poll(&backoff).await;
            backoff.wait().await;
        });
    }
}
