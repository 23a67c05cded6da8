//! Running the HTTP suite: each load in turn, in rounds of runs, with progress bars, and its
//! results at its end.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::child::Server;
use super::cpu::CpuTime;
use super::loadgen::{self, Load};
use super::report::{self, fmt_ms, fmt_secs, CpuPerResponse, Measurement, Summary};
use super::svg::{self, Bars};
use super::timeline_svg::{self, Runs};
use super::{server, wrk, Arch, LoadLevel, Plan};
use crate::harness::fmt_duration;
use crate::stats::fmt_count;

/// Runs `plan`, prints the table and writes the JSON and SVG files.
pub fn run(plan: &Plan) -> Result<(), String> {
    #[cfg(feature = "io-poll-delay")]
    super::poll_delay::configure();
    let wrk = match plan.wrk {
        true => Some(wrk::find().ok_or("--wrk: there is no `wrk` on the PATH")?),
        false => None,
    };
    let loads: Vec<String> = plan
        .loads
        .iter()
        .map(|load| {
            let names: Vec<&str> = load.servers.iter().map(|a| a.name()).collect();
            format!(
                "{} keep-alive connections to {}",
                fmt_count(load.connections as u64),
                names.join(", ")
            )
        })
        .collect();
    println!();
    println!(
        "http: hello-world servers ({} workers for Tandem and Tokio), each in its own process, \
         loaded by {} with {} threads for {} per run, {} runs each, Tandem and Tokio \
         alternating; {}: {}; roughly {}.",
        plan.workers,
        if wrk.is_some() {
            "wrk"
        } else {
            "the built-in load generator"
        },
        plan.threads,
        fmt_secs(plan.duration),
        plan.runs,
        match plan.loads.len() {
            1 => "one load".to_string(),
            n => format!("{n} loads, one after the other"),
        },
        loads.join("; then "),
        fmt_duration(plan.estimate()),
    );
    for load in &plan.loads {
        run_load(plan, load, wrk.as_deref())?;
    }
    Ok(())
}

/// Runs every server of `load` `plan.runs` times, prints the table and writes the files.
fn run_load(plan: &Plan, load: &LoadLevel, wrk: Option<&Path>) -> Result<(), String> {
    // Everything below reads the load generator's threads from the plan.
    let plan = &Plan {
        threads: load.threads,
        ..plan.clone()
    };
    println!();
    println!(
        "-t{} -c{}: {} servers; roughly {}.",
        plan.threads,
        load.connections,
        load.servers.len(),
        fmt_duration(plan.estimate_load(load))
    );
    let progress = Progress::new(plan, load);
    let mut runs: Vec<Vec<Measurement>> = vec![Vec::new(); load.servers.len()];
    for round in 0..plan.runs {
        for index in round_order(&load.servers, round) {
            let arch = load.servers[index];
            let bar = &progress.bars[index];
            bar.set_message(format!(
                "run {}/{}: starting the server",
                round + 1,
                plan.runs
            ));
            let done_before = plan.duration * round as u32;
            let measured = measure(arch, plan, load, wrk, |elapsed, responses| {
                bar.set_position((done_before + elapsed).as_millis() as u64);
                let rate = responses.map_or(String::new(), |n| {
                    format!(
                        ", {} req/s",
                        fmt_count((n as f64 / elapsed.as_secs_f64()) as u64)
                    )
                });
                bar.set_message(format!("run {}/{}{rate}", round + 1, plan.runs));
            });
            let measured = match measured {
                Ok(m) => m,
                Err(e) => {
                    progress.clear();
                    return Err(format!("{} run {}: {e}", arch.label(), round + 1));
                }
            };
            bar.set_position((plan.duration * (round as u32 + 1)).as_millis() as u64);
            let first_served = match measured.first_served {
                Some(_) => format!(
                    ", first responses within {}",
                    fmt_ms(measured.first_served_spread_ms())
                ),
                None => String::new(),
            };
            progress.line(&format!(
                "  {:<26} run {}/{}: {} req/s, p50 {}, p99 {}, {} errors{first_served}",
                arch.label(),
                round + 1,
                plan.runs,
                fmt_count(measured.rate.round() as u64),
                fmt_ms(measured.latency_ms[0]),
                fmt_ms(measured.latency_ms[3]),
                fmt_count(measured.errors.total()),
            ));
            runs[index].push(measured);
        }
    }
    progress.clear();

    let tokio = load
        .servers
        .iter()
        .position(|&a| a == Arch::Tokio)
        .map(|i| runs[i].clone());
    let summaries: Vec<Summary> = load
        .servers
        .iter()
        .zip(runs)
        .map(|(&arch, runs)| Summary::of(arch, runs, tokio.as_deref()))
        .collect();
    println!();
    print!("{}", report::table(plan, load.connections, &summaries));
    match write_files(plan, load.connections, &summaries) {
        Ok(written) => {
            // `tests/http_suite.rs` reads the JSON path up to the first " and ".
            let timeline = match &written.timeline {
                Some(path) => format!("; the latency second by second to {}", path.display()),
                None => String::new(),
            };
            println!(
                "\nResults written to {} and {}{timeline}.",
                written.json.display(),
                written.chart.display()
            );
        }
        Err(e) => eprintln!("warning: cannot write the HTTP results: {e}"),
    }
    let _ = io::stdout().flush();
    Ok(())
}

