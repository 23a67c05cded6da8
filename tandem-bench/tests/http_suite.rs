//! The HTTP suite end to end, through the binary: every server architecture answers keep-alive
//! requests and exits when its stdin closes, and a tiny suite run prints the table and writes
//! its files.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tandem-bench");

/// Reads one response with a `Content-Length` body; returns its head and body.
fn read_response(reader: &mut BufReader<TcpStream>) -> (String, Vec<u8>) {
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn every_server_keeps_alive_and_exits_with_its_stdin() {
    for arch in ["single", "thread", "tandem", "tandem-uring", "tokio"] {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--arch",
                arch,
                "--addr",
                "127.0.0.1:0",
                "--workers",
                "2",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().strip_prefix("listening on ").unwrap();

        let stream = TcpStream::connect(addr).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        for _ in 0..3 {
            writer
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let (head, body) = read_response(&mut reader);
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{arch}: {head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: text/plain\r\n"),
                "{arch}: {head}"
            );
            assert_eq!(body, b"Hello, World!", "{arch}");
        }
        drop((writer, reader));

        drop(child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{arch}: still running");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn a_tiny_run_prints_the_table_and_writes_its_files() {
    let output = Command::new(BIN)
        .args(["http", "--quick", "--threads", "2", "--connections", "7"])
        .args([
            "--duration",
            "300ms",
            "--servers",
            "thread,tandem,tandem-uring,tokio",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("| Architecture | Req/sec | p50 | p75 | p90 | p99 | Errors |"),
        "{stdout}"
    );
    for row in [
        "| One-thread-per-connection |",
        "| Tandem (epoll) |",
        "| Tandem (io_uring) |",
        "| Tokio |",
    ] {
        assert!(stdout.contains(row), "{stdout}");
    }
    assert!(!stdout.contains("| Single-threaded |"), "{stdout}");
    let written = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Results written to "))
        .expect("the files are written");
    let json_path = written.split(" and ").next().unwrap();
    assert!(json_path.ends_with("http-t2-c7.json"), "{json_path}");
    let json = std::fs::read_to_string(json_path).unwrap();
    assert!(json.contains("\"connections\": 7"), "{json}");
    let svg = std::fs::read_to_string(json_path.replace(".json", ".svg")).unwrap();
    assert!(svg.starts_with("<svg"));
}
