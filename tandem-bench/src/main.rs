//! `tandem-bench`: Tandem against Tokio, side by side.
//!
//! `cargo run --release -p tandem-bench` runs every suite with short
//! durations and prints one table per suite; `-- sched` runs only the
//! scheduler suite. See `--help` for the options and `harness` for how the
//! two runtimes are measured fairly. The HTTP suite (`-- http`) has its own
//! driver, servers and load generator: see `http`; so does the fs suite
//! (`-- fs`), which has five contenders rather than two: see `fs`.

mod fs;
mod harness;
mod http;
mod rt;
mod stats;
mod suites;
mod svg;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use harness::{Config, SuiteReport, Workload};

/// A suite the binary knows of.
struct Suite {
    name: &'static str,
    about: &'static str,
    kind: Kind,
}

/// How a suite is run.
#[derive(Clone, Copy)]
enum Kind {
    /// Workloads measured side by side by `harness::run_suite`.
    Workloads(fn() -> Vec<Workload>),
    /// The HTTP suite: servers in processes of their own under a load generator (`http`).
    Http,
    /// The fs suite: five contenders, rounds of its own (`fs`).
    Fs,
}

/// Every suite, in the order they run by default.
const SUITES: &[Suite] = &[
    Suite {
        name: "sched",
        about: "the multi-thread scheduler: spawning, waking, yielding (Tokio's rt_multi_threaded)",
        kind: Kind::Workloads(suites::sched::workloads),
    },
    Suite {
        name: "timer",
        about: "timers: inserting and cancelling, firing many (Tandem's time wheel vs Tokio's)",
        kind: Kind::Workloads(suites::timer::workloads),
    },
    Suite {
        name: "sync",
        about: "each runtime's own sync primitives: mpsc, oneshot, Mutex, RwLock, Semaphore, \
                Notify, broadcast, watch",
        kind: Kind::Workloads(suites::sync::workloads),
    },
    Suite {
        name: "net",
        about: "TCP: 64-byte echo round trips over loopback, 1 and 100 connections",
        kind: Kind::Workloads(suites::net::workloads),
    },
    Suite {
        name: "http",
        about: "hello-world HTTP/1.1 servers (blocking std, hyper on Tandem and on Tokio) under a \
                wrk-like load: the published table",
        kind: Kind::Http,
    },
    Suite {
        name: "fs",
        about: "file reads and writes, page cache warm: Tandem (io_uring and blocking pool), \
                Tokio (blocking pool and io_uring), blocking std; fio",
        kind: Kind::Fs,
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
    http: http::Options,
    fs: fs::Options,
}

/// What `parse_args` wants `main` to do.
enum Command {
    Run(Box<Args>),
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
        http: http::Options::default(),
        fs: fs::Options::default(),
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
            _ if arg.starts_with('-') => {
                let taken = match parsed.fs.parse_flag(&flag, || value(&flag)) {
                    Some(taken) => Some(taken),
                    None => parsed.http.parse_flag(&flag, || value(&flag)),
                };
                match taken {
                    Some(taken) => taken?,
                    None => return Err(format!("unknown option {arg}")),
                }
            }
            _ => parsed.selections.push(arg),
        }
    }
    Ok(Command::Run(Box::new(parsed)))
}

/// `value` as a count above zero, or the error every flag that takes one prints.
pub(crate) fn positive(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} needs a positive integer, not {value:?}")),
    }
}

