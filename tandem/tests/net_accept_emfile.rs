//! Out of descriptors, `accept` returns `EMFILE`, a loop on it does not spin, and once
//! descriptors free up the connections queued meanwhile are all accepted (no edge was lost).
//! On every flavour, and for TCP and Unix-domain listeners.
//!
//! Each flavour runs in a child process (this binary, re-run for this one test) whose
//! `RLIMIT_NOFILE` is lowered until no descriptor number is free: the test harness's own
//! process must keep its descriptors.
//!
//! The scenario, in the child:
//! 1. Bind a listener, connect `QUEUED` clients (blocking std sockets: the kernel completes the
//!    handshakes into the backlog), each sending one byte.
//! 2. Lower the soft limit and fill every free descriptor number with `/dev/null`.
//! 3. Loop on `accept` (alternating `accept()` and `poll_accept`) until `ERRORS` errors in a
//!    row: each must be `EMFILE`. They must take at least the backoff the listener promises
//!    (5 + 10 + 20 + ... ms): a spinning loop would collect them in microseconds. The CPU time
//!    used meanwhile must be a small part of the wall time.
//! 4. Close the placeholders; the same loop must now accept all `QUEUED` connections, with no
//!    new connection arriving to make a fresh edge, and read each one's byte.

mod support;

use std::future::poll_fn;
use std::io::Write;
use std::time::{Duration, Instant};

use support::{
    assert_child_ok, child_role, fd_count, flavor_named, flavors, process_cpu_time, run_child,
};
use tandem::io::AsyncReadExt;
use tandem::net::{TcpListener, UnixListener};

const CHILD_ENV: &str = "TANDEM_TEST_EMFILE";
const TEST_NAME: &str = "accept_out_of_fds_backs_off_and_loses_nothing";
const DONE: &str = "emfile scenario complete";
/// Connections queued while the process has no descriptor left.
const QUEUED: usize = 8;
/// `EMFILE` errors collected before descriptors are freed.
const ERRORS: usize = 6;
/// The least time from the first to the last of `ERRORS` errors in a row with the listener's
/// backoff (5, 10, 20, 40, 80 ms between them: 155 ms).
const MIN_BACKOFF: Duration = Duration::from_millis(150);

#[test]
fn accept_out_of_fds_backs_off_and_loses_nothing() {
    if let Some(role) = child_role(CHILD_ENV) {
        let (flavor, kind) = role.split_once('/').expect("flavor/kind");
        child(flavor, kind);
        return;
    }
    for flavor in flavors() {
        for kind in ["tcp", "unix"] {
            let role = format!("{}/{kind}", flavor.name);
            let out = run_child(TEST_NAME, CHILD_ENV, &role);
            assert_child_ok(&role, &out);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains(DONE),
                "[{role}] the child did not run the scenario:\n{stdout}"
            );
        }
    }
}

/// One listener kind, as the loop sees it.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// A connection the listener accepted, reduced to what the test reads.
type Accepted = Box<dyn tandem::io::AsyncRead + Unpin + Send>;

impl Listener {
    async fn accept(&self, use_poll: bool) -> std::io::Result<Accepted> {
        match (self, use_poll) {
            (Listener::Tcp(l), false) => Ok(Box::new(l.accept().await?.0)),
            (Listener::Tcp(l), true) => Ok(Box::new(poll_fn(|cx| l.poll_accept(cx)).await?.0)),
            (Listener::Unix(l), false) => Ok(Box::new(l.accept().await?.0)),
            (Listener::Unix(l), true) => Ok(Box::new(poll_fn(|cx| l.poll_accept(cx)).await?.0)),
        }
    }
}

/// Every open descriptor and what it is (for a failure message).
fn describe_fds() -> String {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return "(cannot read /proc/self/fd)".into();
    };
    let mut fds: Vec<(u64, String)> = dir
        .filter_map(|e| {
            let e = e.ok()?;
            let n = e.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some((n, target.display().to_string()))
        })
        .collect();
    fds.sort();
    format!("{fds:?}")
}

fn child(flavor: &str, kind: &str) {
    let rt = flavor_named(flavor).build();
    let socket_path =
        std::env::temp_dir().join(format!("tandem-emfile-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket_path);

    let (listener, clients): (Listener, Vec<Box<dyn Write>>) = rt.block_on(async {
        match kind {
            "tcp" => {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = l.local_addr().unwrap();
                let clients = (0..QUEUED)
                    .map(|_| {
                        Box::new(std::net::TcpStream::connect(addr).unwrap()) as Box<dyn Write>
                    })
                    .collect();
                (Listener::Tcp(l), clients)
            }
            "unix" => {
                let l = UnixListener::bind(&socket_path).unwrap();
                let clients = (0..QUEUED)
                    .map(|_| {
                        Box::new(std::os::unix::net::UnixStream::connect(&socket_path).unwrap())
                            as Box<dyn Write>
                    })
                    .collect();
                (Listener::Unix(l), clients)
            }
            other => panic!("unknown listener kind {other}"),
        }
    });
    let mut clients = clients;
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[i as u8]).unwrap();
    }

    // Step 2: no descriptor number left below the limit.
    let mut placeholders = support::use_up_fds(QUEUED as u64 + 4);
    assert!(placeholders.len() >= QUEUED + 4);

    rt.block_on(async {
        // Step 3. A descriptor some other thread held for a moment while the placeholders were
        // opened (glibc opens /sys/devices/system/cpu/online when a new thread creates its
        // malloc arena) leaves a free number behind: an accept then succeeds. Such a connection
        // is kept (it fills the hole) and counted with the others; the backoff is measured over
        // `ERRORS` errors in a row after the last such success.
        let mut accepted: Vec<Accepted> = Vec::new();
        let mut run: Option<(Instant, Duration)> = None;
        let mut errors = 0;
        let mut attempt = 0;
        while errors < ERRORS {
            attempt += 1;
            match listener.accept(attempt % 2 == 1).await {
                Ok(stream) => {
                    accepted.push(stream);
                    if accepted.len() > QUEUED / 2 {
                        accepted.clear();
                        panic!(
                            "accepts keep succeeding with no descriptor left; open fds: {}",
                            describe_fds()
                        );
                    }
                    errors = 0;
                    run = None;
                }
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                    run.get_or_insert_with(|| (Instant::now(), process_cpu_time()));
                    errors += 1;
                }
            }
        }
        let (start, cpu_before) = run.expect("errors were counted");
        let wall = start.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert!(
            wall >= MIN_BACKOFF,
            "{ERRORS} EMFILE errors in {wall:?}: the accept loop did not back off"
        );
        assert!(
            cpu * 2 < wall,
            "the accept loop used {cpu:?} of CPU in {wall:?}: spinning?"
        );

        // Step 4: free the descriptors; the queued connections come in without a new edge.
        drop(std::mem::take(&mut placeholders));
        while accepted.len() < QUEUED {
            attempt += 1;
            let stream = listener
                .accept(attempt % 2 == 1)
                .await
                .expect("accept after descriptors freed up");
            accepted.push(stream);
        }
        let mut seen = [false; QUEUED];
        for mut stream in accepted {
            let mut byte = [0; 1];
            stream.read_exact(&mut byte).await.unwrap();
            assert!(!seen[byte[0] as usize], "connection {} twice", byte[0]);
            seen[byte[0] as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    });
    drop(clients);
    drop(listener);
    drop(rt);
    let _ = std::fs::remove_file(&socket_path);
    assert!(fd_count() > 0);
    println!("{DONE}");
}
