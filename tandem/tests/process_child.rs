//! `tandem::process` on every runtime flavour: piped stdio, `output`, `status`, `kill`,
//! `kill_on_drop`, `try_wait`, the cancel safety of `wait`, the environment and working
//! directory, a missing program, a child waited for in another runtime, and `spawn` outside a
//! runtime.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::process::Command;

/// A bound for things that take milliseconds: a hang detector, not the thing under test.
const LIMIT: Duration = Duration::from_secs(10);

/// Whether a process `pid` exists (zombies included).
fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn cat_echoes_piped_stdin_to_stdout() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            // More than a pipe holds, so both directions must wait for readiness.
            let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
            let expected = data.clone();
            let writer = tandem::spawn(async move {
                stdin.write_all(&data).await.unwrap();
                // Dropping stdin closes the pipe: cat sees end-of-file and exits.
            });
            let mut echoed = Vec::new();
            stdout.read_to_end(&mut echoed).await.unwrap();
            writer.await.unwrap();
            assert_eq!(echoed.len(), expected.len());
            assert!(echoed == expected, "cat echoed different bytes");
            let status = child.wait().await.unwrap();
            assert!(status.success(), "{status}");
        });
    });
}

#[test]
fn output_collects_both_streams_and_the_exit_code() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let out = Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 3"])
                .output()
                .await
                .unwrap();
            assert_eq!(out.status.code(), Some(3));
            assert_eq!(out.stdout, b"out\n");
            assert_eq!(out.stderr, b"err\n");

            // More output than a pipe holds, on both streams at once: collected while waiting.
            let out = Command::new("sh")
                .args([
                    "-c",
                    "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2",
                ])
                .output()
                .await
                .unwrap();
            assert!(out.status.success());
            assert_eq!(out.stdout.len(), 300_000);
            assert_eq!(out.stderr.len(), 200_000);
        });
    });
}

#[test]
fn status_inherits_stdio_and_reports_the_code() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let status = Command::new("sh").args(["-c", "exit 7"]).status().await;
            assert_eq!(status.unwrap().code(), Some(7));
            let status = Command::new("true").status().await.unwrap();
            assert!(status.success());
            // Pipes set up for `status` are closed at once: `cat` reads end-of-file and exits
            // instead of waiting forever.
            let status = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .status();
            let status = tandem::time::timeout(LIMIT, status).await.unwrap().unwrap();
            assert!(status.success());
        });
    });
}

#[test]
fn kill_ends_a_sleeping_child_with_sigkill() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("sleep").arg("100").spawn().unwrap();
            let pid = child.id().unwrap();
            let started = Instant::now();
            child.kill().await.unwrap();
            assert!(started.elapsed() < LIMIT);
            let status = child.wait().await.unwrap();
            assert_eq!(status.signal(), Some(libc::SIGKILL));
            assert_eq!(status.code(), None);
            assert_eq!(child.id(), None, "a reaped child has no id");
            assert!(!process_exists(pid), "the killed child was reaped");
            // Killing a reaped child is not an error.
            child.start_kill().unwrap();
            child.kill().await.unwrap();
        });
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("sleep")
                .arg("100")
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            assert!(!Command::new("true").get_kill_on_drop());
            let pid = child.id().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            drop(child);
            // The pipe's only writer was the killed child: end-of-file, soon.
            let mut buf = Vec::new();
            let read = tandem::time::timeout(LIMIT, stdout.read_to_end(&mut buf)).await;
            assert_eq!(read.unwrap().unwrap(), 0);
            // And it is reaped, not left a zombie.
            let gone = support::wait_until_async(LIMIT, || !process_exists(pid)).await;
            assert!(gone, "child {pid} still exists after kill_on_drop");

            // Without kill_on_drop, a dropped child runs on, and is reaped once it exits.
            let child = Command::new("sleep").arg("0.2").spawn().unwrap();
            let pid = child.id().unwrap();
            drop(child);
            tandem::time::sleep(Duration::from_millis(50)).await;
            assert!(
                process_exists(pid),
                "a dropped child is not killed by default"
            );
            let gone = support::wait_until_async(LIMIT, || !process_exists(pid)).await;
            assert!(gone, "dropped child {pid} left a zombie");
        });
    });
}

