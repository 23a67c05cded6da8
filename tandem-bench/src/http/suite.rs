//! Running the HTTP suite: rounds of runs, progress bars, and the results at the end.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::child::Server;
use super::loadgen::{self, Load};
use super::report::{self, fmt_count, fmt_ms, fmt_secs, Measurement, Summary};
use super::svg::{self, Bars};
use super::{wrk, Arch, Plan};
use crate::harness::fmt_duration;

/// Runs `plan`, prints the table and writes the JSON and SVG files.
pub fn run(plan: &Plan) -> Result<(), String> {
    let wrk = match plan.wrk {
        true => Some(wrk::find().ok_or("--wrk: there is no `wrk` on the PATH")?),
        false => None,
    };
    let names: Vec<&str> = plan.servers.iter().map(|a| a.name()).collect();
    println!();
    println!(
        "http: {} hello-world servers ({}; {} workers for Tandem and Tokio), each in its own \
         process, loaded by {} with {} threads and {} keep-alive connections for {} per run, \
         {} runs each, Tandem and Tokio alternating; roughly {}.",
        names.len(),
        names.join(", "),
        plan.workers,
        if wrk.is_some() {
            "wrk"
        } else {
            "the built-in load generator"
        },
        plan.threads,
        fmt_count(plan.connections as u64),
        fmt_secs(plan.duration),
        plan.runs,
        fmt_duration(plan.estimate()),
    );

    let progress = Progress::new(plan);
    let mut runs: Vec<Vec<Measurement>> = vec![Vec::new(); plan.servers.len()];
    for round in 0..plan.runs {
        for index in round_order(&plan.servers, round) {
            let arch = plan.servers[index];
            let bar = &progress.bars[index];
            bar.set_message(format!(
                "run {}/{}: starting the server",
                round + 1,
                plan.runs
            ));
            let done_before = plan.duration * round as u32;
            let measured = measure(arch, plan, wrk.as_deref(), |elapsed, responses| {
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
            progress.line(&format!(
                "  {:<26} run {}/{}: {} req/s, p50 {}, p99 {}, {} errors",
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

    let tokio = plan
        .servers
        .iter()
        .position(|&a| a == Arch::Tokio)
        .map(|i| runs[i].clone());
    let summaries: Vec<Summary> = plan
        .servers
        .iter()
        .zip(runs)
        .map(|(&arch, runs)| Summary::of(arch, runs, tokio.as_deref()))
        .collect();
    println!();
    print!("{}", report::table(plan, &summaries));
    match write_files(plan, &summaries) {
        Ok((json, svg)) => println!(
            "\nResults written to {} and {}.",
            json.display(),
            svg.display()
        ),
        Err(e) => eprintln!("warning: cannot write the HTTP results: {e}"),
    }
    let _ = io::stdout().flush();
    Ok(())
}

/// The order of the servers in `round`: as planned, but Tandem and Tokio swap places every
/// other round, so neither always runs right after the other (ABBA).
fn round_order(servers: &[Arch], round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..servers.len()).collect();
    let tandem = servers.iter().position(|&a| a == Arch::Tandem);
    let tokio = servers.iter().position(|&a| a == Arch::Tokio);
    if let (Some(a), Some(b), 1) = (tandem, tokio, round % 2) {
        order.swap(a, b);
    }
    order
}

/// One run: starts the server, loads it, stops it. `progress` gets the time elapsed and,
/// from the built-in generator, the responses so far.
fn measure(
    arch: Arch,
    plan: &Plan,
    wrk: Option<&Path>,
    mut progress: impl FnMut(Duration, Option<u64>),
) -> io::Result<Measurement> {
    let mut server = Server::start(arch, plan.workers)?;
    let load = Load {
        addr: server.addr,
        threads: plan.threads,
        connections: plan.connections,
        duration: plan.duration,
        timeout: plan.timeout,
    };
    let measured = match wrk {
        Some(wrk) => wrk::run(wrk, &load, |elapsed| progress(elapsed, None))?,
        None => {
            let outcome = loadgen::run(&load, |elapsed, n| progress(elapsed, Some(n)))?;
            Measurement::of(&outcome)
        }
    };
    server.check_running(arch)?;
    Ok(measured)
}

/// A progress bar per server, or plain lines when the output is not a terminal.
struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Progress {
    fn new(plan: &Plan) -> Progress {
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:<26} [{bar:30}] {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        let total = (plan.duration * plan.runs as u32).as_millis() as u64;
        let bars = plan
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

/// Writes `http[-wrk]-tT-cC.json` and `.svg` into [`output_dir`].
fn write_files(plan: &Plan, summaries: &[Summary]) -> io::Result<(PathBuf, PathBuf)> {
    let dir = output_dir();
    std::fs::create_dir_all(&dir)?;
    let tool = if plan.wrk { "-wrk" } else { "" };
    let stem = format!("http{tool}-t{}-c{}", plan.threads, plan.connections);
    let json = dir.join(format!("{stem}.json"));
    std::fs::write(&json, report::to_json(plan, summaries))?;
    let bars: Vec<Bars> = summaries
        .iter()
        .map(|s| Bars {
            arch: s.arch,
            rate: [s.rate.median, s.rate.min, s.rate.max],
            latency_ms: s.latency_ms,
        })
        .collect();
    let title = format!(
        "Hello, World! over HTTP/1.1: {} -t{} -c{} -d{}, {} workers, median of {} run{}",
        if plan.wrk { "wrk" } else { "tandem-bench" },
        plan.threads,
        plan.connections,
        fmt_secs(plan.duration),
        plan.workers,
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
    );
    let svg_path = dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, svg::chart(&title, &bars))?;
    Ok((json, svg_path))
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
        assert_eq!(round_order(&all, 0), [0, 1, 2, 3]);
        assert_eq!(round_order(&all, 1), [0, 1, 3, 2]);
        assert_eq!(round_order(&all, 2), [0, 1, 2, 3]);
        assert_eq!(round_order(&[Arch::Tandem], 1), [0]);
        assert_eq!(round_order(&[Arch::Thread, Arch::Tokio], 1), [0, 1]);
    }
}
