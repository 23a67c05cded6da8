//! `--wrk`: loading the servers with `wrk` itself, and reading its `--latency` report.
//!
//! `wrk` cannot count connections that never got a response, so with it that count is 0.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::loadgen::{Errors, Load};
use super::report::Measurement;

/// The `wrk` executable on the `PATH`, if there is one.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("wrk"))
        .find(|candidate| candidate.is_file())
}

/// Runs `wrk` with the equivalent of `load`, calling `progress` with the time elapsed every
/// 100 ms while it runs.
pub fn run(wrk: &Path, load: &Load, mut progress: impl FnMut(Duration)) -> io::Result<Measurement> {
    // wrk takes whole seconds, and at most as many threads as connections.
    let seconds = load.duration.as_secs_f64().ceil().max(1.0) as u64;
    let timeout = load.timeout.as_secs_f64().ceil().max(1.0) as u64;
    let threads = load.threads.clamp(1, load.connections.max(1));
    let child = Command::new(wrk)
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &load.connections.to_string(),
        ])
        .args([
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            &format!("{timeout}s"),
        ])
        .arg("--latency")
        .arg(format!("http://{}/", load.addr))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let began = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
        progress(began.elapsed().min(load.duration));
    }
    let output = waiter
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "wrk failed ({}): {}{}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse(&stdout)
        .map_err(|e| io::Error::other(format!("cannot read wrk's report ({e}):\n{stdout}")))
}

/// Reads `wrk --latency`'s report.
fn parse(report: &str) -> Result<Measurement, String> {
    let mut rate = None;
    let mut responses_elapsed = None;
    let mut latency_ms = [f64::NAN; 4];
    let mut max_ms = f64::NAN;
    let mut errors = Errors::default();
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => rate = value.parse::<f64>().ok(),
            // "Latency   2.01ms  1.02ms  30.00ms  80.00%" (the thread stats).
            ["Latency", _avg, _stdev, max, _pct] => max_ms = parse_time(max)?,
            [pct, value] if pct.ends_with('%') => {
                let slot = match *pct {
                    "50%" => 0,
                    "75%" => 1,
                    "90%" => 2,
                    "99%" => 3,
                    _ => continue,
                };
                latency_ms[slot] = parse_time(value)?;
            }
            // "3571234 requests in 10.00s, 300.00MB read"
            [count, "requests", "in", elapsed, ..] => {
                let count = count
                    .parse::<u64>()
                    .map_err(|_| format!("bad count {count:?}"))?;
                let elapsed = parse_time(elapsed.trim_end_matches(','))?;
                responses_elapsed = Some((count, Duration::from_secs_f64(elapsed / 1e3)));
            }
            // "Socket errors: connect 0, read 0, write 0, timeout 0"
            ["Socket", "errors:", rest @ ..] => {
                for pair in rest.chunks(2) {
                    let [kind, count] = pair else {
                        return Err(format!("bad socket errors line {line:?}"));
                    };
                    let count = count.trim_end_matches(',').parse::<u64>();
                    let count = count.map_err(|_| format!("bad socket errors line {line:?}"))?;
                    match *kind {
                        "connect" => errors.connect = count,
                        "read" => errors.read = count,
                        "write" => errors.write = count,
                        "timeout" => errors.timeout = count,
                        _ => {}
                    }
                }
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                errors.status = count.parse().map_err(|_| format!("bad count {count:?}"))?;
            }
            _ => {}
        }
    }
    let (responses, elapsed) = responses_elapsed.ok_or("no \"N requests in T\" line")?;
    Ok(Measurement {
        rate: rate.ok_or("no Requests/sec line")?,
        responses,
        elapsed,
        latency_ms,
        max_ms,
        errors,
        // wrk reports neither.
        per_second: Vec::new(),
        first_served: None,
        // The suite measures it around the run.
        cpu_us: super::report::CpuPerResponse::UNKNOWN,
    })
}

/// `wrk`'s time format (`812.00us`, `1.45ms`, `1.02s`, `1.00m`), in milliseconds.
fn parse_time(text: &str) -> Result<f64, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("no unit in {text:?}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("bad time {text:?}"))?;
    let factor = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return Err(format!("unknown unit in {text:?}")),
    };
    Ok(number * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 10s test @ http://127.0.0.1:8080/
  4 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.01ms    1.02ms  30.00ms   80.00%
    Req/Sec    90.00k     5.00k  100.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.57ms
     90%    3.17ms
     99%    1.02s
  3571234 requests in 10.00s, 300.00MB read
  Socket errors: connect 12, read 3, write 0, timeout 407
  Non-2xx or 3xx responses: 5
Requests/sec: 357093.12
Transfer/sec:     30.00MB
";

    #[test]
    fn reads_a_latency_report() {
        let m = parse(REPORT).unwrap();
        assert_eq!(m.rate, 357093.12);
        assert_eq!(m.responses, 3_571_234);
        assert_eq!(m.elapsed, Duration::from_secs(10));
        assert_eq!(m.latency_ms, [0.812, 2.57, 3.17, 1020.0]);
        assert_eq!(m.max_ms, 30.0);
        let expected = Errors {
            connect: 12,
            read: 3,
            write: 0,
            timeout: 407,
            status: 5,
            never_answered: 0,
        };
        assert_eq!(m.errors, expected);
    }

    #[test]
    fn a_clean_report_has_no_errors_and_a_truncated_one_fails() {
        let clean: String = REPORT
            .lines()
            .filter(|l| !l.contains("errors") && !l.contains("Non-2xx"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(parse(&clean).unwrap().errors, Errors::default());
        assert!(parse("Running 10s test\n").is_err());
        assert!(parse_time("12").is_err());
        assert!(parse_time("1.0x").is_err());
    }
}
