//! `fio` on the random-read file, when it is on the PATH: what one thread submitting through
//! io_uring at queue depth N can do, as a reference for the `rand_read_N` rows.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// fio's results, or why there are none.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Not run, and why.
    Skipped(String),
    /// Reads per second at each queue depth, `None` where that run failed.
    Ran {
        /// Seconds per run.
        secs: u64,
        /// `(iodepth, IOPS)`.
        iops: Vec<(usize, Option<f64>)>,
    },
}

/// Runs fio once per queue depth in `depths`, for `secs` seconds each.
pub fn run_all(file: &Path, depths: &[usize], secs: u64) -> Outcome {
    let version = Command::new("fio")
        .arg("--version")
        .stderr(Stdio::null())
        .output();
    if !version.is_ok_and(|o| o.status.success()) {
        return Outcome::Skipped("there is no `fio` on the PATH".into());
    }
    let iops = depths
        .iter()
        .map(|&depth| {
            let iops = run(file, depth, secs);
            if let Err(e) = &iops {
                eprintln!("warning: fio at iodepth {depth}: {e}");
            }
            println!(
                "  fio io_uring randread iodepth={depth:<4} {}",
                iops.as_ref()
                    .map_or("failed".into(), |r| format!("{:.0} IOPS", r))
            );
            (depth, iops.ok())
        })
        .collect();
    Outcome::Ran { secs, iops }
}

/// The command line of one run.
pub fn args(file: &Path, depth: usize, secs: u64) -> Vec<String> {
    [
        "--name=randread",
        "--ioengine=io_uring",
        "--invalidate=0",
        "--rw=randread",
        "--bs=4k",
        "--size=256M",
        "--numjobs=1",
        "--time_based",
        "--output-format=json",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        format!("--filename={}", file.display()),
        format!("--iodepth={depth}"),
        format!("--runtime={secs}"),
    ])
    .collect()
}

fn run(file: &Path, depth: usize, secs: u64) -> Result<f64, String> {
    let output = Command::new("fio")
        .args(args(file, depth, secs))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    // fio may print warnings before the JSON document.
    let text = String::from_utf8_lossy(&output.stdout);
    let json = &text[text.find('{').ok_or("no JSON in fio's output")?..];
    let doc: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    doc["jobs"][0]["read"]["iops"]
        .as_f64()
        .ok_or_else(|| "no jobs[0].read.iops in fio's output".into())
}
