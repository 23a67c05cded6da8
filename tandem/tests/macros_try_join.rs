//! `try_join!`: `Ok` with every value in order, or the first `Err` at once, the others dropped.
//!
//! Proves:
//!   * all `Ok`: the tuple of values in argument order, whatever order they complete in;
//!   * an `Err` is returned as soon as it is seen, while other futures are still pending, and
//!     those are dropped when `try_join!` returns;
//!   * the rotating start and `biased;` as for `join!` (same expansion), checked by poll order.

mod support;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::task::Poll;

use support::Flavor;
use tandem::sync::oneshot;

fn block_on<F: Future>(f: F) -> F::Output {
    Flavor::CURRENT_THREAD.build().block_on(f)
}

struct CountDrop<'a>(&'a Cell<u32>);
impl Drop for CountDrop<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn all_ok_in_argument_order() {
    block_on(async {
        let (tx, rx) = oneshot::channel();
        let out: Result<_, oneshot::error::RecvError> = tandem::try_join!(rx, async {
            tx.send(1).unwrap();
            Ok("two")
        });
        assert_eq!(out, Ok((1, "two")));
    });
}

#[test]
fn first_err_returns_at_once_and_drops_the_rest() {
    block_on(async {
        let drops = Cell::new(0);
        let out = tandem::try_join!(
            async {
                let _guard = CountDrop(&drops);
                pending::<Result<u32, &str>>().await
            },
            async { Ok(2) },
            async { Err::<u8, _>("boom") },
        );
        assert_eq!(out, Err("boom"));
        assert_eq!(
            drops.get(),
            1,
            "the pending future is dropped when try_join! returns"
        );
    });
}

#[test]
fn rotation_and_biased() {
    block_on(async {
        let log = RefCell::new(Vec::new());
        let step = |name: u32, polls: u32| {
            let log = &log;
            let mut seen = 0;
            poll_fn(move |cx| {
                log.borrow_mut().push(name);
                seen += 1;
                if seen == polls {
                    Poll::Ready(Ok::<_, ()>(name))
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
        };
        assert_eq!(tandem::try_join!(step(1, 3), step(2, 3)), Ok((1, 2)));
        assert_eq!(*log.borrow(), [1, 2, 2, 1, 1, 2]);
        log.borrow_mut().clear();
        assert_eq!(
            tandem::try_join!(biased; step(1, 3), step(2, 3)),
            Ok((1, 2))
        );
        assert_eq!(*log.borrow(), [1, 2, 1, 2, 1, 2]);
    });
}

#[test]
fn empty() {
    block_on(async {
        assert_eq!(tandem::try_join!() as Result<(), ()>, Ok(()));
        assert_eq!(tandem::try_join!(biased;) as Result<(), ()>, Ok(()));
    });
}