/// The order of the servers in `round`: as planned, but the runtimes' servers (Tandem's and
/// Tokio's) run in reverse order every other round, so none always runs right after another
/// (ABBA for a pair).
fn round_order(servers: &[Arch], round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..servers.len()).collect();
    if round % 2 == 1 {
        let runtimes: Vec<usize> = (0..servers.len())
            .filter(|&i| servers[i].is_runtime())
            .collect();
        for (&slot, &server) in runtimes.iter().zip(runtimes.iter().rev()) {
            order[slot] = server;
        }
    }
    order
}

/// One run: starts the server, loads it, stops it. `progress` gets the time elapsed and,
/// from the built-in generator, the responses so far.
fn measure(
    arch: Arch,
    plan: &Plan,
    level: &LoadLevel,
    wrk: Option<&Path>,
    mut progress: impl FnMut(Duration, Option<u64>),
) -> io::Result<Measurement> {
    let mut server = Server::start(arch, plan.workers)?;
    let load = Load {
        addr: server.addr,
        threads: plan.threads,
        connections: level.connections,
        duration: plan.duration,
        timeout: plan.timeout,
        max_opening: server::effective_backlog(),
    };
    let server_cpu = server.cpu_time()?;
    let own_cpu = CpuTime::of_self()?;
    let mut measured = match wrk {
        Some(wrk) => wrk::run(wrk, &load, |elapsed| progress(elapsed, None))?,
        None => {
            let outcome = loadgen::run(&load, |elapsed, n| progress(elapsed, Some(n)))?;
            Measurement::of(&outcome)
        }
    };
    server.check_running(arch)?;
    // With `wrk` the load runs in another process: only the server's CPU is known.
    let load_generator = match wrk {
        Some(_) => None,
        None => Some(CpuTime::of_self()?.since(own_cpu)),
    };
    let server_cpu = server.cpu_time()?.since(server_cpu);
    measured.cpu_us = CpuPerResponse::of(server_cpu, load_generator, measured.responses);
    #[cfg(feature = "io-poll-delay")]
    if arch == Arch::Tandem {
        match super::poll_delay::summary() {
            Ok(line) => eprintln!("{line}"),
            Err(e) => eprintln!("warning: no poll delays from the Tandem server: {e}"),
        }
    }
    Ok(measured)
}

