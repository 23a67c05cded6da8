//! `WakeList`: the tasks waiting on one thing, each once, all woken together.
//!
//! For waits that Tokio lets any number of tasks share (`readable()`, `writable()`, `ready()`
//! on one stream) where the thing waited on can hold one waker only (an io_uring request's
//! cell) or wakes everyone at once anyway (a send's completion). The first waker needs no
//! allocation: a stream with one reader, the usual case, never allocates here.

use std::task::Waker;

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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::WakeList;
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
}
