//! Interleaved sampling, table printing and JSON output (the statistics are [`crate::stats`]).
//!
//! The machines this runs on drift in speed by up to 2x over minutes, so a
//! Tandem number and a Tokio number are only comparable if they were taken
//! close together. For every workload the harness therefore:
//!
//! 1. builds one Tandem and one Tokio runtime (through the workload's
//!    constructor) and keeps both for all of that workload's samples;
//! 2. warms both up, alternating, and picks one iteration count per sample
//!    for both, from the slower of the two, so that a sample lasts about
//!    [`Config::sample_target`];
//! 3. takes the samples in rounds, one Tandem and one Tokio sample per round,
//!    swapping which goes first every round;
//! 4. reports each runtime's median time per iteration with its spread, and
//!    the median of the per-round Tandem/Tokio ratios (robust to drift, as
//!    both halves of a ratio were measured seconds apart at most).
//!
//! A workload on which one runtime is pathologically slow gets fewer samples
//! (at least 3), so that its sampling takes at most 3x its planned time or
//! 10 s, whichever is longer; its row says so.
//!
//! A watchdog aborts the process if any single step (building a runtime, one
//! sample, dropping a runtime) takes longer than [`WATCHDOG_TIMEOUT`], which
//! in practice means a lost wake-up or a deadlock in the runtime under test.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::rt::{Rt, Tandem, Tokio};
use crate::stats::{fmt_spread, fmt_three_digits, json_num, Stats};

/// Settings shared by all suites.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker threads of each runtime (the same for both).
    pub workers: usize,
    /// Samples per runtime and workload.
    pub samples: usize,
    /// Minimum wall time spent warming up each runtime, per workload.
    pub warmup: Duration,
    /// Intended duration of one sample (of the slower runtime).
    pub sample_target: Duration,
    /// Whether `--quick` was given (recorded in the JSON).
    pub quick: bool,
    /// Run Tokio in both columns (`--tokio-vs-tokio`): how far apart two
    /// identical runtimes measure is the noise floor of every ratio.
    pub tokio_vs_tokio: bool,
}

impl Config {
    /// The names of the two columns.
    pub fn labels(&self) -> [&'static str; 2] {
        if self.tokio_vs_tokio {
            ["Tokio-A", "Tokio-B"]
        } else {
            [Tandem::NAME, Tokio::NAME]
        }
    }

    /// A rough estimate of the time one workload takes with these settings.
    pub fn estimate_per_workload(&self) -> Duration {
        // Two runtimes, each warmed up and sampled; doubled for building
        // runtimes, per-sample set-up, and iterations longer than the target
        // (one of `spawn_many_remote_busy2` takes ~80 ms on Tokio).
        let per_runtime = self.warmup + self.sample_target * self.samples as u32;
        per_runtime * 2 * 2
    }
}

/// One measurement of a runtime: runs the workload `iters` times and returns
/// the time measured, which excludes any per-sample setup and teardown.
pub type Sampler = Box<dyn FnMut(u64) -> Duration>;

/// A workload, instantiated for both runtimes.
///
/// Build one with [`workload!`](crate::workload) from a generic constructor
/// `fn<R: Rt>(&Config) -> Sampler`, which builds its runtime and any state
/// kept across samples (channels, counters), and returns the sampler owning
/// them.
pub struct Workload {
    /// Name printed in the table.
    pub name: &'static str,
    /// One line on what one iteration does.
    pub about: &'static str,
    /// The constructor instantiated for Tandem.
    pub tandem: fn(&Config) -> Sampler,
    /// The constructor instantiated for Tokio.
    pub tokio: fn(&Config) -> Sampler,
}

/// `workload!(f, "about")` makes a [`Workload`] named after the generic
/// constructor `f`, instantiated for both runtimes.
#[macro_export]
macro_rules! workload {
    ($ctor:ident, $about:expr) => {
        $crate::harness::Workload {
            name: stringify!($ctor),
            about: $about,
            tandem: $ctor::<$crate::rt::Tandem>,
            tokio: $ctor::<$crate::rt::Tokio>,
        }
    };
}

