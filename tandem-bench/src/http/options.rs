//! The HTTP suite's flags, and the plan they make with the defaults.

use std::time::Duration;

use super::Arch;
use crate::positive;
use crate::stats::fmt_count;

/// The flags, as given (`None`: not given).
#[derive(Debug, Default, Clone)]
pub struct Options {
    threads: Option<usize>,
    connections: Option<usize>,
    duration: Option<Duration>,
    runs: Option<usize>,
    servers: Option<Vec<Arch>>,
    timeout: Option<Duration>,
    wrk: bool,
}

/// The flags' part of `--help`.
pub const USAGE: &str = "\
HTTP suite options (`http`):
  --threads T        load generator threads (default: 4, as `wrk -t4`)
  --connections C    keep-alive connections in all, one load (default: two loads, 1000
                     for every server as `wrk -c1000`, then 10000 for Tandem and Tokio;
                     50 with --quick)
  --duration D       length of each run: 10s, 500ms, 1m (default: 10s with `http`,
                     5s when every suite runs, 1s with --quick)
  --runs R           runs of each server (default: 3; 1 with --quick)
  --servers LIST     which servers, e.g. tandem,tokio, at every load (default:
                     single,thread,tandem,tokio; tandem,tokio at 10000 connections)
  --timeout D        a request without a response after D is a timeout error (default: 2s)
  --wrk              load with `wrk` (must be on the PATH) instead of the built-in generator
  --workers N (above) sets the worker threads of the Tandem and Tokio servers. Besides the
  table, each load's results go to target/tandem-bench/http-tT-cC.json and .svg, and its
  latency second by second to http-tT-cC-timeline.svg.";

/// Why the suite runs, which sets its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `tandem-bench http`: full-length runs.
    Selected,
    /// `tandem-bench` with no suite named: every suite runs, so shorter runs.
    EverySuite,
    /// `--quick`: a smoke test.
    Quick,
}

/// Connections of the default loads: the published table's, then a light load (with
/// [`FEW_THREADS`] load generator threads, `-t2 -c100`), then ten times the published one, to
/// see how the tail latency holds up; `--quick`'s.
const CONNECTIONS: usize = 1000;
const FEW_CONNECTIONS: usize = 100;
const FEW_THREADS: usize = 2;
const MANY_CONNECTIONS: usize = 10_000;
const QUICK_CONNECTIONS: usize = 50;

/// The servers measured at [`FEW_CONNECTIONS`] and [`MANY_CONNECTIONS`] unless `--servers` says
/// otherwise: the runtimes' (Tandem's two networking back ends and Tokio). The blocking
/// servers are the published table's baselines at `-c1000`, and one of them cannot hold
/// 10,000 connections anyway (one serves a single connection at a time, the other caps its
/// threads at 4,096); leaving them out keeps the main job within a minute more.
const RUNTIME_SERVERS: [Arch; 3] = [Arch::Tandem, Arch::TandemUring, Arch::Tokio];

/// What the suite will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Load generator threads of the loads that do not set their own (`--threads`, or 4).
    pub threads: usize,
    /// The loads, measured one after the other, each with a table and files of its own.
    pub loads: Vec<LoadLevel>,
    /// Length of each run.
    pub duration: Duration,
    /// Runs per server and load.
    pub runs: usize,
    /// Request (and connect) timeout.
    pub timeout: Duration,
    /// Load with `wrk` rather than the built-in generator.
    pub wrk: bool,
    /// Worker threads of the Tandem and Tokio servers.
    pub workers: usize,
}

/// One load of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadLevel {
    /// Load generator threads.
    pub threads: usize,
    /// Connections in all.
    pub connections: usize,
    /// The servers, in the order of the published table.
    pub servers: Vec<Arch>,
}

impl Plan {
    /// A rough estimate of how long the plan takes.
    pub fn estimate(&self) -> Duration {
        self.loads.iter().map(|load| self.estimate_load(load)).sum()
    }

    /// The servers at each load, in a few words: `5 servers at 1,000 connections, 3 at 100 (2
    /// threads), 3 at 10,000`.
    pub fn outline(&self) -> String {
        let loads: Vec<String> = self
            .loads
            .iter()
            .enumerate()
            .map(|(i, load)| {
                let servers = match (i, load.servers.len()) {
                    (0, 1) => "1 server".to_string(),
                    (0, n) => format!("{n} servers"),
                    (_, n) => n.to_string(),
                };
                let mut connections = fmt_count(load.connections as u64);
                if load.threads != self.threads {
                    connections += &format!(" ({} threads)", load.threads);
                }
                match i {
                    0 => format!("{servers} at {connections} connections"),
                    _ => format!("{servers} at {connections}"),
                }
            })
            .collect();
        loads.join(", ")
    }

