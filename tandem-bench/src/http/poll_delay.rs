//! Feature `io-poll-delay`: how long Tandem's HTTP server leaves a readable connection waiting
//! before its task is polled, per run (issue 15's "readable -> polled" figure).
//!
//! Tandem records the delays itself (`tandem::runtime::io_poll_delay`); the server process
//! writes its histogram to a file every [`EXPORT_PERIOD`] (the suite kills servers, so there is
//! no exit to write it at), and the suite reads the file after each Tandem run and prints the
//! quantiles. Tokio has no such counter; the figure is Tandem's alone.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

/// The variable that names the file (set by the suite, inherited by the servers).
const ENV: &str = "TANDEM_BENCH_POLL_DELAY_OUT";
/// How often the server rewrites the file.
const EXPORT_PERIOD: Duration = Duration::from_millis(100);

/// Suite side: names the file for the servers it starts from now on.
pub fn configure() {
    let path = std::env::temp_dir().join(format!("tandem-bench-poll-delay-{}", std::process::id()));
    // Set before any server starts, while the suite is single-threaded.
    std::env::set_var(ENV, path);
}

/// Server side: if the suite named a file, rewrites it with the histogram while the process
/// lives.
pub fn export() {
    let Some(path) = std::env::var_os(ENV).map(PathBuf::from) else {
        return;
    };
    let _ = std::fs::remove_file(&path);
    let spawned = std::thread::Builder::new()
        .name("poll-delay-export".into())
        .spawn(move || loop {
            std::thread::sleep(EXPORT_PERIOD);
            let mut text = Vec::new();
            for (low, high, count) in tandem::runtime::io_poll_delay().buckets() {
                let _ = writeln!(text, "{} {} {count}", low.as_nanos(), high.as_nanos());
            }
            // Written whole, then renamed: the suite never reads half a file.
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .is_err()
            {
                return;
            }
        });
    if let Err(e) = spawned {
        eprintln!("warning: cannot export the poll delays ({e})");
    }
}

/// Suite side, after a Tandem run: the quantiles of the last server's histogram, as a line.
pub fn summary() -> io::Result<String> {
    let path = std::env::var_os(ENV)
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("poll_delay::configure was not called"))?;
    // Let the server write the run's end.
    std::thread::sleep(EXPORT_PERIOD * 3);
    let text = std::fs::read_to_string(&path)?;
    let mut buckets = Vec::new();
    for line in text.lines() {
        let fields: Vec<u128> = line.split(' ').filter_map(|f| f.parse().ok()).collect();
        if let [_, high, count] = fields[..] {
            buckets.push((high, count as u64));
        }
    }
    let total: u64 = buckets.iter().map(|&(_, n)| n).sum();
    let quantile = |q: f64| {
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(high, n) in &buckets {
            seen += n;
            if seen >= rank {
                return format_ns(high);
            }
        }
        "-".to_owned()
    };
    Ok(format!(
        "readable -> polled (Tandem, {total} waits; each figure is its bucket's upper bound): \
         p50 <= {}, p90 <= {}, p99 <= {}, p99.9 <= {}, max <= {}",
        quantile(0.5),
        quantile(0.9),
        quantile(0.99),
        quantile(0.999),
        quantile(1.0)
    ))
}

fn format_ns(ns: u128) -> String {
    match ns {
        0..=9_999 => format!("{ns} ns"),
        10_000..=9_999_999 => format!("{} us", ns / 1_000),
        _ => format!("{} ms", ns / 1_000_000),
    }
}