/// Results of one workload: time per iteration of every sample, in ns.
pub struct Row {
    /// The workload's name.
    pub name: &'static str,
    /// Iterations per sample (the same for both runtimes).
    pub iters: u64,
    /// Each column's samples ([`Config::labels`]: Tandem, then Tokio), ns per
    /// iteration, in the order taken; `samples[0][i]` and `samples[1][i]`
    /// were taken right after one another.
    pub samples: [Vec<f64>; 2],
}

impl Row {
    /// Tandem/Tokio for each round.
    pub fn ratios(&self) -> Vec<f64> {
        self.samples[0]
            .iter()
            .zip(&self.samples[1])
            .map(|(a, b)| a / b)
            .collect()
    }
}

/// The results of one suite.
pub struct SuiteReport {
    /// The suite's name.
    pub name: &'static str,
    /// One row per workload run.
    pub rows: Vec<Row>,
}

/// How long one step may take before the watchdog declares a hang.
pub const WATCHDOG_TIMEOUT: Duration = Duration::from_secs(30);

/// What is running now, and since when; `None` between steps.
static CURRENT_STEP: Mutex<Option<(String, Instant)>> = Mutex::new(None);

/// Starts the watchdog thread; see the module documentation.
pub fn start_watchdog() {
    std::thread::Builder::new()
        .name("bench-watchdog".into())
        .spawn(|| loop {
            std::thread::sleep(Duration::from_millis(250));
            let current = CURRENT_STEP.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((what, since)) = &*current {
                if since.elapsed() > WATCHDOG_TIMEOUT {
                    eprintln!(
                        "\nwatchdog: {what} has not finished after {} s (a sample normally \
                         takes milliseconds): a lost wake-up or deadlock? Aborting.",
                        WATCHDOG_TIMEOUT.as_secs()
                    );
                    std::process::exit(3);
                }
            }
        })
        .expect("failed to start the watchdog thread");
}

/// Runs `f` under the watchdog, described as `what`.
fn watched<T>(what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
    *CURRENT_STEP.lock().unwrap_or_else(|e| e.into_inner()) = Some((what(), Instant::now()));
    let out = f();
    *CURRENT_STEP.lock().unwrap_or_else(|e| e.into_inner()) = None;
    out
}

/// How many times its planned duration the sampling of a workload may take,
/// when one of the runtimes is very slow at it, before it gets fewer samples...
const SLOW_BUDGET_FACTOR: u32 = 3;
/// ...unless it fits in this anyway.
const SLOW_BUDGET_MIN: Duration = Duration::from_secs(10);
/// The fewest samples a workload gets, however slow.
const MIN_ROUNDS: usize = 3;
/// An iteration this long is warm-up enough on its own.
const SLOW_ITERATION: Duration = Duration::from_secs(1);

const NAME_WIDTH: usize = 26;
const COLUMN_WIDTH: usize = 20;

/// Runs `workloads` and prints a table, one row as soon as each finishes.
pub fn run_suite(name: &'static str, workloads: &[&Workload], cfg: &Config) -> SuiteReport {
    let [a, b] = cfg.labels();
    println!();
    println!(
        "{name}: time per iteration, median ±(p75-p25)/2; ratio: median [p25-p75] of the \
         per-round {a}/{b} ratios, lower is better"
    );
    println!(
        "{:<NAME_WIDTH$}{a:>COLUMN_WIDTH$}{b:>COLUMN_WIDTH$}  {a}/{b}",
        "workload"
    );
    let mut rows = Vec::with_capacity(workloads.len());
    for workload in workloads {
        let row = run_workload(workload, cfg);
        print_row(&row, cfg);
        rows.push(row);
    }
    SuiteReport { name, rows }
}

