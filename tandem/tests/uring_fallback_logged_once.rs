//! When io_uring is unavailable or switched off, file-system calls still work, on the blocking
//! pool, and the process says so once.
//!
//! Each test re-runs this binary for itself as a child process, so the process-wide probe starts
//! fresh and its stderr can be read:
//!
//! - `io_uring_setup` refused with EPERM (a seccomp filter) and with ENOSYS (no io_uring), by
//!   strace fault injection. Three runtimes (current-thread, multi-thread with 1 and 2 workers)
//!   do file-system work: the results are right, `enabled` is false, the fallbacks are counted as
//!   `Unavailable`, and the child's stderr has exactly one "io_uring unavailable" line naming the
//!   error. `UringMode::Required` makes `build()` fail with an error that names it. Without
//!   strace these two are skipped with a message, unless `CI=true`, where they fail.
//! - `TANDEM_IO_URING=off`: the fallbacks are counted as `Disabled`, nothing is logged.
//! - `TANDEM_IO_URING=bogus`: `build()` fails with `InvalidInput`, unless the builder was told
//!   the mode explicitly.

mod support;

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{assert_child_ok, child_role, Flavor};
use tandem::runtime::{Builder, FallbackCause, Runtime, UringMode, URING_ENV_VAR};

/// Set in a child's environment: which scenario it runs.
const ROLE: &str = "TANDEM_FALLBACK_TEST_CHILD";
/// The line the probe prints when rings cannot be set up.
const UNAVAILABLE_LINE: &str = "tandem: io_uring unavailable (";
/// How long a child may run (a hang detector, not part of what is tested).
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

/// The runtimes each child builds, with the builder's default mode (none set explicitly).
fn runtimes() -> Vec<(Flavor, Runtime)> {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_1, Flavor::MULTI_2]
        .into_iter()
        .map(|flavor| (flavor, flavor.build()))
        .collect()
}

/// File-system work on `rt`, checked against std; returns nothing, panics on a wrong result.
fn fs_work(flavor: Flavor, rt: &Runtime, dir: &Path) {
    let dir = dir.join(flavor.name.replace(['(', ')'], "_"));
    rt.block_on(async {
        tandem::fs::create_dir(&dir).await.unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let path = dir.join("data");
        tandem::fs::write(&path, &data).await.unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            data,
            "[{}] fs::write",
            flavor.name
        );
        assert_eq!(
            tandem::fs::read(&path).await.unwrap(),
            data,
            "[{}] fs::read",
            flavor.name
        );

        let file = tandem::fs::File::open(&path).await.unwrap();
        let (res, buf) = file.read_at(Vec::with_capacity(1000), 4321).await;
        assert_eq!(res.unwrap(), 1000, "[{}] read_at", flavor.name);
        assert_eq!(buf, data[4321..5321], "[{}] read_at", flavor.name);
        assert_eq!(file.metadata().await.unwrap().len(), data.len() as u64);
        drop(file);

        let copy = dir.join("copy");
        let file = tandem::fs::File::create(&copy).await.unwrap();
        let (res, _) = file.write_all_at(data[..777].to_vec(), 10).await;
        res.unwrap();
        file.sync_all().await.unwrap();
        drop(file);
        let mut expected = vec![0u8; 10];
        expected.extend_from_slice(&data[..777]);
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            expected,
            "[{}] write_all_at",
            flavor.name
        );

        let mut names = Vec::new();
        let mut entries = tandem::fs::read_dir(&dir).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            names.push(entry.file_name().into_string().unwrap());
        }
        names.sort();
        assert_eq!(names, ["copy", "data"], "[{}] read_dir", flavor.name);

        tandem::fs::remove_dir_all(&dir).await.unwrap();
        assert!(!dir.exists(), "[{}] remove_dir_all", flavor.name);
    });
}

/// A fresh directory for one child, removed by the caller.
fn scratch_dir(role: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-uring-fallback-{role}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    dir
}

/// The child's side when `io_uring_setup` fails with `errno` (named as in the log line).
fn child_unavailable(role: &str, errno: &str) {
    // First: `Required` fails to build and says why.
    let err = Builder::new_current_thread()
        .enable_all()
        .io_uring(UringMode::Required)
        .build()
        .expect_err("UringMode::Required built a runtime although io_uring_setup fails");
    let msg = err.to_string();
    assert!(
        msg.contains(errno),
        "Required: the error should name {errno}: {msg}"
    );

    let dir = scratch_dir(role);
    for (flavor, rt) in runtimes() {
        fs_work(flavor, &rt, &dir);
        let stats = rt.handle().metrics().io_uring();
        assert!(!stats.enabled, "[{}] rings enabled: {stats:?}", flavor.name);
        assert!(stats.rings.is_empty(), "[{}] {stats:?}", flavor.name);
        let reason = stats.disabled_reason.clone().unwrap_or_default();
        assert!(
            reason.contains(errno),
            "[{}] disabled_reason should name {errno}: {stats:?}",
            flavor.name
        );
        assert!(
            stats.fallbacks(FallbackCause::Unavailable) > 0,
            "[{}] no Unavailable fallback counted: {stats:?}",
            flavor.name
        );
        assert_eq!(
            stats.fallbacks(FallbackCause::Disabled),
            0,
            "[{}] {stats:?}",
            flavor.name
        );
    }
    std::fs::remove_dir(&dir).unwrap();

    // And again after the runtimes: the probe's answer is kept, Required still fails.
    let again = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .io_uring(UringMode::Required)
        .build();
    assert!(again.is_err(), "Required built a runtime the second time");
}

