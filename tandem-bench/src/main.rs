//! `tandem-bench`: Tandem against Tokio, side by side.
//!
//! `cargo run --release -p tandem-bench` runs every suite with short
//! durations and prints one table per suite; `-- sched` runs only the
//! scheduler suite. See `--help` for the options and `harness` for how the
//! two runtimes are measured fairly.

mod harness;
mod rt;
mod suites;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use harness::{Config, SuiteReport, Workload};

/// A suite the binary knows of.
struct Suite {
    name: &'static str,
    about: &'static str,
    /// `None` for a suite that is planned but not written yet.
    workloads: Option<fn() -> Vec<Workload>>,
}

/// Every suite, in the order they run by default.
const SUITES: &[Suite] = &[
    Suite {
        name: "sched",
        about: "the multi-thread scheduler: spawning, waking, yielding (Tokio's rt_multi_threaded)",
        workloads: Some(suites::sched::workloads),
    },
    Suite {
        name: "timer",
        about: "timers: inserting and cancelling, firing many (Tandem's time wheel vs Tokio's)",
        workloads: Some(suites::timer::workloads),
    },
    Suite {
        name: "net",
        about: "TCP: echo round trips, connection churn (not written yet)",
        workloads: None,
    },
    Suite {
        name: "http",
        about: "an HTTP/1.1 server under load (not written yet)",
        workloads: None,
    },
    Suite {
        name: "fs",
        about: "file reads and writes (not written yet)",
        workloads: None,
    },
];

/// Samples per runtime and workload by default, and with `--quick`.
const DEFAULT_SAMPLES: usize = 50;
const QUICK_SAMPLES: usize = 10;

const USAGE: &str = "\
Usage: tandem-bench [SUITE[/FILTER]]... [OPTIONS]

Runs benchmark suites on Tandem and on Tokio, interleaved sample by sample,
and prints median times per iteration and the Tandem/Tokio ratio.

Arguments:
  SUITE          a suite to run (default: every suite that exists)
  SUITE/FILTER   only that suite's workloads whose name contains FILTER

Options:
  --workers N    worker threads of each runtime (default: number of CPUs)
  --samples N    samples per runtime and workload (default: 50; 10 with --quick;
                 fewer, at least 3, where a runtime takes seconds per iteration)
  --quick        shorter warm-up and samples, for CI smoke runs
  --json PATH    also write all results as JSON to PATH
  --tokio-vs-tokio
                 run Tokio in both columns: the spread of those ratios around
                 1.00 is the noise floor of the Tandem/Tokio ratios
  --list         list the suites and their workloads, then exit
  -h, --help     print this help";

/// Parsed command line.
struct Args {
    selections: Vec<String>,
    workers: Option<usize>,
    samples: Option<usize>,
    quick: bool,
    json: Option<PathBuf>,
    list: bool,
    tokio_vs_tokio: bool,
}

/// What `parse_args` wants `main` to do.
enum Command {
    Run(Args),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut parsed = Args {
        selections: Vec::new(),
        workers: None,
        samples: None,
        quick: false,
        json: None,
        list: false,
        tokio_vs_tokio: false,
    };
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if arg.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline {
                Some(v) => Ok(v.to_string()),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => parsed.quick = true,
            "--list" => parsed.list = true,
            "--tokio-vs-tokio" => parsed.tokio_vs_tokio = true,
            "--workers" => parsed.workers = Some(positive(&flag, &value(&flag)?)?),
            "--samples" => parsed.samples = Some(positive(&flag, &value(&flag)?)?),
            "--json" => parsed.json = Some(PathBuf::from(value(&flag)?)),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => parsed.selections.push(arg),
        }
    }
    Ok(Command::Run(parsed))
}

fn positive(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} needs a positive integer, not {value:?}")),
    }
}

