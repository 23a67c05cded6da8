//! Turns a hang into a failure: a test whose bug shows as a runtime that never wakes runs its
//! body on its own thread and fails after a generous bound instead of blocking CI.
//!
//! Included by path (`#[path = "support/hang_guard.rs"] mod hang_guard;`) by the tests that
//! need it.

use std::time::Duration;

/// Runs `body` on a fresh thread; panics (with `what`) if it has not finished within `limit`,
/// and passes its own panic on.
pub fn within(limit: Duration, what: &str, body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        let _ = done.send(res);
    });
    match finished.recv_timeout(limit) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("hung: {what} did not finish within {limit:?}"),
    }
}