fn child_off() {
    let dir = scratch_dir("off");
    for (flavor, rt) in runtimes() {
        fs_work(flavor, &rt, &dir);
        let stats = rt.handle().metrics().io_uring();
        assert!(!stats.enabled, "[{}] rings enabled: {stats:?}", flavor.name);
        assert!(
            stats.fallbacks(FallbackCause::Disabled) > 0,
            "[{}] no Disabled fallback counted: {stats:?}",
            flavor.name
        );
        assert_eq!(
            stats.fallbacks(FallbackCause::Unavailable),
            0,
            "[{}] {stats:?}",
            flavor.name
        );
    }
    std::fs::remove_dir(&dir).unwrap();
}

fn child_bogus() {
    for flavor in [Flavor::CURRENT_THREAD, Flavor::MULTI_2] {
        let err = flavor
            .builder()
            .build()
            .err()
            .unwrap_or_else(|| panic!("[{}] built with {URING_ENV_VAR}=bogus", flavor.name));
        assert_eq!(
            err.kind(),
            io::ErrorKind::InvalidInput,
            "[{}] {err}",
            flavor.name
        );
        assert!(
            err.to_string().contains("bogus"),
            "[{}] the error should quote the value: {err}",
            flavor.name
        );
        // A mode given to the builder wins: the variable is not even read.
        let rt = flavor
            .builder()
            .io_uring(UringMode::Off)
            .build()
            .unwrap_or_else(|e| panic!("[{}] explicit Off: {e}", flavor.name));
        assert!(!rt.handle().metrics().io_uring().enabled);
    }
}

/// Runs this binary for `test` alone with `ROLE=role` and `env`, under `wrapper` (a program
/// and its arguments) if given. Kills a child still running after [`CHILD_TIMEOUT`].
fn run_child(test: &str, role: &str, env: &[(&str, &str)], wrapper: &[&str]) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(&exe);
            cmd
        }
        None => Command::new(&exe),
    };
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove(URING_ENV_VAR)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("failed to start the child");
    let drain = |mut pipe: Box<dyn io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {test} ({role}) still running after {CHILD_TIMEOUT:?}: hung?");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// The lines of the child's stderr that report io_uring unavailable.
fn unavailable_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(UNAVAILABLE_LINE))
        .map(str::to_owned)
        .collect()
}

/// strace's path, or `None` (after saying so) when it is missing and this is not CI.
fn strace() -> Option<&'static str> {
    let found = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("strace");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("strace is not installed, and CI=true: install it (apt-get install strace)");
    }
    eprintln!("SKIPPED: strace is not installed, so io_uring_setup failures cannot be injected");
    None
}

/// The parent's side: run the child with `io_uring_setup` failing with `errno`, check its log.
fn parent_unavailable(test: &str, role: &str, errno: &str) {
    let Some(strace) = strace() else { return };
    // Only io_uring_setup stops the tracee (`--seccomp-bpf`), so the child runs at full speed.
    // Never `-e trace=none`: it turns injection off too.
    let inject = format!("inject=io_uring_setup:error={errno}");
    let wrapper = [
        strace,
        "-f",
        "--seccomp-bpf",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=io_uring_setup",
        "-e",
        &inject,
    ];
    let out = run_child(test, role, &[], &wrapper);
    assert_child_ok(role, &out);
    let lines = unavailable_lines(&out);
    assert_eq!(
        lines.len(),
        1,
        "{role}: want exactly one 'io_uring unavailable' line, stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lines[0].contains(errno), "{role}: {}", lines[0]);
    assert!(
        lines[0].ends_with("file-system calls use the blocking pool"),
        "{role}: {}",
        lines[0]
    );
}

#[test]
fn setup_eperm_falls_back_and_logs_once() {
    const TEST: &str = "setup_eperm_falls_back_and_logs_once";
    match child_role(ROLE).as_deref() {
        Some("eperm") => child_unavailable("eperm", "EPERM"),
        Some(other) => panic!("unexpected role {other}"),
        None => parent_unavailable(TEST, "eperm", "EPERM"),
    }
}

#[test]
fn setup_enosys_falls_back_and_logs_once() {
    const TEST: &str = "setup_enosys_falls_back_and_logs_once";
    match child_role(ROLE).as_deref() {
        Some("enosys") => child_unavailable("enosys", "ENOSYS"),
        Some(other) => panic!("unexpected role {other}"),
        None => parent_unavailable(TEST, "enosys", "ENOSYS"),
    }
}

#[test]
fn env_off_falls_back_silently() {
    const TEST: &str = "env_off_falls_back_silently";
    match child_role(ROLE).as_deref() {
        Some("off") => child_off(),
        Some(other) => panic!("unexpected role {other}"),
        None => {
            let out = run_child(TEST, "off", &[(URING_ENV_VAR, "off")], &[]);
            assert_child_ok("off", &out);
            assert_eq!(
                unavailable_lines(&out),
                Vec::<String>::new(),
                "TANDEM_IO_URING=off logged io_uring as unavailable"
            );
        }
    }
}

#[test]
fn env_bogus_fails_to_build() {
    const TEST: &str = "env_bogus_fails_to_build";
    match child_role(ROLE).as_deref() {
        Some("bogus") => child_bogus(),
        Some(other) => panic!("unexpected role {other}"),
        None => {
            let out = run_child(TEST, "bogus", &[(URING_ENV_VAR, "bogus")], &[]);
            assert_child_ok("bogus", &out);
            assert_eq!(unavailable_lines(&out), Vec::<String>::new());
        }
    }
}