/// Resolves the positional arguments into the workloads to run, per suite. The HTTP and
/// fs suites get no workloads here: the fs suite's filters are picked by [`fs_filters`].
fn select(selections: &[String]) -> Result<Vec<(&'static Suite, Vec<Workload>)>, String> {
    if selections.is_empty() {
        return Ok(SUITES
            .iter()
            .map(|suite| match suite.kind {
                Kind::Workloads(w) => (suite, w()),
                Kind::Http | Kind::Fs => (suite, Vec::new()),
            })
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
        let workloads = match suite.kind {
            Kind::Workloads(w) => w,
            Kind::Http if filter.is_some() => {
                return Err(format!(
                    "{selection:?}: the http suite has no filter, see --servers"
                ));
            }
            Kind::Http => {
                if !chosen.iter().any(|(s, _)| s.name == suite.name) {
                    chosen.push((suite, Vec::new()));
                }
                continue;
            }
            Kind::Fs => {
                if !chosen.iter().any(|(s, _)| s.name == suite.name) {
                    chosen.push((suite, Vec::new()));
                }
                continue;
            }
        };
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

/// The fs suite's filters: the `FILTER` of every `fs/FILTER` (none: every workload).
fn fs_filters(selections: &[String]) -> Vec<String> {
    selections
        .iter()
        .filter_map(|s| s.strip_prefix("fs/"))
        .map(String::from)
        .collect()
}

fn list() {
    for suite in SUITES {
        println!("{:<8}{}", suite.name, suite.about);
        if let Kind::Workloads(workloads) = suite.kind {
            for w in workloads() {
                println!("  {:<26}{}", w.name, w.about);
            }
        }
        if let Kind::Http = suite.kind {
            for arch in http::Arch::ALL {
                println!("  {:<26}{}", arch.name(), arch.label());
            }
        }
        if let Kind::Fs = suite.kind {
            let plan = fs::Options::default().plan(http::Mode::Selected, Vec::new());
            for w in plan.workloads() {
                println!("  {:<26}{} tasks, {} ops", w.name, w.tasks, w.ops);
            }
        }
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().is_some_and(|first| first == "serve") {
        // A server process of the HTTP suite (hidden from --help).
        return http::server::main(argv.skip(1));
    }
    let args = match parse_args(argv) {
        Ok(Command::Run(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}\n\n{}\n\n{}", http::USAGE, fs::USAGE);
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

    let http_mode = match (args.quick, args.selections.is_empty()) {
        (true, _) => http::Mode::Quick,
        (false, true) => http::Mode::EverySuite,
        (false, false) => http::Mode::Selected,
    };
    let http_plan = args.http.plan(http_mode, cfg.workers);
    let fs_plan = args.fs.plan(http_mode, fs_filters(&args.selections));
    let fs_workloads = fs_plan.workloads();
    let workload_count: usize = plan.iter().map(|(_, w)| w.len()).sum();
    let runs_http = plan.iter().any(|(s, _)| matches!(s.kind, Kind::Http));
    let suite_list: Vec<String> = plan
        .iter()
        .map(|(s, w)| match (s.kind, w.len()) {
            (Kind::Http, _) => format!("{} ({})", s.name, http_plan.outline()),
            (Kind::Fs, _) => format!("{} ({} workloads)", s.name, fs_workloads.len()),
            (_, 1) => format!("{} (1 workload)", s.name),
            (_, n) => format!("{} ({n} workloads)", s.name),
        })
        .collect();
    let http_estimate = if runs_http {
        http_plan.estimate()
    } else {
        Duration::ZERO
    };
    let fs_estimate = match plan.iter().any(|(s, _)| matches!(s.kind, Kind::Fs)) {
        true => fs_plan.estimate(&fs_workloads),
        false => Duration::ZERO,
    };
    let [a, b] = cfg.labels();
    // The HTTP suite explains its own sampling when it starts.
    let samples = match workload_count {
        0 => String::new(),
        _ => format!(", {} interleaved samples per runtime", cfg.samples),
    };
    println!(
        "tandem-bench: {} on {a} vs {b}, {} worker threads each ({cpus} CPUs){samples}; \
         roughly {}.",
        suite_list.join(", "),
        cfg.workers,
        harness::fmt_duration(
            cfg.estimate_per_workload() * workload_count as u32 + http_estimate + fs_estimate
        ),
    );

    harness::start_watchdog();
    let started = Instant::now();
    let mut reports: Vec<SuiteReport> = Vec::new();
    let mut failed = false;
    for (suite, workloads) in &plan {
        if let Kind::Http = suite.kind {
            if let Err(e) = http::run(&http_plan) {
                eprintln!("error: {e}");
                failed = true;
            }
            continue;
        }
        if let Kind::Fs = suite.kind {
            if let Err(e) = fs::run(&fs_plan) {
                eprintln!("error: {e}");
                failed = true;
            }
            continue;
        }
        let workloads: Vec<&Workload> = workloads.iter().collect();
        reports.push(harness::run_suite(suite.name, &workloads, &cfg));
    }
    println!("\nDone in {}.", harness::fmt_duration(started.elapsed()));

    if let Some(path) = &args.json {
        if let Err(e) = harness::write_json(path, &cfg, &reports) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("Results written to {}.", path.display());
    }
    if failed {
        return ExitCode::FAILURE;
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
    fn passes_the_http_flags_to_the_http_suite() {
        let Ok(Command::Run(a)) = parse(&[
            "http",
            "--threads=2",
            "--connections",
            "100",
            "--servers",
            "tandem,tokio",
            "--wrk",
        ]) else {
            panic!("did not parse");
        };
        let plan = a.http.plan(http::Mode::Selected, 2);
        assert_eq!((plan.threads, plan.wrk), (2, true));
        let [load] = &plan.loads[..] else {
            panic!("--connections gives one load: {:?}", plan.loads);
        };
        assert_eq!(load.connections, 100);
        assert_eq!(load.servers, [http::Arch::Tandem, http::Arch::Tokio]);
        assert!(parse(&["--connections", "0"]).is_err());
        assert!(parse(&["--servers", "nginx"]).is_err());
    }

    #[test]
    fn selects_suites_and_workloads() {
        let all = select(&[]).unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].1.len(), suites::sched::workloads().len());
        assert_eq!(all[1].1.len(), suites::timer::workloads().len());
        assert_eq!(all[1].0.name, "timer");
        assert_eq!(
            (all[2].0.name, all[2].1.len()),
            ("sync", suites::sync::workloads().len())
        );
        assert_eq!(all[3].0.name, "net");
        assert_eq!((all[4].0.name, all[4].1.len()), ("http", 0));
        let some = select(&["sched/spawn_many".into(), "sched/ping".into()]).unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].1.len(), 5);
        assert_eq!(select(&["net".into()]).unwrap()[0].1.len(), 4);
        assert_eq!(select(&["http".into(), "http".into()]).unwrap().len(), 1);
        assert!(select(&["http/tandem".into()]).is_err());
        assert_eq!((all[5].0.name, all[5].1.len()), ("fs", 0));
        assert_eq!(select(&["fs/rand".into(), "fs".into()]).unwrap().len(), 1);
        assert_eq!(fs_filters(&["fs/rand".into(), "sched".into()]), ["rand"]);
        assert!(select(&["nope".into()]).is_err());
        assert!(select(&["sched/nope".into()]).is_err());
    }
}
