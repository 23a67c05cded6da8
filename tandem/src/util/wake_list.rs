//! `WakeList`: the tasks waiting on one thing, each once, all woken together; and `WakeAll`,
//! such a list behind a lock that is a waker itself.
//!
//! For waits that Tokio lets any number of tasks share (`readable()`, `writable()`, `ready()`
//! on one stream, `accept` on one listener) where the thing waited on can hold one waker only
//! (an io_uring request's cell: it holds `WakeAll::waker`) or wakes everyone at once anyway (a
//! send's completion). The first waker needs no allocation: a stream with one reader, the
//! usual case, never allocates here.

use crate::loom::sync::Mutex;
use std::sync::Arc;
use std::task::{Wake, Waker};

/// Wakers of distinct tasks (by `Waker::will_wake`).
#[derive(Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    /// Adds `waker` unless a waker that wakes the same task is already here.
    pub(crate) fn register(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(first) if first.will_wake(waker) => {}
            Some(_) => {
                if !self.rest.iter().any(|w| w.will_wake(waker)) {
                    self.rest.push(waker.clone());
                }
            }
        }
    }

    /// Takes every waker out, to wake once the caller's lock is released.
    pub(crate) fn take(&mut self) -> WakeList {
        std::mem::take(self)
    }

    /// Wakes every waker here.
    pub(crate) fn wake_all(self) {
        if let Some(first) = self.first {
            first.wake();
        }
        self.rest.into_iter().for_each(Waker::wake);
    }
}

/// The tasks waiting on something that keeps one waker: each registers here, and the thing
/// keeps `waker()`, which wakes every task registered since the last wake-up, once.
pub(crate) struct WakeAll {
    list: Arc<Shared>,
    /// `list` as a waker.
    waker: Waker,
}

struct Shared(Mutex<WakeList>);

impl WakeAll {
    pub(crate) fn new() -> WakeAll {
        let list = Arc::new(Shared(Mutex::new(WakeList::default())));
        WakeAll {
            waker: Waker::from(list.clone()),
            list,
        }
    }

    /// Adds `waker`'s task, unless it is already waiting.
    pub(crate) fn register(&self, waker: &Waker) {
        self.list.0.lock().register(waker);
    }

    /// The waker that wakes every task registered.
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Taken under the lock, woken after it: a waker may run any code.
        let waiting = self.0.lock().take();
        waiting.wake_all();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{WakeAll, WakeList};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn each_task_is_woken_once_however_often_it_registered() {
        let (a, b) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        let mut list = WakeList::default();
        for _ in 0..3 {
            list.register(&wa);
            list.register(&wb);
        }
        list.take().wake_all();
        assert_eq!((a.0.load(SeqCst), b.0.load(SeqCst)), (1, 1));
        // Taken: nothing is left to wake.
        list.take().wake_all();
        assert_eq!((a.0.load(SeqCst), b.0.load(SeqCst)), (1, 1));
    }

    /// Every registered waiter is woken, once per registration (a waker registered twice is
    /// kept once), and the list empties: a waiter must register again to be woken again.
    #[test]
    fn every_waiter_is_woken_once_per_registration() {
        let waiters = WakeAll::new();
        let (a, b) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        waiters.register(&wa);
        waiters.register(&wa);
        waiters.register(&wb);
        let wake_all = waiters.waker().clone();
        wake_all.wake_by_ref();
        assert_eq!(a.0.load(SeqCst), 1);
        assert_eq!(b.0.load(SeqCst), 1);
        wake_all.wake_by_ref();
        assert_eq!(a.0.load(SeqCst), 1, "woken without registering again");
        waiters.register(&wb);
        wake_all.wake();
        assert_eq!(b.0.load(SeqCst), 2);
    }
}