#[test]
fn try_wait_before_and_after_exit() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "read line; exit 4"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            assert_eq!(child.try_wait().unwrap(), None, "still running");
            assert!(child.id().is_some());
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"go\n").await.unwrap();
            drop(stdin);
            let mut status = None;
            let deadline = Instant::now() + LIMIT;
            while status.is_none() && Instant::now() < deadline {
                status = child.try_wait().unwrap();
                tandem::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(status.expect("exited").code(), Some(4));
            // The same status again, from try_wait and wait; no id once reaped.
            assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(4));
            assert_eq!(child.wait().await.unwrap().code(), Some(4));
            assert_eq!(child.id(), None);
        });
    });
}

#[test]
fn wait_is_cancel_safe() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("sleep").arg("0.3").spawn().unwrap();
            // A wait that loses the race to a timer is dropped...
            tandem::select! {
                _ = child.wait() => panic!("sleep 0.3 exited within 20 ms"),
                _ = tandem::time::sleep(Duration::from_millis(20)) => {}
            }
            // ...several times over...
            for _ in 0..3 {
                let waited = tandem::time::timeout(Duration::from_millis(10), child.wait()).await;
                assert!(waited.is_err());
            }
            // ...and a later wait still sees the exit.
            let status = tandem::time::timeout(LIMIT, child.wait()).await.unwrap();
            assert!(status.unwrap().success());
            assert!(
                child.wait().await.unwrap().success(),
                "the same status again"
            );
        });
    });
}

#[test]
fn env_and_current_dir_reach_the_child() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let dir = std::env::temp_dir().canonicalize().unwrap();
            let out = Command::new("sh")
                .args(["-c", "echo \"$TANDEM_A,$TANDEM_B,${HOME-unset}\"; pwd"])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap())
                .env("TANDEM_A", "one")
                .envs([("TANDEM_B", "two"), ("TANDEM_C", "three")])
                .env_remove("TANDEM_C")
                .current_dir(&dir)
                .output()
                .await
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            assert_eq!(text, format!("one,two,unset\n{}\n", dir.display()));

            let out = Command::new("sh")
                .arg0("renamed")
                .args(["-c", "echo $0"])
                .output()
                .await
                .unwrap();
            assert_eq!(out.stdout, b"renamed\n");
        });
    });
}

#[test]
fn a_missing_program_or_directory_is_an_error() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let err = Command::new("/nonexistent/tandem-no-such-program")
                .spawn()
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
            let err = Command::new("true")
                .current_dir("/nonexistent/tandem-no-such-dir")
                .status()
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
            // A failing pre_exec hook fails the spawn with its error.
            let mut cmd = Command::new("true");
            // SAFETY: the hook only builds an io::Error from a code (no allocation, no lock).
            unsafe {
                cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EACCES)));
            }
            let err = cmd.spawn().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EACCES));
        });
    });
}

#[test]
fn piped_stdout_feeds_another_child() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut echo = Command::new("echo")
                .arg("hello world!")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdin: Stdio = echo.stdout.take().unwrap().try_into().unwrap();
            let tr = Command::new("tr")
                .args(["a-z", "A-Z"])
                .stdin(stdin)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let (echoed, out) = tandem::join!(echo.wait(), tr.wait_with_output());
            assert!(echoed.unwrap().success());
            assert_eq!(out.unwrap().stdout, b"HELLO WORLD!\n");
        });
    });
}