    /// A rough estimate of how long `load` takes.
    pub fn estimate_load(&self, load: &LoadLevel) -> Duration {
        // Per run: starting the server, and closing everything at the end. 0.6 s at 1,000
        // connections, as before; 10,000 took 0.2 s more per run than 1,000 (2 CPUs,
        // 2026-12-04), and get 0.36 s more.
        let overhead = Duration::from_millis(560 + load.connections as u64 / 25);
        (self.duration + overhead) * (self.runs * load.servers.len()) as u32
    }
}

impl Options {
    /// Takes `flag` if it is one of the suite's, fetching its value with `value`; `None` if
    /// it is not one of the suite's.
    pub fn parse_flag(
        &mut self,
        flag: &str,
        value: impl FnOnce() -> Result<String, String>,
    ) -> Option<Result<(), String>> {
        let parsed = match flag {
            "--wrk" => {
                self.wrk = true;
                Ok(())
            }
            "--threads" => value()
                .and_then(|v| positive(flag, &v))
                .map(|n| self.threads = Some(n)),
            "--connections" => value()
                .and_then(|v| positive(flag, &v))
                .map(|n| self.connections = Some(n)),
            "--runs" => value()
                .and_then(|v| positive(flag, &v))
                .map(|n| self.runs = Some(n)),
            "--duration" => value()
                .and_then(|v| parse_duration(flag, &v))
                .map(|d| self.duration = Some(d)),
            "--timeout" => value()
                .and_then(|v| parse_duration(flag, &v))
                .map(|d| self.timeout = Some(d)),
            "--servers" => value()
                .and_then(|v| parse_servers(&v))
                .map(|s| self.servers = Some(s)),
            _ => return None,
        };
        Some(parsed)
    }

    /// The plan: the flags given, and defaults for `mode` for the rest.
    pub fn plan(&self, mode: Mode, workers: usize) -> Plan {
        let (threads, duration, runs) = match mode {
            Mode::Selected => (4, Duration::from_secs(10), 3),
            Mode::EverySuite => (4, Duration::from_secs(5), 3),
            Mode::Quick => (2, Duration::from_secs(1), 1),
        };
        let threads = self.threads.unwrap_or(threads);
        let level = |threads: usize, connections: usize, servers: &[Arch]| LoadLevel {
            threads,
            connections,
            servers: self.servers.clone().unwrap_or_else(|| servers.to_vec()),
        };
        let loads = match (self.connections, mode) {
            (Some(connections), _) => vec![level(threads, connections, &Arch::ALL)],
            (None, Mode::Quick) => vec![level(threads, QUICK_CONNECTIONS, &Arch::ALL)],
            (None, Mode::Selected | Mode::EverySuite) => vec![
                level(threads, CONNECTIONS, &Arch::ALL),
                level(
                    self.threads.unwrap_or(FEW_THREADS),
                    FEW_CONNECTIONS,
                    &RUNTIME_SERVERS,
                ),
                level(threads, MANY_CONNECTIONS, &RUNTIME_SERVERS),
            ],
        };
        Plan {
            threads,
            loads,
            duration: self.duration.unwrap_or(duration),
            runs: self.runs.unwrap_or(runs),
            timeout: self.timeout.unwrap_or(Duration::from_secs(2)),
            wrk: self.wrk,
            workers,
        }
    }
}

/// `10s`, `500ms`, `1m`, or a bare number of seconds; more than zero.
fn parse_duration(flag: &str, value: &str) -> Result<Duration, String> {
    let bad = || format!("{flag} needs a duration such as 10s, 500ms or 1m, not {value:?}");
    let (number, unit) = match value.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => value.split_at(i),
        None => (value, "s"),
    };
    let number: f64 = number.trim().parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return Err(bad()),
    };
    if !(seconds > 0.0 && seconds < 1e6) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A comma-separated list of server names, kept in the order of the published table.