fn print_row(row: &Row, cfg: &Config) {
    let cell = |samples: &[f64]| {
        let s = Stats::of(samples);
        format!("{} {}", fmt_ns(s.median), fmt_spread(s.spread_pct()))
    };
    let ratio = Stats::of(&row.ratios());
    let taken = row.samples[0].len();
    let note = if taken < cfg.samples {
        format!("  (slow: only {taken} samples)")
    } else {
        String::new()
    };
    println!(
        "{:<NAME_WIDTH$}{:>COLUMN_WIDTH$}{:>COLUMN_WIDTH$}  {} [{}-{}]{note}",
        row.name,
        cell(&row.samples[0]),
        cell(&row.samples[1]),
        fmt_three_digits(ratio.median),
        fmt_three_digits(ratio.p25),
        fmt_three_digits(ratio.p75),
    );
    let _ = io::stdout().flush();
}

/// Measures one workload on both runtimes, interleaved.
fn run_workload(workload: &Workload, cfg: &Config) -> Row {
    let labels = cfg.labels();
    let name = workload.name;
    let constructors = if cfg.tokio_vs_tokio {
        [workload.tokio, workload.tokio]
    } else {
        [workload.tandem, workload.tokio]
    };
    let mut samplers: [Sampler; 2] = [0, 1].map(|i| {
        watched(
            || format!("building {} for {name}", labels[i]),
            || constructors[i](cfg),
        )
    });

    // Warm up, alternating single iterations, until each runtime has had at
    // least `cfg.warmup` of wall time and two iterations (or one of a second
    // or more: that is warm enough, and there may be a lot of them to come).
    let mut spent = [Duration::ZERO; 2];
    let mut per_iter: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let warm = |spent: Duration, v: &Vec<Duration>| {
        spent >= cfg.warmup && (v.len() >= 2 || v.iter().sum::<Duration>() >= SLOW_ITERATION)
    };
    while (0..2).any(|i| !warm(spent[i], &per_iter[i])) {
        for (i, sampler) in samplers.iter_mut().enumerate() {
            if warm(spent[i], &per_iter[i]) {
                continue; // Only the other one still needs warming up.
            }
            let start = Instant::now();
            let t = watched(|| format!("{} {name} (warm-up)", labels[i]), || sampler(1));
            spent[i] += start.elapsed();
            per_iter[i].push(t);
        }
    }
    // Iterations per sample, from the slower runtime's typical iteration
    // (the median of the second half of the warm-up).
    let typical = per_iter
        .iter_mut()
        .map(|v| {
            let half = v.len() / 2;
            let tail = &mut v[half..];
            tail.sort();
            tail[tail.len() / 2]
        })
        .max()
        .expect("two runtimes");
    let iters = (cfg.sample_target.as_nanos() / typical.as_nanos().max(1)).max(1) as u64;

    // A runtime that is pathologically slow at this workload (seconds per
    // iteration) would make the run take many minutes: cap the rounds so the
    // sampling takes at most `SLOW_BUDGET_FACTOR` times its planned time or
    // `SLOW_BUDGET_MIN`, whichever is longer, but keep `MIN_ROUNDS` for a
    // median. `print_row` flags the shortened rows.
    let planned = cfg.sample_target * cfg.samples as u32 * 2;
    let budget = (planned * SLOW_BUDGET_FACTOR).max(SLOW_BUDGET_MIN);
    let round_time = typical * iters as u32 * 2;
    let affordable = budget.as_nanos() / round_time.as_nanos().max(1);
    let rounds = cfg.samples.min((affordable as usize).max(MIN_ROUNDS));

    let mut per_iter_ns: [Vec<f64>; 2] = [Vec::with_capacity(rounds), Vec::with_capacity(rounds)];
    for round in 0..rounds {
        // ABBA ordering: neither runtime always runs right after the other.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let t = watched(
                || format!("{} {name} (sample {})", labels[i], round + 1),
                || samplers[i](iters),
            );
            per_iter_ns[i].push(t.as_nanos() as f64 / iters as f64);
        }
    }

    for (sampler, label) in samplers.into_iter().zip(labels) {
        watched(
            || format!("dropping the {label} runtime of {name}"),
            || drop(sampler),
        );
    }

    Row {
        name,
        iters,
        samples: per_iter_ns,
    }
}

/// Formats nanoseconds with three significant digits and a fitting unit.
pub fn fmt_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", fmt_three_digits(value))
}

