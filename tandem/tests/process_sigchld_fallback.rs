//! Where `pidfd_open(2)` is unavailable (kernels before 5.3, seccomp filters), child exits are
//! watched through SIGCHLD instead. Each test re-runs this binary as a child process that first
//! installs a seccomp filter making `pidfd_open` fail with `ENOSYS`, then spawns, waits, kills
//! and drops children on every flavour: all must still be reaped, without hang or zombie.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use support::{child_role, each_flavor, run_child};
use tandem::io::AsyncReadExt;
use tandem::process::Command;

const CHILD_ENV: &str = "TANDEM_PROCESS_SIGCHLD_ROLE";
const TEST_NAME: &str = "children_are_reaped_without_pidfd_open";
const LIMIT: Duration = Duration::from_secs(10);

/// Makes `pidfd_open` fail with `ENOSYS` for this thread and every thread and process it
/// creates afterwards.
fn deny_pidfd_open() {
    let insn = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let mut filter = [
        // A = seccomp_data.nr (offset 0)
        insn(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
        insn(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            0,
            1,
            libc::SYS_pidfd_open as u32,
        ),
        insn(
            libc::BPF_RET | libc::BPF_K,
            0,
            0,
            libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        ),
        insn(libc::BPF_RET | libc::BPF_K, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: plain prctl calls; `prog` points at `filter`, both alive for the call (the kernel
    // copies the program).
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const libc::sock_fprog
            ),
            0,
            "installing the seccomp filter: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: `pidfd_open` of our own pid with flags 0 touches no memory; a descriptor it
    // returns despite the filter would leak, but then the assertion fails anyway.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    assert_eq!(ret, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::ENOSYS)
    );
}

fn exercise() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let out = Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 3"])
                .output()
                .await
                .unwrap();
            assert_eq!(out.status.code(), Some(3));
            assert_eq!(
                (&out.stdout[..], &out.stderr[..]),
                (&b"out\n"[..], &b"err\n"[..])
            );

            let mut child = Command::new("sleep").arg("100").spawn().unwrap();
            let shown = format!("{child:?}");
            assert!(shown.contains("SIGCHLD"), "not watched by SIGCHLD: {shown}");
            tandem::select! {
                _ = child.wait() => panic!("sleep 100 exited"),
                _ = tandem::time::sleep(Duration::from_millis(20)) => {}
            }
            child.kill().await.unwrap();
            assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));

            // Many at once: every SIGCHLD wakes every waiter, and none is missed when
            // deliveries coalesce.
            let mut tasks = Vec::new();
            for i in 0..50 {
                tasks.push(tandem::spawn(async move {
                    let status = Command::new("sh")
                        .args(["-c", &format!("exit {}", i % 7)])
                        .status()
                        .await
                        .unwrap();
                    assert_eq!(status.code(), Some(i % 7));
                }));
            }
            for task in tasks {
                tandem::time::timeout(LIMIT, task).await.unwrap().unwrap();
            }

            // Dropped children, killed or not, are reaped.
            for _ in 0..50 {
                let mut child = Command::new("sleep")
                    .arg("100")
                    .stdout(Stdio::piped())
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
                let mut stdout = child.stdout.take().unwrap();
                drop(child);
                let mut buf = Vec::new();
                let n = tandem::time::timeout(LIMIT, stdout.read_to_end(&mut buf)).await;
                assert_eq!(n.unwrap().unwrap(), 0);
            }
            drop(Command::new("true").spawn().unwrap());
            let reaped = support::wait_until_async(LIMIT, no_children).await;
            assert!(reaped, "children remain without pidfd_open");
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer for the call.
            let ret = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            assert_eq!(ret, -1, "waitpid(-1) found a child");
        });
    });
}

/// No process has this one as its parent (scanning /proc: zombies included).
fn no_children() -> bool {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().all(|entry| {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            return true; // not a process, or exited meanwhile
        };
        !status
            .lines()
            .any(|l| l.strip_prefix("PPid:").is_some_and(|p| p.trim() == me))
    })
}

#[test]
fn children_are_reaped_without_pidfd_open() {
    if child_role(CHILD_ENV).is_some() {
        deny_pidfd_open();
        exercise();
        return;
    }
    let out = run_child(TEST_NAME, CHILD_ENV, "child");
    assert!(
        out.status.success(),
        "child run failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