fn parse_servers(value: &str) -> Result<Vec<Arch>, String> {
    let mut chosen = Vec::new();
    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        chosen.push(Arch::from_name(name)?);
    }
    if chosen.is_empty() {
        return Err("--servers needs at least one server".into());
    }
    Ok(Arch::ALL
        .into_iter()
        .filter(|arch| chosen.contains(arch))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(flags: &[(&str, &str)]) -> Result<Options, String> {
        let mut options = Options::default();
        for &(flag, value) in flags {
            options
                .parse_flag(flag, || Ok(value.to_string()))
                .expect("one of the suite's flags")?;
        }
        Ok(options)
    }

    fn connections(plan: &Plan) -> Vec<usize> {
        plan.loads.iter().map(|l| l.connections).collect()
    }

    #[test]
    fn defaults_follow_the_mode_and_flags_override_them() {
        let plan = Options::default().plan(Mode::Selected, 2);
        assert_eq!((plan.threads, plan.runs, plan.workers), (4, 3, 2));
        assert_eq!(connections(&plan), [1000, 100, 10_000]);
        let threads: Vec<usize> = plan.loads.iter().map(|l| l.threads).collect();
        assert_eq!(threads, [4, 2, 4]);
        assert_eq!(plan.duration, Duration::from_secs(10));
        assert_eq!(plan.loads[0].servers, Arch::ALL);
        assert_eq!(plan.loads[1].servers, RUNTIME_SERVERS);
        assert_eq!(plan.loads[2].servers, RUNTIME_SERVERS);
        let every_suite = Options::default().plan(Mode::EverySuite, 2);
        assert!(every_suite.duration < plan.duration);
        assert_eq!(connections(&every_suite), [1000, 100, 10_000]);
        let quick = Options::default().plan(Mode::Quick, 2);
        assert_eq!((quick.runs, connections(&quick)), (1, vec![50]));

        let opts = options(&[
            ("--threads", "2"),
            ("--connections", "100"),
            ("--duration", "500ms"),
            ("--servers", "tokio,tandem"),
            ("--wrk", ""),
        ])
        .unwrap();
        let plan = opts.plan(Mode::Quick, 8);
        assert_eq!((plan.threads, connections(&plan)), (2, vec![100]));
        assert_eq!(plan.duration, Duration::from_millis(500));
        assert_eq!(plan.loads[0].servers, [Arch::Tandem, Arch::Tokio]);
        assert!(plan.wrk);
        assert_eq!(plan.estimate(), Duration::from_millis(2 * (500 + 564)));

        // --connections: that load alone, whatever the mode.
        let one = options(&[("--connections", "10000")]).unwrap();
        let plan = one.plan(Mode::EverySuite, 2);
        assert_eq!(connections(&plan), [10_000]);
        assert_eq!(plan.loads[0].servers, Arch::ALL);
        // --servers: those servers at every load.
        let two = options(&[("--servers", "thread,tokio"), ("--threads", "3")]).unwrap();
        let plan = two.plan(Mode::Selected, 2);
        assert_eq!(connections(&plan), [1000, 100, 10_000]);
        // --threads: at every load.
        assert!(plan.loads.iter().all(|l| l.threads == 3));
        assert!(plan
            .loads
            .iter()
            .all(|l| l.servers == [Arch::Thread, Arch::Tokio]));
    }

    #[test]
    fn the_runtime_loads_add_about_a_minute_and_a_half_to_the_main_job() {
        let plan = Options::default().plan(Mode::EverySuite, 2);
        let [first, second, third] =
            [&plan.loads[0], &plan.loads[1], &plan.loads[2]].map(|l| plan.estimate_load(l));
        // 5 servers x 3 runs x (5 s + 0.6 s), then 3 x 3 x (5 s + 0.564 s), then 3 x 3 x (5 s
        // + 0.96 s).
        assert_eq!(
            plan.outline(),
            "5 servers at 1,000 connections, 3 at 100 (2 threads), 3 at 10,000"
        );
        assert_eq!(first, Duration::from_millis(15 * 5600));
        assert_eq!(second, Duration::from_millis(9 * 5564));
        assert_eq!(third, Duration::from_millis(9 * 5960));
        assert_eq!(plan.estimate(), first + second + third);
    }

    #[test]
    fn rejects_bad_values_and_ignores_other_flags() {
        assert!(options(&[("--threads", "0")]).is_err());
        assert!(options(&[("--duration", "10x")]).is_err());
        assert!(options(&[("--duration", "0s")]).is_err());
        assert!(options(&[("--servers", "tokio,nginx")]).is_err());
        assert!(options(&[("--servers", ",")]).is_err());
        assert!(Options::default()
            .parse_flag("--workers", || Ok("2".into()))
            .is_none());
    }

    #[test]
    fn parses_durations() {
        let d = |v| parse_duration("--duration", v).unwrap();
        assert_eq!(d("10s"), Duration::from_secs(10));
        assert_eq!(d("3"), Duration::from_secs(3));
        assert_eq!(d("1.5s"), Duration::from_millis(1500));
        assert_eq!(d("2m"), Duration::from_secs(120));
        assert_eq!(d("250ms"), Duration::from_millis(250));
    }
}