/// A progress bar per server, or plain lines when the output is not a terminal.
struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Progress {
    fn new(plan: &Plan, load: &LoadLevel) -> Progress {
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:<26} [{bar:30}] {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        let total = (plan.duration * plan.runs as u32).as_millis() as u64;
        let bars = load
            .servers
            .iter()
            .map(|arch| {
                let bar = multi.add(ProgressBar::new(total));
                bar.set_style(style.clone());
                bar.set_prefix(arch.label());
                bar.set_message("waiting");
                bar
            })
            .collect();
        Progress { multi, bars }
    }

    /// Prints `text` above the bars, or as a plain line.
    fn line(&self, text: &str) {
        if self.multi.is_hidden() || self.multi.println(text).is_err() {
            println!("{text}");
        }
    }

    fn clear(&self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

/// The files a load's results were written to.
struct Written {
    json: PathBuf,
    chart: PathBuf,
    /// The per-second chart; `None` with `wrk`, which has no per-second figures.
    timeline: Option<PathBuf>,
}

/// Writes `http[-wrk]-tT-cC.json`, `.svg` and (with per-second figures, so not with `wrk`)
/// `-timeline.svg` into [`output_dir`].
fn write_files(plan: &Plan, connections: usize, summaries: &[Summary]) -> io::Result<Written> {
    let dir = output_dir();
    std::fs::create_dir_all(&dir)?;
    let tool = if plan.wrk { "-wrk" } else { "" };
    let stem = format!("http{tool}-t{}-c{connections}", plan.threads);
    let json = dir.join(format!("{stem}.json"));
    std::fs::write(&json, report::to_json(plan, connections, summaries))?;
    let bars: Vec<Bars> = summaries
        .iter()
        .map(|s| Bars {
            arch: s.arch,
            rate: [s.rate.median, s.rate.min, s.rate.max],
            latency_ms: s.latency_ms,
        })
        .collect();
    let load = format!(
        "{} -t{} -c{connections} -d{}, {} workers",
        if plan.wrk { "wrk" } else { "tandem-bench" },
        plan.threads,
        fmt_secs(plan.duration),
        plan.workers,
    );
    let title = format!(
        "Hello, World! over HTTP/1.1: {load}, median of {} run{}",
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
    );
    let svg_path = dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, svg::chart(&title, &bars))?;
    let mut written = Written {
        json,
        chart: svg_path,
        timeline: None,
    };

    let timelines: Vec<Runs> = summaries
        .iter()
        .filter(|s| s.runs.iter().any(|m| !m.per_second.is_empty()))
        .map(|s| Runs {
            arch: s.arch,
            seconds: s.runs.iter().map(|m| m.per_second.clone()).collect(),
            median: s.median_run(),
            last_first_response: s.runs[s.median_run()].first_served.map(|f| f.latest),
        })
        .collect();
    if !timelines.is_empty() {
        let title = format!("Latency second by second: {load}");
        let path = dir.join(format!("{stem}-timeline.svg"));
        std::fs::write(&path, timeline_svg::chart(&title, &timelines))?;
        written.timeline = Some(path);
    }
    Ok(written)
}

/// `target/tandem-bench/`.
fn output_dir() -> PathBuf {
    crate::harness::target_dir().join("tandem-bench")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tandem_and_tokio_swap_every_other_round() {
        let all = Arch::ALL;
        assert_eq!(round_order(&all, 0), [0, 1, 2, 3, 4]);
        assert_eq!(round_order(&all, 1), [0, 1, 4, 3, 2]);
        assert_eq!(round_order(&all, 2), [0, 1, 2, 3, 4]);
        let pair = [Arch::Tandem, Arch::Tokio];
        assert_eq!(round_order(&pair, 1), [1, 0]);
        assert_eq!(round_order(&[Arch::Tandem], 1), [0]);
        assert_eq!(round_order(&[Arch::Thread, Arch::Tokio], 1), [0, 1]);
    }
}
