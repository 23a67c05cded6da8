//! `Command`: `std::process::Command`'s builder with an asynchronous `spawn`, `status` and
//! `output`, and `kill_on_drop`.

use super::child::Child;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command as StdCommand, ExitStatus, Output, Stdio};

/// A process builder, as Tokio's `tokio::process::Command`: it wraps
/// [`std::process::Command`] (every builder method forwards to it) and spawns a [`Child`] whose
/// exit and stdio are asynchronous.
///
/// ```
/// use tandem::process::Command;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let output = Command::new("echo").arg("hello").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Command {
    std: StdCommand,
    kill_on_drop: bool,
}

impl Command {
    /// A command for the program at `program` (searched in `PATH` if it is not a path), with
    /// no arguments, the current environment and directory, and inherited stdio for
    /// [`spawn`](Command::spawn) and [`status`](Command::status) (pipes for
    /// [`output`](Command::output)).
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(StdCommand::new(program))
    }

    /// The standard library command inside.
    pub fn as_std(&self) -> &StdCommand {
        &self.std
    }

    /// The standard library command inside, to configure what this type does not forward.
    pub fn as_std_mut(&mut self) -> &mut StdCommand {
        &mut self.std
    }

    /// The standard library command inside. The `kill_on_drop` setting is lost.
    pub fn into_std(self) -> StdCommand {
        self.std
    }

    /// Adds one argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment: it inherits none of the parent's variables.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin (for example [`Stdio::piped`], which fills [`Child::stdin`]).
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout (for example [`Stdio::piped`], which fills [`Child::stdout`]).
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr (for example [`Stdio::piped`], which fills [`Child::stderr`]).
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] (before it was reaped) sends it `SIGKILL`. Off by
    /// default: a dropped child runs on, as with the standard library (though it is still
    /// reaped when it exits).
    ///
    /// The futures of [`status`](Command::status) and [`output`](Command::output) own their
    /// child, so dropping one of them kills its child when this is set.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The [`kill_on_drop`](Command::kill_on_drop) setting.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Sets the child's user id (`setuid` in the child).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Sets the child's group id (`setgid` in the child).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets the child's `argv[0]` to something other than the program's path.
    pub fn arg0<S>(&mut self, arg: S) -> &mut Command
    where
        S: AsRef<OsStr>,
    {
        self.std.arg0(arg);
        self
    }

    /// Schedules `f` to run in the child after `fork` and before `exec` (in registration order;
    /// an `Err` aborts the spawn, which returns that error).
    ///
    /// # Safety
    /// As [`std::os::unix::process::CommandExt::pre_exec`]: `f` runs in the forked child, where
    /// only async-signal-safe operations are sound (no allocation, no locks another thread may
    /// have held), and it must not misuse the descriptors and memory the child inherited.
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: our caller upholds `CommandExt::pre_exec`'s contract, which this function's
        // `# Safety` section states word for word.
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// Puts the child in process group `pgroup` (`setpgid`; 0 makes a new group whose id is the
    /// child's pid).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Spawns the command now and returns its [`Child`], whose exit the current runtime
    /// watches. Stdio is inherited unless set otherwise.
    ///
    /// Each spawn also reaps the children dropped earlier that have exited since.
    ///
    /// # Errors
    /// Those of [`std::process::Command::spawn`] (`NotFound` for a missing program,
    /// `PermissionDenied`, `WouldBlock` at the process limit, ...), and failures to register
    /// the child's pipes with the reactor (the child is then treated as dropped).
    ///
    /// # Panics
    /// Outside a runtime ("there is no reactor running, must be called from the context of a
    /// Tokio 1.x runtime"), or in one without I/O enabled. No process is started then.
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        // Panic before a process exists, not after.
        let _ = crate::runtime::Handle::current().inner.io_handle();
        crate::rt::orphans::reap();

        let mut std_child = self.std.spawn()?;
        let stdin = std_child.stdin.take();
        let stdout = std_child.stdout.take();
        let stderr = std_child.stderr.take();
        // From here on the process is owned by `child`: an early return drops it, which kills
        // it if `kill_on_drop` is set and reaps it either way.
        let (mut child, watched) = Child::new(std_child, self.kill_on_drop);
        watched?;
        child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
        child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
        child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
        Ok(child)
    }

    /// Spawns the command now and returns a future of its exit status. Stdio is inherited
    /// unless set otherwise; pipes set up here are closed at once, so that the child cannot
    /// block on them.
    ///
    /// The future owns the child: dropping it before completion drops the [`Child`] (see
    /// [`kill_on_drop`](Command::kill_on_drop)).
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let child = self.spawn();
        async move {
            let mut child = child?;
            drop(child.stdin.take());
            drop(child.stdout.take());
            drop(child.stderr.take());
            child.wait().await
        }
    }

    /// Spawns the command now with stdout and stderr piped (stdin stays as set, inherited by
    /// default) and returns a future of its status and everything it wrote, collected while
    /// waiting for it.
    ///
    /// The future owns the child: dropping it before completion drops the [`Child`] (see
    /// [`kill_on_drop`](Command::kill_on_drop)).
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async move { child?.wait_with_output().await }
    }
}

impl From<StdCommand> for Command {
    fn from(std: StdCommand) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}
