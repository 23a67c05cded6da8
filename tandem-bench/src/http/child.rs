//! Starting a server as a child process (`tandem-bench serve`), waiting for it to accept, and
//! stopping it.

use std::io::{self, BufRead as _, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cpu::CpuTime;
use super::server::READY_PREFIX;
use super::Arch;

/// How long a server may take to print its address and accept a first connection.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server process; dropping it kills the process and waits for it.
pub struct Server {
    child: Child,
    /// Held open for the server's lifetime: the server exits when it closes (see
    /// `server`'s module docs), which covers the suite itself being killed.
    _stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the `arch` server with `workers` workers on a free loopback port, and returns
    /// once it accepts connections.
    pub fn start(arch: Arch, workers: usize) -> io::Result<Server> {
        let mut child = Command::new(own_executable()?)
            .args(["serve", "--arch", arch.name(), "--addr", "127.0.0.1:0"])
            .args(["--workers", &workers.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start a server process: {e}")))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        // From here on, an early return drops `server`, which kills the child.
        let mut server = Server {
            child,
            _stdin: stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        server.addr = read_address(stdout, arch)?;
        wait_until_accepting(server.addr, &mut server.child, arch)?;
        Ok(server)
    }

    /// The CPU time the server process has used so far.
    pub fn cpu_time(&self) -> io::Result<CpuTime> {
        CpuTime::of_process(self.child.id())
    }

    /// Fails if the server has exited (it never does on its own: it crashed).
    pub fn check_running(&mut self, arch: Arch) -> io::Result<()> {
        match self.child.try_wait()? {
            Some(status) => Err(io::Error::other(format!(
                "the {} server exited during the run ({status})",
                arch.name()
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The running executable: `/proc/self/exe`, which stays valid when `cargo build` replaces
/// the file on disk during a run (the path `current_exe` returns then no longer exists), and
/// guarantees the servers are the very build of the suite.
fn own_executable() -> io::Result<PathBuf> {
    let proc_exe = PathBuf::from("/proc/self/exe");
    match proc_exe.exists() {
        true => Ok(proc_exe),
        false => std::env::current_exe(),
    }
}

/// Reads the `listening on ADDR` line, with a timeout (a thread reads, as pipes have none).
fn read_address(stdout: std::process::ChildStdout, arch: Arch) -> io::Result<SocketAddr> {
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .name("serve-stdout".into())
        .spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = send.send(read);
        })?;
    let line = match receive.recv_timeout(START_TIMEOUT) {
        Ok(read) => read?,
        Err(_) => return Err(startup_error(arch, "did not say where it listens in time")),
    };
    line.trim()
        .strip_prefix(READY_PREFIX)
        .and_then(|addr| addr.parse().ok())
        .ok_or_else(|| match line.is_empty() {
            true => startup_error(arch, "exited before listening"),
            false => startup_error(arch, &format!("printed {line:?}")),
        })
}

/// Connects until the server accepts (then closes that connection at once).
fn wait_until_accepting(addr: SocketAddr, child: &mut Child, arch: Arch) -> io::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(startup_error(arch, &format!("exited ({status})")));
        }
        if Instant::now() >= deadline {
            return Err(startup_error(arch, "does not accept connections"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn startup_error(arch: Arch, what: &str) -> io::Error {
    io::Error::other(format!("the {} server {what}", arch.name()))
}
