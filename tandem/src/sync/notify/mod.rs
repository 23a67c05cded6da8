//! `Notify`: wakes one waiting task, or all of them, with Tokio's semantics.
//!
//! Files:
//!
//! | file | responsibility |
//! |---|---|
//! | `state.rs` | the state word (no permit, a permit, or waiters queued; and the `notify_waiters` count): its every transition |
//! | `waiters.rs` | the queue of waiters, each keeping its slot until its future collects how it was notified |
//! | `mod.rs` | `Notify`, `Notified`, `OwnedNotified` |
//! | `tests.rs` | the loom models |
//!
//! # The protocol
//!
//! The state word (`state.rs`) says whether a permit is stored or waiters are queued, and
//! counts `notify_waiters` calls; the queue (`waiters.rs`) sits behind a mutex.
//!
//! - A notification without waiters stores the permit without the lock; a future finding the
//!   permit on its first poll consumes it without the lock. Everything else takes the lock.
//! - A `Notified` records the `notify_waiters` count when created; if the count has changed
//!   when it is first polled or enabled, it is complete (woken by that call), and leaves any
//!   permit to others. Once queued, it is notified through the queue: `notify_waiters` counts
//!   the call and notifies the whole queue in one lock hold.
//! - A waiter notified by `notify_one`/`notify_last` whose future is dropped before it collects
//!   the notification passes it on (to the next waiter by the same strategy, else as a permit).
//! - Wakers are woken, and the wakers a waiter replaces are dropped, after the lock is released.

mod state;
mod waiters;

#[cfg(all(test, loom))]
mod tests;

use self::state::{Arrival, NotifyOne, StateCell};
use self::waiters::{Notification, Polled, Strategy, WaiterKey, Waiters};
use crate::loom::sync::Mutex;
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Notifies a single task to wake up, or all waiting tasks.
///
/// `Notify` carries no data: it signals another task to perform an operation. It can be thought
/// of as a semaphore starting with 0 permits that never holds more than one:
/// [`notified().await`](Notify::notified) waits for the permit and consumes it, and
/// [`notify_one()`](Notify::notify_one) wakes a waiting task or, if none waits, stores the
/// permit (if none is stored yet), so that the next `notified().await` completes at once.
///
/// [`notify_waiters()`](Notify::notify_waiters) wakes every task waiting at that moment, including
/// every [`Notified`] future created before the call even if it was never polled, and stores no
/// permit.
///
/// ```
/// use std::sync::Arc;
/// use tandem::sync::Notify;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let notify = Arc::new(Notify::new());
/// let notify2 = notify.clone();
///
/// let handle = tandem::spawn(async move {
///     notify2.notified().await;
///     "received"
/// });
///
/// notify.notify_one();
/// assert_eq!(handle.await.unwrap(), "received");
/// # });
/// ```
///
/// Several consumers must call [`Notified::enable`] before they check for work, so that a
/// `notify_one` that comes before their `await` finds them queued instead of storing a single
/// permit for all of them:
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::Mutex;
/// use tandem::sync::Notify;
///
/// struct Channel<T> {
///     messages: Mutex<VecDeque<T>>,
///     notify_on_sent: Notify,
/// }
///
/// impl<T> Channel<T> {
///     pub fn send(&self, msg: T) {
///         self.messages.lock().unwrap().push_back(msg);
///         self.notify_on_sent.notify_one();
///     }
///
///     pub async fn recv(&self) -> T {
///         let future = self.notify_on_sent.notified();
///         tandem::pin!(future);
///         loop {
///             // Make sure that no wake-up is lost if the queue is empty.
///             future.as_mut().enable();
///             if let Some(msg) = self.messages.lock().unwrap().pop_front() {
///                 return msg;
///             }
///             future.as_mut().await;
///             // Another consumer may have taken the message: wait again.
///             future.set(self.notify_on_sent.notified());
///         }
///     }
/// }
/// ```
pub struct Notify {
    state: StateCell,
    waiters: Mutex<Waiters>,
}

impl Notify {
    /// Creates a `Notify` without a permit.
    pub fn new() -> Notify {
        Notify {
            state: StateCell::new(),
            waiters: Mutex::new(Waiters::new()),
        }
    }

