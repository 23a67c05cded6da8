//! The must-hold of child processes: 1,000 children spawned and awaited, then 1,000 more killed
//! on drop (`kill_on_drop`), leave no zombie and no descriptor behind, on every flavour.
//!
//! This must be the only test in this binary: libtest runs the tests of one binary on parallel
//! threads, whose children and descriptors would disturb the counts.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::{fd_count, flavors, run_flavor, settled_fd_count};
use tandem::process::Command;

const CHILDREN: usize = 1_000;
/// Children alive at once.
const BATCH: usize = 50;
/// How long reaping may take after the last drop: a bound, not the thing under test.
const REAP_LIMIT: Duration = Duration::from_secs(10);

/// The fd count when nothing transient is open: the minimum over a short window (a thread's
/// first allocation can make glibc open a /sys file for an instant).
/// This process's children, from /proc: (pid, state letter), zombies (`Z`) included.
fn children() -> Vec<(u32, char)> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // exited meanwhile
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid: u32 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if ppid == me {
            found.push((pid, state));
        }
    }
    found
}

/// `waitpid(-1, WNOHANG)` with nothing left to reap: `ECHILD` (no children at all). It reaps
/// nothing the runtime should have: it is only called once `children()` is empty.
fn no_child_to_wait_for() -> bool {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer for the call.
    let ret = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    ret == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
}

#[test]
fn thousands_of_children_leave_no_zombie_and_no_fd() {
    assert!(
        children().is_empty(),
        "children before the test: {:?}",
        children()
    );
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.build();
            rt.block_on(async {
                let before = settled_fd_count();

                // 1,000 spawned and awaited, BATCH at a time, each from its own task, with a
                // piped stdout read to the end.
                for _ in 0..CHILDREN / BATCH {
                    let mut tasks = Vec::new();
                    for i in 0..BATCH {
                        tasks.push(tandem::spawn(async move {
                            let out = Command::new("echo")
                                .arg(i.to_string())
                                .stdout(Stdio::piped())
                                .output()
                                .await
                                .unwrap();
                            assert!(out.status.success());
                            assert_eq!(out.stdout, format!("{i}\n").as_bytes());
                        }));
                    }
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
                assert!(
                    children().is_empty(),
                    "awaited children remain: {:?}",
                    children()
                );

                // 1,000 killed on drop, with all three stdio piped, BATCH alive at a time.
                for _ in 0..CHILDREN / BATCH {
                    let mut batch = Vec::new();
                    for _ in 0..BATCH {
                        let child = Command::new("sleep")
                            .arg("100")
                            .stdin(Stdio::piped())
                            .stdout(Stdio::piped())
                            .stderr(Stdio::piped())
                            .kill_on_drop(true)
                            .spawn()
                            .unwrap();
                        batch.push(child);
                    }
                    tandem::task::yield_now().await;
                    drop(batch);
                }

                let reaped = support::wait_until_async(REAP_LIMIT, || children().is_empty()).await;
                assert!(reaped, "children left (pid, state): {:?}", children());
                assert!(no_child_to_wait_for(), "waitpid(-1) still finds a child");

                let fds_back = support::wait_until_async(REAP_LIMIT, || fd_count() == before).await;
                assert!(fds_back, "fd count is {}, was {before}", fd_count());
            });
        });
    }
}