#[test]
fn a_child_spawned_in_one_runtime_is_waited_for_in_another() {
    each_flavor(|flavor, rt| {
        let mut child = rt.block_on(async {
            Command::new("sh")
                .args(["-c", "sleep 0.1; exit 5"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap()
        });
        drop(rt);
        let rt = flavor.build();
        let status = rt.block_on(async { child.wait().await.unwrap() });
        assert_eq!(status.code(), Some(5));
    });
}

#[test]
fn a_child_dropped_after_its_runtime_is_reaped_by_a_later_spawn() {
    each_flavor(|flavor, rt| {
        let child = rt.block_on(async { Command::new("sleep").arg("0.2").spawn().unwrap() });
        let pid = child.id().unwrap();
        drop(rt);
        // Outside any runtime, and the spawning one is gone: no task can watch it.
        drop(child);
        std::thread::sleep(Duration::from_millis(400));
        let rt = flavor.build();
        rt.block_on(async {
            Command::new("true").status().await.unwrap();
            let gone = support::wait_until_async(LIMIT, || !process_exists(pid)).await;
            assert!(gone, "orphan {pid} was not reaped by a later spawn");
        });
    });
}

#[test]
fn a_runtime_shutting_down_drops_the_tasks_waiting_for_children() {
    each_flavor(|flavor, rt| {
        let (pid_tx, pid_rx) = std::sync::mpsc::channel();
        for kill_on_drop in [true, false] {
            let pid_tx = pid_tx.clone();
            rt.spawn(async move {
                let mut child = Command::new("sleep")
                    .arg(if kill_on_drop { "100" } else { "0.2" })
                    .kill_on_drop(kill_on_drop)
                    .spawn()
                    .unwrap();
                pid_tx.send(child.id().unwrap()).unwrap();
                child.wait().await.unwrap();
                unreachable!("the runtime shuts down first");
            });
        }
        // (A current-thread runtime runs its tasks only inside `block_on`.)
        rt.block_on(async { tandem::time::sleep(Duration::from_millis(100)).await });
        let pids: Vec<u32> = (0..2)
            .map(|_| pid_rx.recv_timeout(LIMIT).unwrap())
            .collect();
        // Dropping the runtime drops both tasks, and with them the children (the shutdown
        // cannot host a reaper task any more): the orphan queue takes them.
        drop(rt);
        std::thread::sleep(Duration::from_millis(400));
        let rt = flavor.build();
        rt.block_on(async {
            Command::new("true").status().await.unwrap();
            for pid in pids {
                let gone = support::wait_until_async(LIMIT, || !process_exists(pid)).await;
                assert!(gone, "child {pid} of a shut-down runtime was not reaped");
            }
        });
    });
}

#[test]
fn waiting_outside_any_runtime_is_an_error_not_a_hang() {
    let rt = support::Flavor::CURRENT_THREAD.build();
    let mut child = rt.block_on(async { Command::new("sleep").arg("100").spawn().unwrap() });
    drop(rt);
    let err = futures::executor::block_on(child.wait()).unwrap_err();
    assert!(err.to_string().contains("no running runtime"), "{err}");
    // Killing needs no runtime; the kill's wait does, and says so.
    child.start_kill().unwrap();
    let rt = support::Flavor::MULTI_2.build();
    let status = rt.block_on(async { child.wait().await.unwrap() });
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}

#[test]
fn spawn_outside_a_runtime_panics_with_tokios_message() {
    let res = std::panic::catch_unwind(|| {
        let _ = Command::new("true").spawn();
    });
    let msg = support::panic_message(&*res.unwrap_err());
    assert_eq!(
        msg,
        "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
    );
}

#[test]
fn the_types_are_send_and_sync_and_their_futures_send() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Command>();
    send_sync::<tandem::process::Child>();
    send_sync::<tandem::process::ChildStdin>();
    send_sync::<tandem::process::ChildStdout>();
    send_sync::<tandem::process::ChildStderr>();
    let rt = support::Flavor::CURRENT_THREAD.build();
    rt.block_on(async {
        let mut cmd = Command::new("true");
        send(&cmd.status());
        send(&cmd.output());
        let mut child = cmd.spawn().unwrap();
        send(&child.wait());
        send(&child.kill());
        child.wait().await.unwrap();
        send(&child.wait_with_output());
    });
}

#[test]
fn into_owned_fd_hands_back_a_blocking_pipe() {
    use std::io::Read;
    use std::os::fd::{AsFd, AsRawFd};
    fn nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> bool {
        // SAFETY: F_GETFL on a descriptor borrowed for the call.
        let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        assert!(flags >= 0);
        flags & libc::O_NONBLOCK != 0
    }
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "echo piped"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            assert!(
                nonblocking(stdout.as_fd()),
                "registered pipes are non-blocking"
            );
            assert_eq!(stdout.as_raw_fd(), stdout.as_fd().as_raw_fd());
            let fd = stdout.into_owned_fd().unwrap();
            assert!(!nonblocking(fd.as_fd()), "an owned fd is blocking again");
            let mut text = String::new();
            std::fs::File::from(fd).read_to_string(&mut text).unwrap();
            assert_eq!(text, "piped\n");
            assert!(child.wait().await.unwrap().success());
        });
    });
}