/// Resolves the positional arguments into the workloads to run, per suite.
fn select(selections: &[String]) -> Result<Vec<(&'static Suite, Vec<Workload>)>, String> {
    if selections.is_empty() {
        return Ok(SUITES
            .iter()
            .filter_map(|suite| suite.workloads.map(|w| (suite, w())))
            .collect());
    }
    let mut chosen: Vec<(&'static Suite, Vec<Workload>)> = Vec::new();
    for selection in selections {
        let (name, filter) = match selection.split_once('/') {
            Some((name, filter)) => (name, Some(filter)),
            None => (selection.as_str(), None),
        };
        let names: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
        let suite = SUITES
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("unknown suite {name:?} (known: {})", names.join(", ")))?;
        let workloads = suite
            .workloads
            .ok_or_else(|| format!("suite {name:?} is not written yet"))?;
        let picked: Vec<Workload> = workloads()
            .into_iter()
            .filter(|w| filter.is_none_or(|f| w.name.contains(f)))
            .collect();
        if picked.is_empty() {
            return Err(format!("no workload of {name:?} matches {selection:?}"));
        }
        match chosen.iter_mut().find(|(s, _)| s.name == suite.name) {
            // `sched/ping sched/yield`: one table with both.
            Some((_, already)) => {
                for w in picked {
                    if !already.iter().any(|a| a.name == w.name) {
                        already.push(w);
                    }
                }
            }
            None => chosen.push((suite, picked)),
        }
    }
    Ok(chosen)
}

fn list() {
    for suite in SUITES {
        println!("{:<8}{}", suite.name, suite.about);
        for w in suite.workloads.map(|w| w()).unwrap_or_default() {
            println!("  {:<26}{}", w.name, w.about);
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        list();
        return ExitCode::SUCCESS;
    }
    let plan = match select(&args.selections) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };

    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cfg = Config {
        workers: args.workers.unwrap_or(cpus),
        samples: args.samples.unwrap_or(if args.quick {
            QUICK_SAMPLES
        } else {
            DEFAULT_SAMPLES
        }),
        warmup: Duration::from_millis(if args.quick { 50 } else { 200 }),
        sample_target: Duration::from_millis(if args.quick { 5 } else { 10 }),
        quick: args.quick,
        tokio_vs_tokio: args.tokio_vs_tokio,
    };

    let workload_count: usize = plan.iter().map(|(_, w)| w.len()).sum();
    let suite_list: Vec<String> = plan
        .iter()
        .map(|(s, w)| match w.len() {
            1 => format!("{} (1 workload)", s.name),
            n => format!("{} ({n} workloads)", s.name),
        })
        .collect();
    let [a, b] = cfg.labels();
    println!(
        "tandem-bench: {} on {a} vs {b}, {} worker threads each ({cpus} CPUs), {} interleaved \
         samples per runtime; roughly {}.",
        suite_list.join(", "),
        cfg.workers,
        cfg.samples,
        harness::fmt_duration(cfg.estimate_per_workload() * workload_count as u32),
    );

    harness::start_watchdog();
    let started = Instant::now();
    let reports: Vec<SuiteReport> = plan
        .iter()
        .map(|(suite, workloads)| {
            let workloads: Vec<&Workload> = workloads.iter().collect();
            harness::run_suite(suite.name, &workloads, &cfg)
        })
        .collect();
    println!("\nDone in {}.", harness::fmt_duration(started.elapsed()));

    if let Some(path) = &args.json {
        if let Err(e) = harness::write_json(path, &cfg, &reports) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("Results written to {}.", path.display());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_flags_and_suites() {
        let Ok(Command::Run(a)) = parse(&[
            "sched",
            "--workers",
            "3",
            "--samples=7",
            "--quick",
            "--json",
            "out.json",
        ]) else {
            panic!("did not parse");
        };
        assert_eq!(a.selections, ["sched"]);
        assert_eq!((a.workers, a.samples, a.quick), (Some(3), Some(7), true));
        assert_eq!(a.json, Some(PathBuf::from("out.json")));
        assert!(parse(&["--workers", "0"]).is_err());
        assert!(parse(&["--samples"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
    }

    #[test]
    fn selects_suites_and_workloads() {
        let all = select(&[]).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.len(), 7);
        assert_eq!(all[1].0.name, "timer");
        let some = select(&["sched/spawn_many".into(), "sched/ping".into()]).unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].1.len(), 5);
        assert!(select(&["net".into()]).is_err());
        assert!(select(&["nope".into()]).is_err());
        assert!(select(&["sched/nope".into()]).is_err());
    }
}
