//! `AsyncFd`: readiness for any object that has a file descriptor.
//!
//! # Why a duplicate descriptor
//! The reactor's tokens are addresses of readiness records, released only after their fd left
//! epoll (see `reactor/mod.rs`). epoll keys an entry by the pair (open file, fd number), and
//! removes it by that fd number. If `AsyncFd` registered the caller's own fd, safe code could
//! close that fd (or make `as_raw_fd` return another one) while a duplicate keeps the open file
//! alive: the removal would then miss, and a later event would carry the token of a freed
//! record. So `AsyncFd` registers a duplicate it owns (`F_DUPFD_CLOEXEC`), removes that from
//! epoll on drop or `into_inner`, and only then closes it. Readiness belongs to the open file,
//! so events are the same as for the caller's fd. The cost is one descriptor per `AsyncFd`.

use super::ready_guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use crate::rt::reactor::Interest;
use crate::rt::reactor::{Direction, ReadyEvent, Registration};
use mio::unix::SourceFd;
use std::error::Error;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

/// Associates an object that has a file descriptor with the reactor, so tasks can wait for it
/// to become readable or writable, as Tokio's `AsyncFd`.
///
/// The descriptor should be in non-blocking mode: `AsyncFd` only reports readiness, the I/O is
/// yours, and a readiness is only cleared when you say so (through a guard's
/// [`clear_ready`](AsyncFdReadyGuard::clear_ready), or by returning `WouldBlock` from
/// [`try_io`](AsyncFdReadyGuard::try_io)).
///
/// `AsyncFd` registers a duplicate of the descriptor that it owns (see the module source for
/// why), so it uses one extra descriptor. Dropping it leaves the reactor and then drops the
/// inner object. Two consequences differ from Tokio's `AsyncFd`, which registers the caller's
/// descriptor itself:
/// - [`as_fd`](AsFd::as_fd) borrows the duplicate (another number than
///   [`as_raw_fd`](AsRawFd::as_raw_fd), close-on-exec), not the inner object's descriptor;
/// - closing the duplicate (when the `AsyncFd` drops) releases the process's POSIX record
///   locks (`fcntl(F_SETLK)`) on that file, as closing any descriptor of it does on Linux.
///   Locks that belong to the open file (`F_OFD_SETLK`, `flock`) are kept.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use tandem::io::unix::AsyncFd;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let fd = AsyncFd::new(a)?;
/// b.write_all(b"hello")?;
/// let mut buf = [0; 5];
/// let n = loop {
///     let mut guard = fd.readable().await?;
///     match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
///         Ok(result) => break result?,
///         Err(_would_block) => continue,
///     }
/// };
/// assert_eq!(&buf[..n], b"hello");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    /// The duplicate registered with epoll; closed after it is deregistered.
    registered: OwnedFd,
    /// `None` only after `into_inner`.
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner` for reading and writing with the current runtime's reactor.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for `interest` with the current runtime's reactor.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::try_with_interest(inner, interest).map_err(|e| e.cause)
    }

    /// Registers `inner` for reading and writing with the current runtime's reactor, giving it
    /// back on failure (Tokio 1.54's name for [`try_new`](AsyncFd::try_new)).
    ///
    /// # Safety
    ///
    /// Tokio requires `inner.as_raw_fd()` to stay open and name the same file description for
    /// the `AsyncFd`'s whole life. Tandem registers a duplicate of the fd that it owns, so
    /// nothing breaks if the caller's fd is closed early (readiness is then still reported for
    /// the file description); the contract is kept so that code written for Tokio is unchanged.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub unsafe fn register(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// As [`register`](AsyncFd::register), for `interest` only.
    ///
    /// # Safety
    ///
    /// As [`register`](AsyncFd::register): kept from Tokio; Tandem relies on none of it.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub unsafe fn register_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, interest)
    }

    /// As [`new`](AsyncFd::new), but gives `inner` back on failure.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// As [`with_interest`](AsyncFd::with_interest), but gives `inner` back on failure.
    ///
    /// # Panics
    /// Outside a runtime, or if the runtime's I/O driver is not enabled.
    #[track_caller]
    pub fn try_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        let registered = match duplicate(inner.as_raw_fd()) {
            Ok(fd) => fd,
            Err(cause) => return Err(AsyncFdRegisterError { inner, cause }),
        };
        let raw = registered.as_raw_fd();
        match Registration::new(&mut SourceFd(&raw), interest) {
            Ok(registration) => Ok(AsyncFd {
                registration,
                registered,
                inner: Some(inner),
            }),
            Err(cause) => Err(AsyncFdRegisterError { inner, cause }),
        }
    }

    /// The inner object.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("inner present until into_inner")
    }

    /// The inner object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("inner present until into_inner")
    }

    /// Leaves the reactor and returns the inner object.
    pub fn into_inner(mut self) -> T {
        self.deregister();
        self.inner.take().expect("inner present until into_inner")
    }

    fn deregister(&mut self) {
        let raw = self.registered.as_raw_fd();
        // Our own duplicate is still open, so removing it from epoll cannot miss.
        let _ = self.registration.deregister(&mut SourceFd(&raw));
    }

    /// Polls for read readiness; on success the guard tells what was found.
    ///
    /// Only the last task to call this is woken.
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// As [`poll_read_ready`](AsyncFd::poll_read_ready), with a guard that gives `&mut` access.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Read))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Polls for write readiness; on success the guard tells what was found.
    ///
    /// Only the last task to call this is woken.
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// As [`poll_write_ready`](AsyncFd::poll_write_ready), with a guard that gives `&mut`
    /// access.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, Direction::Write))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Waits until the descriptor is ready for any of `interest`.
    ///
    /// Any number of tasks may wait at once. The error case is the runtime shutting down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event))
    }

    /// As [`ready`](AsyncFd::ready), with a guard that gives `&mut` access.
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the descriptor is readable.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// Waits until the descriptor is readable, with a guard that gives `&mut` access.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor is writable.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// Waits until the descriptor is writable, with a guard that gives `&mut` access.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Waits for `interest` and runs `f`, again after each `WouldBlock`, until it completes.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.registration
            .async_io(interest, || f(self.get_ref()))
            .await
    }

    /// As [`async_io`](AsyncFd::async_io), with `&mut` access to the inner object.
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.inner.as_mut().expect("inner present until into_inner");
        self.registration.async_io(interest, || f(inner)).await
    }

    /// Runs `f` if the descriptor looks ready for `interest`, else returns `WouldBlock`; a
    /// `WouldBlock` from `f` clears the readiness.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.registration.try_io(interest, || f(self.get_ref()))
    }

    /// As [`try_io`](AsyncFd::try_io), with `&mut` access to the inner object.
    pub fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        f: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.inner.as_mut().expect("inner present until into_inner");
        self.registration.try_io(interest, || f(inner))
    }

    pub(super) fn clear_readiness(&self, event: ReadyEvent) {
        self.registration.clear_readiness(event);
    }
}

/// `fcntl(fd, F_DUPFD_CLOEXEC)`: a new descriptor for the same open file, owned by the caller.
fn duplicate(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC touches no memory of ours; on any integer it either fails
    // (EBADF) or creates a new descriptor, so no other owner's descriptor is affected.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` was just created by fcntl and nothing else has it: we are its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.deregister();
        }
        // Then the fields drop: the duplicate closes, then the inner object.
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    /// The inner object's descriptor.
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> AsFd for AsyncFd<T> {
    /// The registered duplicate: another descriptor for the inner object's open file.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.registered.as_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

/// The error of [`AsyncFd::register`] and [`AsyncFd::try_new`] and their `_with_interest`
/// forms: the object that could not be registered, and why.
pub struct AsyncFdRegisterError<T> {
    inner: T,
    cause: io::Error,
}

/// The error's name before Tokio 1.54 (`try_new`'s), kept as Tokio keeps it.
pub type AsyncFdTryNewError<T> = AsyncFdRegisterError<T>;

impl<T> AsyncFdRegisterError<T> {
    /// The object passed in, and the error that kept it from being registered.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cause, f)
    }
}

impl<T> Error for AsyncFdRegisterError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdRegisterError<T>> for io::Error {
    fn from(e: AsyncFdRegisterError<T>) -> io::Error {
        e.cause
    }
}
