//! `Reaper`: one unreaped child and the watch that says when it has exited: a pidfd registered
//! with the reactor, or (where `pidfd_open` is unavailable) SIGCHLD through the signal driver.
//! Waiting is `waitpid(WNOHANG)` (`std::process::Child::try_wait`) each time the watch fires, so
//! no thread ever blocks in `waitpid`.

use super::pidfd::PidFd;
use crate::rt::orphans;
use crate::rt::reactor::{Interest, PollEvented};
use crate::signal::unix::{signal, Signal, SignalKind};
use std::fmt;
use std::io;
use std::process::{Child as StdChild, ExitStatus};
use std::task::{Context, Poll};

/// What tells a waiting task that its child may have exited.
enum Watch {
    /// Readable once the child has terminated.
    Pidfd(PollEvented<PidFd>),
    /// Fires on every SIGCHLD the process receives (any child's).
    Sigchld(Signal),
}

impl Watch {
    /// A watch for `pid` in the current runtime: a pidfd if the kernel gives one, else SIGCHLD.
    ///
    /// # Panics
    /// Outside a runtime, or in one without I/O (as Tokio's registrations).
    #[track_caller]
    fn new(pid: u32) -> io::Result<Watch> {
        match PidFd::open(pid) {
            Ok(fd) => Ok(Watch::Pidfd(PollEvented::new_with_interest(
                fd,
                Interest::READABLE,
            )?)),
            // ENOSYS (before Linux 5.3), EPERM (seccomp), or out of descriptors: the signal
            // driver's SIGCHLD stream works everywhere.
            Err(_) => Ok(Watch::Sigchld(signal(SignalKind::child())?)),
        }
    }

    /// Whether this watch is a SIGCHLD stream.
    fn is_sigchld(&self) -> bool {
        matches!(self, Watch::Sigchld(_))
    }
}

/// An unreaped child and its exit watch. Dropped unreaped, it hands the child to the orphan
/// queue, so that it is reaped later rather than left a zombie.
pub(super) struct Reaper {
    /// `Some` until dropped.
    inner: Option<StdChild>,
    /// `None` until the first watch is made, and after the runtime of the last one shut down.
    watch: Option<Watch>,
}

impl Reaper {
    /// Takes `child` and watches it in the current runtime.
    ///
    /// # Panics
    /// Outside a runtime, or in one without I/O.
    #[track_caller]
    pub(super) fn new(child: StdChild) -> (Reaper, io::Result<()>) {
        let watch = Watch::new(child.id());
        let (watch, res) = match watch {
            Ok(w) => (Some(w), Ok(())),
            Err(e) => (None, Err(e)),
        };
        (
            Reaper {
                inner: Some(child),
                watch,
            },
            res,
        )
    }

    fn inner(&mut self) -> &mut StdChild {
        self.inner.as_mut().expect("child present until drop")
    }

    pub(super) fn id(&self) -> u32 {
        self.inner.as_ref().expect("child present until drop").id()
    }

    /// `kill(SIGKILL)`; `Ok` if the child has already exited (and is not reaped yet).
    pub(super) fn kill(&mut self) -> io::Result<()> {
        self.inner().kill()
    }

    /// `waitpid(WNOHANG)`.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let res = self.inner().try_wait();
        if let Ok(Some(_)) = res {
            orphans::reap();
        }
        res
    }

    /// Called when a wait starts: a SIGCHLD watch is remade in the current runtime, since the
    /// signal stream of a runtime that has shut down would never fire again. (A pidfd watch
    /// notices that on its own: its registration reports the shutdown.)
    pub(super) fn refresh(&mut self) {
        if self.watch.as_ref().is_some_and(Watch::is_sigchld) && current_has_io() {
            self.watch = None;
        }
    }

    /// Waits for the child to exit and reaps it. Cancel safe: all state is in `self`.
    pub(super) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        // A watch is remade at most once per poll, so that a runtime that is itself shutting
        // down gives an error instead of a loop.
        let mut remade = false;
        loop {
            if self.watch.is_none() {
                if remade || !current_has_io() {
                    return Poll::Ready(Err(no_runtime()));
                }
                remade = true;
                self.watch = Some(Watch::new(self.id())?);
            }
            // The watch exists before this check, so an exit after it is not missed.
            if let Some(status) = self.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            let fired = match self.watch.as_mut().expect("made above") {
                Watch::Pidfd(fd) => fd.registration().poll_read_ready(cx).map_ok(Some),
                Watch::Sigchld(sig) => sig.poll_recv(cx).map(|_| Ok(None)),
            };
            match fired {
                Poll::Pending => return Poll::Pending,
                // The runtime that registered the pidfd has shut down: register anew.
                Poll::Ready(Err(_)) => self.watch = None,
                // A SIGCHLD: perhaps ours; the loop's `try_wait` tells.
                Poll::Ready(Ok(None)) => {}
                Poll::Ready(Ok(Some(_))) => {
                    if let Some(status) = self.try_wait()? {
                        return Poll::Ready(Ok(status));
                    }
                    // Readable but not waitable: the kernel says the process ended, `waitpid`
                    // does not see it yet. A pidfd gives no second edge, so clearing its
                    // readiness could wait forever; SIGCHLD comes with every change of a
                    // child's state, so it is the watch from here on.
                    // (Outside any runtime there is no signal driver: poll again instead.)
                    if !current_has_io() {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    self.watch = Some(Watch::Sigchld(signal(SignalKind::child())?));
                }
            }
        }
    }
}

/// Whether this thread is in a runtime whose I/O driver can watch a child.
fn current_has_io() -> bool {
    crate::runtime::Handle::try_current().is_ok_and(|h| h.inner.driver().io.is_some())
}

fn no_runtime() -> io::Error {
    io::Error::other(
        "cannot wait for a child process: there is no running runtime with I/O enabled to \
         watch its exit",
    )
}

impl Drop for Reaper {
    fn drop(&mut self) {
        // The watch goes first: a pidfd leaves the reactor and closes.
        self.watch = None;
        if let Some(mut child) = self.inner.take() {
            if let Ok(None) = child.try_wait() {
                orphans::push(child);
            }
        }
    }
}

impl fmt::Debug for Reaper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reaper")
            .field("pid", &self.inner.as_ref().map(StdChild::id))
            .field(
                "watch",
                &match &self.watch {
                    Some(Watch::Pidfd(_)) => "pidfd",
                    Some(Watch::Sigchld(_)) => "SIGCHLD",
                    None => "none",
                },
            )
            .finish()
    }
}
