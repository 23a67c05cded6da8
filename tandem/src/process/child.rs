//! `Child`: a spawned process, its captured stdio, and how it is waited for, killed and dropped.

use super::reaper::Reaper;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::io::{AsyncRead, AsyncReadExt};
use std::future::{poll_fn, Future};
use std::io;
use std::process::{ExitStatus, Output};
use std::task::Poll;

/// The child's state: running (or exited but not reaped), or reaped with its status.
#[derive(Debug)]
enum State {
    Running(Reaper),
    Done(ExitStatus),
}

/// A child process spawned by [`Command::spawn`](super::Command::spawn), as Tokio's
/// `tokio::process::Child`.
///
/// Its exit is watched by the runtime it was spawned in (a pidfd registered with the reactor, or
/// SIGCHLD where the kernel has no `pidfd_open`); [`wait`](Child::wait) is cancel safe and may be
/// awaited again, from another runtime too.
///
/// A dropped `Child` does not kill its process unless [`Command::kill_on_drop`] was set, but it
/// is never left a zombie: a runtime task reaps it when it exits (and, once no runtime watches
/// it, the next spawn does). To be sure a process is gone, await [`wait`](Child::wait).
///
/// [`Command::kill_on_drop`]: super::Command::kill_on_drop
#[derive(Debug)]
pub struct Child {
    state: State,
    kill_on_drop: bool,

    /// The handle for writing to the child's standard input (stdin), if it was captured
    /// ([`Stdio::piped`](std::process::Stdio::piped)). Take it with `child.stdin.take()` to
    /// keep using `child` while writing.
    pub stdin: Option<ChildStdin>,

    /// The handle for reading the child's standard output (stdout), if it was captured.
    pub stdout: Option<ChildStdout>,

    /// The handle for reading the child's standard error (stderr), if it was captured.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    /// Wraps a freshly spawned child; its stdio handles stay to be set by the caller.
    #[track_caller]
    pub(super) fn new(child: std::process::Child, kill_on_drop: bool) -> (Child, io::Result<()>) {
        // Outside a runtime: Tokio's panic, at the caller's line.
        drop(crate::runtime::Handle::current());
        let (reaper, res) = Reaper::new(child);
        (
            Child {
                state: State::Running(reaper),
                kill_on_drop,
                stdin: None,
                stdout: None,
                stderr: None,
            },
            res,
        )
    }

    /// The OS-assigned process id while the child has not been reaped; `None` once a wait
    /// returned its status (the number may then belong to another process).
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running(reaper) => Some(reaper.id()),
            State::Done(_) => None,
        }
    }

    /// Sends `SIGKILL` to the child without waiting for it to exit. `Ok` if it has already
    /// exited. The child stays a zombie until [`wait`](Child::wait) or
    /// [`try_wait`](Child::try_wait) reaps it.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Running(reaper) => reaper.kill(),
            State::Done(_) => Ok(()),
        }
    }

    /// Kills the child (`SIGKILL`) and waits for it to exit. (The standard library's
    /// `Child::kill` does not wait: that is [`start_kill`](Child::start_kill).)
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit and returns its status; after that, returns the same status
    /// again. Closes the child's stdin first (drops [`Child::stdin`]), so that a child reading
    /// its input to the end cannot deadlock with a parent waiting for it.
    ///
    /// # Cancel safety
    /// This method is cancel safe: a dropped `wait` loses nothing, and a later one resumes.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let State::Running(reaper) = &mut self.state {
            reaper.refresh();
        }
        poll_fn(|cx| match &mut self.state {
            State::Done(status) => Poll::Ready(Ok(*status)),
            State::Running(reaper) => {
                let status = std::task::ready!(reaper.poll_wait(cx))?;
                self.state = State::Done(status);
                Poll::Ready(Ok(status))
            }
        })
        .await
    }

    /// Reaps the child if it has exited (`Ok(Some(status))`, again on later calls), else
    /// `Ok(None)` at once. Unlike [`wait`](Child::wait), it leaves stdin open and does not
    /// arrange a wake-up.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &mut self.state {
            State::Done(status) => Ok(Some(*status)),
            State::Running(reaper) => {
                let res = reaper.try_wait();
                if let Ok(Some(status)) = res {
                    self.state = State::Done(status);
                }
                res
            }
        }
    }

    /// Waits for the child to exit while reading all of its captured stdout and stderr, and
    /// returns the three. Closes stdin first, as [`wait`](Child::wait). Streams that were not
    /// piped give empty vectors.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        let mut stdout_pipe = self.stdout.take();
        let mut stderr_pipe = self.stderr.take();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();

        let status = {
            let mut out = std::pin::pin!(read_to_end(&mut stdout_pipe, &mut stdout));
            let mut err = std::pin::pin!(read_to_end(&mut stderr_pipe, &mut stderr));
            let mut wait = std::pin::pin!(self.wait());
            let (mut out_done, mut err_done, mut status) = (false, false, None);
            poll_fn(|cx| {
                if !out_done {
                    if let Poll::Ready(res) = out.as_mut().poll(cx) {
                        res?;
                        out_done = true;
                    }
                }
                if !err_done {
                    if let Poll::Ready(res) = err.as_mut().poll(cx) {
                        res?;
                        err_done = true;
                    }
                }
                if status.is_none() {
                    if let Poll::Ready(res) = wait.as_mut().poll(cx) {
                        status = Some(res?);
                    }
                }
                match status {
                    Some(status) if out_done && err_done => Poll::Ready(Ok::<_, io::Error>(status)),
                    _ => Poll::Pending,
                }
            })
            .await?
        };
        // The pipes close after the wait, as Tokio (its issue 4309).
        drop(stdout_pipe);
        drop(stderr_pipe);
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

async fn read_to_end<R: AsyncRead + Unpin>(
    io: &mut Option<R>,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    if let Some(io) = io.as_mut() {
        io.read_to_end(out).await?;
    }
    Ok(())
}

impl Drop for Child {
    fn drop(&mut self) {
        let State::Running(reaper) = &mut self.state else {
            return;
        };
        if self.kill_on_drop {
            let _ = reaper.kill();
        }
        if let Ok(Some(_)) = reaper.try_wait() {
            return;
        }
        // Not exited yet: a task of the current runtime reaps it when it does. A runtime that
        // has shut down drops the task, whose `Reaper` then goes to the orphan queue. Dropped
        // outside any runtime, it goes there at once (as Tokio's): the runtime that spawned it
        // may never run again, and every runtime's driver retries the queue at each park.
        let State::Running(mut reaper) =
            std::mem::replace(&mut self.state, State::Done(ExitStatus::default()))
        else {
            unreachable!("checked above");
        };
        let Ok(handle) = crate::runtime::Handle::try_current() else {
            drop(reaper);
            return;
        };
        drop(handle.spawn(async move {
            reaper.refresh();
            let _ = poll_fn(|cx| reaper.poll_wait(cx)).await;
        }));
    }
}