/// Formats a duration for humans, e.g. in the estimate.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 90.0 {
        format!("{:.0} s", secs.max(1.0))
    } else {
        format!("{:.1} min", secs / 60.0)
    }
}

/// The Cargo target directory the executable was built in (found as the profile directory's
/// parent, marked by Cargo's `CACHEDIR.TAG`), or else `target` under the current directory.
pub fn target_dir() -> PathBuf {
    let target = std::env::current_exe().ok().and_then(|exe| {
        let target = exe.parent()?.parent()?;
        target
            .join("CACHEDIR.TAG")
            .is_file()
            .then(|| target.to_path_buf())
    });
    target.unwrap_or_else(|| PathBuf::from("target"))
}

/// Writes all results as JSON to `path`.
pub fn write_json(path: &Path, cfg: &Config, reports: &[SuiteReport]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, to_json(cfg, reports))
}

fn to_json(cfg: &Config, reports: &[SuiteReport]) -> String {
    let labels = cfg.labels();
    let [a, b] = labels.map(str::to_lowercase);
    let suites: Vec<Value> = reports
        .iter()
        .map(|report| {
            let workloads: Vec<Value> = report
                .rows
                .iter()
                .map(|row| {
                    let ratio = Stats::of(&row.ratios());
                    json!({
                        "name": row.name,
                        "iters_per_sample": row.iters,
                        "ratio": {
                            "median": json_num(ratio.median),
                            "p25": json_num(ratio.p25),
                            "p75": json_num(ratio.p75),
                        },
                        (a.as_str()): runtime_json(&row.samples[0]),
                        (b.as_str()): runtime_json(&row.samples[1]),
                    })
                })
                .collect();
            json!({ "suite": report.name, "workloads": workloads })
        })
        .collect();
    let doc = json!({
        "mode": format!("{a}-vs-{b}"),
        "workers": cfg.workers,
        "samples": cfg.samples,
        "quick": cfg.quick,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "unit": "ns per iteration",
        "suites": suites,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    text
}

/// One column's samples of a row: their statistics, and every sample in the order taken.
fn runtime_json(samples: &[f64]) -> Value {
    let s = Stats::of(samples);
    json!({
        "median": json_num(s.median),
        "p25": json_num(s.p25),
        "p75": json_num(s.p75),
        "min": json_num(s.min),
        "max": json_num(s.max),
        "samples": samples.iter().map(|&x| json_num(x)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_three_digits() {
        assert_eq!(fmt_ns(812.0), "812 ns");
        assert_eq!(fmt_ns(1_234.0), "1.23 µs");
        assert_eq!(fmt_ns(45_600_000.0), "45.6 ms");
        assert_eq!(fmt_ns(2.5e9), "2.50 s");
    }

    #[test]
    fn json_has_every_sample_and_the_ratios() {
        let cfg = Config {
            workers: 2,
            samples: 2,
            warmup: Duration::ZERO,
            sample_target: Duration::ZERO,
            quick: true,
            tokio_vs_tokio: false,
        };
        let report = SuiteReport {
            name: "sched",
            rows: vec![Row {
                name: "w \"quoted\"",
                iters: 3,
                samples: [vec![1.0, 2.0], vec![2.0, 2.0]],
            }],
        };
        let parsed: Value = serde_json::from_str(&to_json(&cfg, &[report])).unwrap();
        assert_eq!(parsed["mode"], "tandem-vs-tokio");
        assert_eq!(parsed["unit"], "ns per iteration");
        let workload = &parsed["suites"][0]["workloads"][0];
        assert_eq!(parsed["suites"][0]["suite"], "sched");
        assert_eq!(workload["name"], "w \"quoted\"");
        assert_eq!(workload["iters_per_sample"], 3);
        assert_eq!(workload["ratio"]["median"], 0.75);
        assert_eq!(workload["tandem"]["median"], 1.5);
        assert_eq!(workload["tandem"]["samples"], json!([1.0, 2.0]));
        assert_eq!(workload["tokio"]["max"], 2.0);
    }
}
