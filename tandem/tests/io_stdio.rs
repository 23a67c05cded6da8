//! `io::stdin`, `io::stdout`, `io::stderr`: the standard streams through the blocking pool.
//!
//! Proves:
//!   * bytes written with `write_all` (one large write, many small ones, both streams) reach the
//!     process's stdout and stderr, in order, once `flush` returns;
//!   * `stdin` reads all of its input, in order, through reads smaller and larger than the
//!     input's chunks, then sees the end of the stream;
//!   * outside a runtime the first write panics with Tokio's message; after the runtime shut
//!     down a write fails with the runtime's shutdown error.
//!
//! The stream tests run this test binary again as a child (`CHILD` selects what it does) and
//! check what it wrote and read.

use std::io::Write as _;
use std::process::{Command, Stdio};
use tandem::io::{AsyncReadExt, AsyncWriteExt};

const CHILD: &str = "TANDEM_STDIO_CHILD";

/// Runs `test` of this binary as a child with `CHILD=mode`, feeding it `input`; its output.
fn run_child(test: &str, mode: &str, input: &[u8]) -> std::process::Output {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        for chunk in input.chunks(1000) {
            stdin.write_all(chunk).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    out
}

/// The bytes between the child's markers (the test harness prints around them).
fn between_markers(out: &[u8]) -> &[u8] {
    let text = out;
    let start = text
        .windows(7)
        .position(|w| w == b"<<BEG>>")
        .expect("begin marker")
        + 7;
    let end = text
        .windows(7)
        .rposition(|w| w == b"<<END>>")
        .expect("end marker");
    &text[start..end]
}

fn big_payload() -> Vec<u8> {
    (0..3 * 1024 * 1024 + 17)
        .map(|i| b'a' + (i % 26) as u8)
        .collect()
}

#[test]
fn writes_reach_stdout_and_stderr() {
    if let Ok(mode) = std::env::var(CHILD) {
        if mode != "write" {
            return;
        }
        let rt = tandem::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let mut out = tandem::io::stdout();
            let mut err = tandem::io::stderr();
            out.write_all(b"<<BEG>>").await.unwrap();
            out.write_all(&big_payload()).await.unwrap();
            for i in 0..100 {
                out.write_all(format!("line {i}\n").as_bytes())
                    .await
                    .unwrap();
                err.write_all(format!("err {i}\n").as_bytes())
                    .await
                    .unwrap();
            }
            out.write_all(b"<<END>>").await.unwrap();
            out.flush().await.unwrap();
            err.flush().await.unwrap();
        });
        return;
    }
    let out = run_child("writes_reach_stdout_and_stderr", "write", b"");
    let mut expected = big_payload();
    for i in 0..100 {
        expected.extend_from_slice(format!("line {i}\n").as_bytes());
    }
    assert!(
        between_markers(&out.stdout) == expected.as_slice(),
        "stdout differs"
    );
    let errors: String = (0..100).map(|i| format!("err {i}\n")).collect();
    assert!(String::from_utf8_lossy(&out.stderr).contains(&errors));
}

#[test]
fn stdin_reads_everything_in_order() {
    if let Ok(mode) = std::env::var(CHILD) {
        if mode != "read" {
            return;
        }
        let rt = tandem::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let input = rt.block_on(async {
            let mut stdin = tandem::io::stdin();
            // A small read first, then the rest in large ones.
            let mut first = [0u8; 3];
            stdin.read_exact(&mut first).await.unwrap();
            let mut rest = Vec::new();
            stdin.read_to_end(&mut rest).await.unwrap();
            let mut all = first.to_vec();
            all.extend(rest);
            all
        });
        let sum: u64 = input.iter().map(|&b| u64::from(b)).sum();
        println!("<<BEG>>{} {sum}<<END>>", input.len());
        return;
    }
    let input: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sum: u64 = input.iter().map(|&b| u64::from(b)).sum();
    let out = run_child("stdin_reads_everything_in_order", "read", &input);
    assert_eq!(
        between_markers(&out.stdout),
        format!("{} {sum}", input.len()).as_bytes()
    );
}

#[test]
#[should_panic(
    expected = "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
)]
fn stdout_outside_a_runtime_panics() {
    let mut out = tandem::io::stdout();
    let _ = futures::executor::block_on(out.write_all(b"x"));
}

#[test]
fn stdout_after_shutdown_fails_with_the_shutdown_error() {
    let rt = tandem::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let _enter = rt.enter();
    rt.shutdown_timeout(std::time::Duration::from_secs(10));
    let err = handle
        .block_on(async { tandem::io::stdout().write_all(b"x").await })
        .unwrap_err();
    assert!(tandem::runtime::is_rt_shutdown_err(&err), "{err:?}");
    let err = handle
        .block_on(async { tandem::io::stdin().read(&mut [0u8; 4]).await })
        .unwrap_err();
    assert!(tandem::runtime::is_rt_shutdown_err(&err), "{err:?}");
}
