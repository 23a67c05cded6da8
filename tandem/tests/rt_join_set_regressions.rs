//! `JoinSet` regressions found by Tokio's `task_join_set.rs`.
//!
//! Proves:
//!   * `try_join_next` returns every finished member even when the calling task's cooperative
//!     budget is spent (it is not a poll and cannot yield): before, it returned `None` after
//!     127 members of 1000;
//!   * the waker `poll_join_next` replaces is dropped outside the set's lock: a waker whose
//!     destructor drives the runtime (which completes a member, whose wake-up takes that lock)
//!     used to deadlock.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;
use tandem::runtime::{Builder, Runtime};
use tandem::task::JoinSet;

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn try_join_next_ignores_the_budget() {
    runtime().block_on(async {
        const TASKS: usize = 1000;
        let (send, recv) = tandem::sync::watch::channel(());
        let mut set = JoinSet::new();
        for _ in 0..TASKS {
            let mut recv = recv.clone();
            set.spawn(async move { recv.changed().await.unwrap() });
        }
        drop(recv);
        assert!(set.try_join_next().is_none());
        send.send_replace(());
        send.closed().await;
        let mut count = 0;
        while let Some(res) = set.try_join_next() {
            res.unwrap();
            count += 1;
        }
        assert_eq!(count, TASKS);
    });
}

#[test]
fn replaced_waker_is_dropped_outside_the_lock() {
    struct DriveOnDrop(Runtime);
    impl Wake for DriveOnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for DriveOnDrop {
        fn drop(&mut self) {
            self.0.block_on(tandem::task::yield_now());
        }
    }
    hang_guard::within(
        Duration::from_secs(20),
        "replacing the parent waker",
        || {
            let rt = runtime();
            let mut set = JoinSet::new();
            set.spawn_on(async { 42 }, rt.handle());
            let waker = Waker::from(Arc::new(DriveOnDrop(rt)));
            assert!(set
                .poll_join_next(&mut Context::from_waker(&waker))
                .is_pending());
            drop(waker);
            assert!(set
                .poll_join_next(&mut Context::from_waker(Waker::noop()))
                .is_pending());
            assert_eq!(set.try_join_next().unwrap().unwrap(), 42);
        },
    );
}