    /// Creates a `Notify` without a permit, in a `const` context.
    ///
    /// ```
    /// use tandem::sync::Notify;
    ///
    /// static NOTIFY: Notify = Notify::const_new();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: StateCell::new(),
            waiters: Mutex::new(Waiters::new()),
        }
    }

    /// Waits for a notification.
    ///
    /// Equivalent to `async fn notified(&self);`. If a permit is stored (a `notify_one` that found
    /// no waiter), the future completes at once and consumes it; otherwise it waits for the next
    /// `notify_one`, `notify_last` or `notify_waiters`.
    ///
    /// The future is not guaranteed to receive a `notify_one` before it is first polled or
    /// [enabled](Notified::enable). It does receive every `notify_waiters` call made after it was
    /// created, polled or not.
    ///
    /// # Cancel safety
    ///
    /// Notifications go to the waiters in the order they queued; dropping the future gives up
    /// its place in the queue (a `notify_one` it had received but not yet returned goes on to
    /// the next waiter).
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiter: Waiter::new(self),
            _pinned: PhantomPinned,
        }
    }

    /// As [`notified`](Notify::notified), but the future owns an `Arc` of the `Notify` instead
    /// of borrowing it, so it can be moved to another task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tandem::sync::Notify;
    ///
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let mut handles = Vec::new();
    /// for _ in 0..4 {
    ///     let notified = notify.clone().notified_owned();
    ///     handles.push(tandem::spawn(async move { notified.await }));
    /// }
    /// // Every future above was created before this call: all of them complete.
    /// notify.notify_waiters();
    /// for handle in handles {
    ///     handle.await.unwrap();
    /// }
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified {
            waiter: Waiter::new(&self),
            notify: self,
            _pinned: PhantomPinned,
        }
    }

    /// Notifies the first waiting task (the one that queued first).
    ///
    /// If no task waits, a permit is stored, and the next call to `notified().await` completes
    /// at once, consuming it. At most one permit is stored: many calls without a waiter in
    /// between leave a single permit.
    pub fn notify_one(&self) {
        self.notify_with(Strategy::Fifo);
    }

    /// Notifies the last waiting task (the one that queued most recently); otherwise as
    /// [`notify_one`](Notify::notify_one).
    pub fn notify_last(&self) {
        self.notify_with(Strategy::Lifo);
    }

    fn notify_with(&self, strategy: Strategy) {
        if self.state.notify() == NotifyOne::PermitStored {
            return;
        }
        let mut waiters = self.waiters.lock();
        let waker = notify_locked(&mut waiters, &self.state, strategy);
        drop(waiters);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Notifies every waiting task.
    ///
    /// Every [`Notified`] future created before this call completes, whether it was polled,
    /// enabled, or neither. No permit is stored for futures created later.
    pub fn notify_waiters(&self) {
        let mut waiters = self.waiters.lock();
        if !self.state.broadcast() {
            return;
        }
        let mut wakers = Vec::new();
        waiters.notify_all(&mut wakers);
        drop(waiters);
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Sends one notification by `strategy`, with the lock held: to a waiter, whose waker is
/// returned for waking after the lock is released, or as the permit.
fn notify_locked(waiters: &mut Waiters, state: &StateCell, strategy: Strategy) -> Option<Waker> {
    match state.notify() {
        NotifyOne::PermitStored => None,
        NotifyOne::NotifyWaiter => {
            let waker = waiters
                .notify_one(strategy)
                .expect("the state is WAITING only while a waiter is queued");
            if waiters.is_empty() {
                state.queue_emptied();
            }
            waker
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl UnwindSafe for Notify {}
impl RefUnwindSafe for Notify {}

/// Where a `Notified` (or `OwnedNotified`) future is.
#[derive(Debug)]
enum Stage {
    /// Neither polled nor enabled yet.
    Init,
    /// In the queue, or notified through it and not yet collected.
    Waiting(WaiterKey),
    /// Complete: every later poll is ready.
    Done,
}

/// The state both future types share.
#[derive(Debug)]
struct Waiter {
    stage: Stage,
    /// The `notify_waiters` count when the future was created.
    calls: usize,
}

impl Waiter {
    fn new(notify: &Notify) -> Waiter {
        Waiter {
            stage: Stage::Init,
            calls: notify.state.load().calls(),
        }
    }

    /// Polls (with a context) or enables (without one).
    fn poll(&mut self, notify: &Notify, cx: Option<&mut Context<'_>>) -> Poll<()> {
        match &self.stage {
            Stage::Init => {
                if self.arrive(notify.state.arrive_unlocked(self.calls)) {
                    return Poll::Ready(());
                }
                // Clone before locking: a waker's clone may run any code.
                let waker = cx.map(|cx| cx.waker().clone());
                let mut waiters = notify.waiters.lock();
                if self.arrive(notify.state.arrive_locked(self.calls)) {
                    drop(waiters);
                    return Poll::Ready(());
                }
                // The state is WAITING: queue before releasing the lock.
                self.stage = Stage::Waiting(waiters.push(waker));
                Poll::Pending
            }
            Stage::Waiting(key) => {
                let mut waiters = notify.waiters.lock();
                match waiters.poll(key, cx.map(|cx| cx.waker())) {
                    Polled::Notified => {
                        drop(waiters);
                        self.stage = Stage::Done;
                        Poll::Ready(())
                    }
                    Polled::Waiting(old) => {
                        drop(waiters);
                        drop(old);
                        Poll::Pending
                    }
                }
            }
            Stage::Done => Poll::Ready(()),
        }
    }

    /// Completes the future if `arrival` says so.
    fn arrive(&mut self, arrival: Arrival) -> bool {
        match arrival {
            Arrival::Broadcast | Arrival::ConsumedPermit => {
                self.stage = Stage::Done;
                true
            }
            Arrival::Wait => false,
        }
    }

    /// The future is dropped: leave the queue, passing on a `notify_one`/`notify_last` received
    /// but not returned.
    fn cancel(&mut self, notify: &Notify) {
        let Stage::Waiting(key) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        let mut waiters = notify.waiters.lock();
        let (notification, old_waker) = waiters.remove(key);
        if waiters.is_empty() {
            notify.state.queue_emptied();
        }
        let waker = match notification {
            Some(Notification::One(strategy)) => {
                notify_locked(&mut waiters, &notify.state, strategy)
            }
            Some(Notification::All) | None => None,
        };
        drop(waiters);
        drop(old_waker);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

pin_project! {
    /// Future returned from [`Notify::notified()`].
    ///
    /// This future is fused: once it has completed, every later poll is ready.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Notified<'a> {
        notify: &'a Notify,
        waiter: Waiter,
        // As Tokio's, whose waiter is an intrusive node.
        #[pin]
        _pinned: PhantomPinned,
    }

    impl<'a> PinnedDrop for Notified<'a> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            this.waiter.cancel(this.notify);
        }
    }
}

impl Notified<'_> {
    /// Queues this future for notifications from [`notify_one`](Notify::notify_one) without
    /// polling it (equivalent to a poll that registers no waker).
    ///
    /// Only needed to queue before the first poll: polling queues as well. Notifications from
    /// [`notify_waiters`](Notify::notify_waiters) reach the future whether or not it was
    /// enabled, as long as they come after it was created.
    ///
    /// Returns true if the future is ready:
    ///
    ///  1. `notify_waiters` was called between the creation of the future and this call;
    ///  2. this is the first call to `enable` or `poll`, and the `Notify` held a permit, which
    ///     this call consumed;
    ///  3. the future was enabled or polled before, and has since consumed a permit or been
    ///     notified by `notify_one`, `notify_last` or `notify_waiters`.
    ///
    /// Once it returns true, every later poll is ready.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.project();
        this.waiter.poll(this.notify, None).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.notify, Some(cx))
    }
}

pin_project! {
    /// Future returned from [`Notify::notified_owned()`].
    ///
    /// This future is fused: once it has completed, every later poll is ready.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedNotified {
        notify: Arc<Notify>,
        waiter: Waiter,
        #[pin]
        _pinned: PhantomPinned,
    }

    impl PinnedDrop for OwnedNotified {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            this.waiter.cancel(this.notify);
        }
    }
}

impl OwnedNotified {
    /// Queues this future for notifications from [`notify_one`](Notify::notify_one) without
    /// polling it; see [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.project();
        this.waiter.poll(this.notify, None).is_ready()
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        this.waiter.poll(this.notify, Some(cx))
    }
}
