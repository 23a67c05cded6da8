//! The HTTP suite's results: per-run measurements, their summary per server, the table in
//! the published format (with, under it, how soon every connection was first served and the
//! range of the per-second figures), and the JSON file, one of each per load.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::cpu::CpuTime;
use super::loadgen::{Errors, FirstServed, Outcome, Second};
use super::{Arch, Plan};
use crate::stats::{fmt_count, fmt_ratio, fmt_spread, json_num, median, Stats};

/// The latency percentiles of the table.
pub const PERCENTILES: [f64; 4] = [50.0, 75.0, 90.0, 99.0];

/// One run of one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Responses per second.
    pub rate: f64,
    /// Complete responses.
    pub responses: u64,
    /// How long the load ran.
    pub elapsed: Duration,
    /// Latency at each of [`PERCENTILES`], in ms; NaN without a response.
    pub latency_ms: [f64; 4],
    /// Largest latency, in ms; NaN without a response.
    pub max_ms: f64,
    /// Errors.
    pub errors: Errors,
    /// The run second by second (empty with `wrk`).
    pub per_second: Vec<Second>,
    /// When the connections were first served (`None` with `wrk`, or without a response).
    pub first_served: Option<FirstServed>,
    /// CPU time per response, in µs, over the whole run (connection set-up included).
    pub cpu_us: CpuPerResponse,
}

/// CPU time per response of one run, in µs; NaN where unknown or without a response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuPerResponse {
    /// The server process, in user space.
    pub server_user: f64,
    /// The server process, in the kernel.
    pub server_system: f64,
    /// The suite's process: the built-in load generator (NaN with `wrk`).
    pub load_generator: f64,
}

impl CpuPerResponse {
    pub const UNKNOWN: CpuPerResponse = CpuPerResponse {
        server_user: f64::NAN,
        server_system: f64::NAN,
        load_generator: f64::NAN,
    };

    /// `server` and `load_generator` (if known) used over a run of `responses` responses.
    pub fn of(server: CpuTime, load_generator: Option<CpuTime>, responses: u64) -> Self {
        let per = |secs: f64| match responses {
            0 => f64::NAN,
            n => secs * 1e6 / n as f64,
        };
        CpuPerResponse {
            server_user: per(server.user),
            server_system: per(server.system),
            load_generator: load_generator.map_or(f64::NAN, |t| per(t.total())),
        }
    }

    pub fn server(&self) -> f64 {
        self.server_user + self.server_system
    }
}

impl Measurement {
    /// The measurement of a run of the built-in load generator.
    pub fn of(outcome: &Outcome) -> Measurement {
        let ms = |us: u64| match outcome.responses {
            0 => f64::NAN,
            _ => us as f64 / 1e3,
        };
        Measurement {
            rate: outcome.rate(),
            responses: outcome.responses,
            elapsed: outcome.elapsed,
            latency_ms: PERCENTILES.map(|p| ms(outcome.latency.value_at_percentile(p))),
            max_ms: ms(outcome.latency.max()),
            errors: outcome.errors,
            per_second: outcome.timeline.seconds(),
            first_served: outcome.first_served,
            cpu_us: CpuPerResponse::UNKNOWN,
        }
    }

    /// How long the last connection served waited for its first response after the first
    /// one, in ms; NaN if unknown.
    pub fn first_served_spread_ms(&self) -> f64 {
        self.first_served
            .map_or(f64::NAN, |f| f.spread().as_secs_f64() * 1e3)
    }
}

/// All runs of one server, summarised.
#[derive(Debug)]
pub struct Summary {
    /// The server.
    pub arch: Arch,
    /// Its runs, in the order taken (run `i` in round `i`).
    pub runs: Vec<Measurement>,
    /// Statistics of the runs' rates.
    pub rate: Stats,
    /// Median over the runs of each latency percentile, in ms (NaN without responses).
    pub latency_ms: [f64; 4],
    /// Median over the runs of each error count.
    pub errors: Errors,
    /// Median over the runs of the total error count.
    pub errors_total: u64,
    /// Median of the per-round ratios to Tokio: rate, p99. `None` without Tokio runs.
    pub vs_tokio: Option<(f64, f64)>,
    /// Median over the runs of the first-served spread, in ms (NaN if unknown).
    pub first_served_spread_ms: f64,
    /// Median over the runs of each CPU time per response.
    pub cpu_us: CpuPerResponse,
}

impl Summary {
    /// Summarises every server's runs; `tokio` are Tokio's runs (round by round), if measured.
    pub fn of(arch: Arch, runs: Vec<Measurement>, tokio: Option<&[Measurement]>) -> Summary {
        let rates: Vec<f64> = runs.iter().map(|m| m.rate).collect();
        let latency_ms = std::array::from_fn(|i| median(runs.iter().map(|m| m.latency_ms[i])));
        let errors_of = |count: fn(&Errors) -> u64| {
            median(runs.iter().map(|m| count(&m.errors) as f64)).round() as u64
        };
        let errors = Errors {
            connect: errors_of(|e| e.connect),
            read: errors_of(|e| e.read),
            write: errors_of(|e| e.write),
            timeout: errors_of(|e| e.timeout),
            status: errors_of(|e| e.status),
            never_answered: errors_of(|e| e.never_answered),
        };
        let vs_tokio = tokio.map(|tokio| {
            let pairs = runs.iter().zip(tokio);
            let rate = median(pairs.clone().map(|(m, t)| m.rate / t.rate));
            let p99 = median(pairs.map(|(m, t)| m.latency_ms[3] / t.latency_ms[3]));
            (rate, p99)
        });
        Summary {
            arch,
            rate: Stats::of(&rates),
            latency_ms,
            errors,
            errors_total: errors_of(Errors::total),
            vs_tokio,
            first_served_spread_ms: median(runs.iter().map(Measurement::first_served_spread_ms)),
            cpu_us: CpuPerResponse {
                server_user: median(runs.iter().map(|m| m.cpu_us.server_user)),
                server_system: median(runs.iter().map(|m| m.cpu_us.server_system)),
                load_generator: median(runs.iter().map(|m| m.cpu_us.load_generator)),
            },
            runs,
        }
    }

    /// The index of the run that stands for the others in the per-second chart: the one
    /// with the median rate (the lower of the two middle ones for an even count).
    pub fn median_run(&self) -> usize {
        let mut order: Vec<usize> = (0..self.runs.len()).collect();
        order.sort_by(|&a, &b| self.runs[a].rate.total_cmp(&self.runs[b].rate));
        order[(order.len().max(1) - 1) / 2]
    }
}

/// The table of the load of `connections`, in the published format plus the spread and the
/// ratios to Tokio, followed by the error breakdown and every run's rate, how soon every
/// connection was first served, and the range of the per-second figures.
pub fn table(plan: &Plan, connections: usize, summaries: &[Summary]) -> String {
    let mut out = String::new();
    let tool = if plan.wrk {
        "wrk"
    } else {
        "built-in load generator"
    };
    let _ = writeln!(
        out,
        "{tool}, -t{} -c{} -d{}: median of {}, ± half the interquartile range of the runs; \
         vs Tokio: median of the per-round ratios to the Tokio run of the same round",
        plan.threads,
        connections,
        fmt_secs(plan.duration),
        match plan.runs {
            1 => "1 run".to_string(),
            n => format!("{n} runs"),
        },
    );
    out.push('\n');
    out.push_str(
        "| Architecture | Req/sec | p50 | p75 | p90 | p99 | Errors | Req/sec vs Tokio | \
         p99 vs Tokio |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for s in summaries {
        let (rate_ratio, p99_ratio) = match s.vs_tokio {
            Some((rate, p99)) => (fmt_ratio(rate), fmt_ratio(p99)),
            None => ("-".to_string(), "-".to_string()),
        };
        let _ = writeln!(
            out,
            "| {} | {} {} | {} | {} | {} | {} | {} | {rate_ratio} | {p99_ratio} |",
            s.arch.label(),
            fmt_count(s.rate.median.round() as u64),
            fmt_spread(s.rate.spread_pct()),
            fmt_ms(s.latency_ms[0]),
            fmt_ms(s.latency_ms[1]),
            fmt_ms(s.latency_ms[2]),
            fmt_ms(s.latency_ms[3]),
            fmt_count(s.errors_total),
        );
    }
    out.push('\n');
    for s in summaries {
        let _ = writeln!(
            out,
            "  {:<26} errors {}; runs: {} req/s",
            s.arch.label(),
            fmt_errors(&s.errors, plan, connections),
            s.runs
                .iter()
                .map(|m| fmt_count(m.rate.round() as u64))
                .collect::<Vec<_>>()
                .join(" / "),
        );
    }
    for s in summaries {
        if let Some(line) = fmt_first_served(s, connections) {
            let _ = writeln!(out, "  {:<26} {line}", s.arch.label());
        }
    }
    for s in summaries {
        if let Some(line) = fmt_cpu(&s.cpu_us) {
            let _ = writeln!(out, "  {:<26} {line}", s.arch.label());
        }
    }
    for s in summaries {
        if let Some(line) = fmt_seconds(&s.runs[s.median_run()].per_second) {
            let _ = writeln!(out, "  {:<26} {line}", s.arch.label());
        }
    }
    out
}

/// CPU time per response (medians of the runs), if the server's was measured.
fn fmt_cpu(cpu: &CpuPerResponse) -> Option<String> {
    if !cpu.server().is_finite() {
        return None;
    }
    let load_generator = match cpu.load_generator.is_finite() {
        true => format!(", load generator {:.1} µs", cpu.load_generator),
        false => String::new(),
    };
    Some(format!(
        "CPU per response: server {:.1} µs (user {:.1}, kernel {:.1}){load_generator}",
        cpu.server(),
        cpu.server_user,
        cpu.server_system
    ))
}

/// How soon the connections were first served: the median spread, and each run's.
fn fmt_first_served(s: &Summary, connections: usize) -> Option<String> {
    if !s.first_served_spread_ms.is_finite() {
        return None;
    }
    let answered = connections as u64 - s.errors.never_answered.min(connections as u64);
    if answered <= 1 {
        // No spread to speak of: the single-threaded server serves one connection.
        return Some(format!("first responses: {answered} connection served"));
    }
    let runs: Vec<String> = s
        .runs
        .iter()
        .map(|m| fmt_ms(m.first_served_spread_ms()))
        .collect();
    Some(format!(
        "first responses: the last of {} connections {} after the first (runs: {})",
        fmt_count(answered),
        fmt_ms(s.first_served_spread_ms),
        runs.join(" / "),
    ))
}

/// The range of the per-second figures of a run: `None` without them (`wrk`).
fn fmt_seconds(seconds: &[Second]) -> Option<String> {
    let range = |values: Vec<f64>| -> Option<(f64, f64)> {
        let finite = values.into_iter().filter(|v| v.is_finite());
        finite.fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((low, high)) => Some((f64::min(low, v), f64::max(high, v))),
        })
    };
    let rate = range(seconds.iter().map(Second::rate).collect())?;
    let count = |rate: f64| fmt_count(rate.round() as u64);
    let mut line = format!("per second (median run): {} req/s", fmt_range(rate, count));
    let p99 = range(seconds.iter().map(|s| s.p99_ms).collect());
    let max = range(seconds.iter().map(|s| s.max_ms).collect());
    if let (Some(p99), Some((_, max_high))) = (p99, max) {
        let _ = write!(
            line,
            ", p99 {}, max {}",
            fmt_range(p99, fmt_ms),
            fmt_ms(max_high)
        );
    }
    Some(line)
}

/// `low-high`, or one figure when both read the same.
fn fmt_range((low, high): (f64, f64), fmt: impl Fn(f64) -> String) -> String {
    let (low, high) = (fmt(low), fmt(high));
    match low == high {
        true => low,
        false => format!("{low}-{high}"),
    }
}

/// The error breakdown: `none`, or each non-zero count.
fn fmt_errors(e: &Errors, plan: &Plan, connections: usize) -> String {
    let mut parts = Vec::new();
    for (count, what) in [
        (e.connect, "connect"),
        (e.read, "read"),
        (e.write, "write"),
        (e.timeout, "timeout"),
        (e.status, "non-2xx"),
    ] {
        if count > 0 {
            parts.push(format!("{what} {}", fmt_count(count)));
        }
    }
    if e.never_answered > 0 {
        parts.push(format!(
            "never answered {} of {} connections",
            fmt_count(e.never_answered),
            fmt_count(connections as u64)
        ));
    }
    match parts.is_empty() {
        true if plan.wrk => "none (wrk cannot see connections never answered)".into(),
        true => "none".into(),
        false => parts.join(", "),
    }
}

/// Milliseconds as in the published table: `0.86ms`, `99.17ms`, `923ms`; `-` for NaN.
pub fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "-".into()
    } else if ms < 100.0 {
        format!("{ms:.2}ms")
    } else {
        format!("{ms:.0}ms")
    }
}

/// `10s`, `1.5s`, `500ms`.
pub fn fmt_secs(d: Duration) -> String {
    match d.subsec_millis() {
        0 => format!("{}s", d.as_secs()),
        _ if d < Duration::from_secs(1) => format!("{}ms", d.as_millis()),
        _ => format!("{:.1}s", d.as_secs_f64()),
    }
}

/// The results of the load of `connections` as JSON.
pub fn to_json(plan: &Plan, connections: usize, summaries: &[Summary]) -> String {
    let servers: Vec<Value> = summaries
        .iter()
        .map(|s| {
            json!({
                "name": s.arch.name(),
                "label": s.arch.label(),
                "median": {
                    "req_per_sec": json_num(s.rate.median),
                    "p50_ms": json_num(s.latency_ms[0]),
                    "p75_ms": json_num(s.latency_ms[1]),
                    "p90_ms": json_num(s.latency_ms[2]),
                    "p99_ms": json_num(s.latency_ms[3]),
                    "errors": s.errors_total,
                    "error_breakdown": errors_json(&s.errors),
                    "first_response_spread_ms": json_num(s.first_served_spread_ms),
                    "cpu_us_per_response": cpu_json(&s.cpu_us),
                },
                "req_per_sec": {
                    "min": json_num(s.rate.min),
                    "p25": json_num(s.rate.p25),
                    "median": json_num(s.rate.median),
                    "p75": json_num(s.rate.p75),
                    "max": json_num(s.rate.max),
                    "spread_pct": json_num(s.rate.spread_pct()),
                },
                "vs_tokio": s.vs_tokio.map(|(rate, p99)| json!({
                    "req_per_sec": json_num(rate), "p99": json_num(p99),
                })),
                "median_run": s.median_run(),
                "runs": s.runs.iter().map(run_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "suite": "http",
        "load_generator": if plan.wrk { "wrk" } else { "tandem-bench" },
        "threads": plan.threads,
        "connections": connections,
        "duration_s": plan.duration.as_secs_f64(),
        "timeout_s": plan.timeout.as_secs_f64(),
        "runs": plan.runs,
        "workers": plan.workers,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "servers": servers,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    text
}

fn run_json(m: &Measurement) -> Value {
    json!({
        "req_per_sec": json_num(m.rate),
        "responses": m.responses,
        "elapsed_s": m.elapsed.as_secs_f64(),
        "p50_ms": json_num(m.latency_ms[0]),
        "p75_ms": json_num(m.latency_ms[1]),
        "p90_ms": json_num(m.latency_ms[2]),
        "p99_ms": json_num(m.latency_ms[3]),
        "max_ms": json_num(m.max_ms),
        "errors": errors_json(&m.errors),
        "first_response_ms": m.first_served.map(|f| json!({
            "earliest": json_num(f.earliest.as_secs_f64() * 1e3),
            "latest": json_num(f.latest.as_secs_f64() * 1e3),
            "spread": json_num(f.spread().as_secs_f64() * 1e3),
        })),
        "per_second": m.per_second.iter().map(second_json).collect::<Vec<_>>(),
        "cpu_us_per_response": cpu_json(&m.cpu_us),
    })
}

fn cpu_json(cpu: &CpuPerResponse) -> Value {
    json!({
        "server_user": json_num(cpu.server_user),
        "server_kernel": json_num(cpu.server_system),
        "server": json_num(cpu.server()),
        "load_generator": json_num(cpu.load_generator),
    })
}

fn second_json(s: &Second) -> Value {
    json!({
        "start_s": json_num(s.start.as_secs_f64()),
        "length_s": json_num(s.length.as_secs_f64()),
        "responses": s.responses,
        "req_per_sec": json_num(s.rate()),
        "p50_ms": json_num(s.p50_ms),
        "p99_ms": json_num(s.p99_ms),
        "max_ms": json_num(s.max_ms),
        "errors": s.errors,
    })
}

fn errors_json(e: &Errors) -> Value {
    json!({
        "connect": e.connect, "read": e.read, "write": e.write, "timeout": e.timeout,
        "non_2xx": e.status, "never_answered": e.never_answered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Mode, Options};

    fn measurement(rate: f64, p99: f64, timeouts: u64) -> Measurement {
        Measurement {
            rate,
            responses: rate as u64,
            elapsed: Duration::from_secs(1),
            latency_ms: [p99 / 4.0, p99 / 3.0, p99 / 2.0, p99],
            max_ms: p99 * 2.0,
            errors: Errors {
                timeout: timeouts,
                ..Errors::default()
            },
            per_second: Vec::new(),
            first_served: None,
            cpu_us: CpuPerResponse::UNKNOWN,
        }
    }

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    /// A second of `responses`, all of `latency` ms but for one of `max` ms.
    fn second(start_s: u64, responses: u64, latency: f64, max: f64) -> Second {
        let ms = |v: f64| if responses == 0 { f64::NAN } else { v };
        Second {
            start: Duration::from_secs(start_s),
            length: Duration::from_secs(1),
            responses,
            errors: 0,
            p50_ms: ms(latency),
            p99_ms: ms(latency),
            max_ms: ms(max),
        }
    }

    #[test]
    fn summaries_take_medians_and_per_round_ratios() {
        let tokio = vec![
            measurement(100.0, 4.0, 0),
            measurement(200.0, 4.0, 0),
            measurement(100.0, 4.0, 0),
        ];
        let tandem = vec![
            measurement(110.0, 2.0, 0),
            measurement(220.0, 8.0, 1),
            measurement(120.0, 4.0, 3),
        ];
        let s = Summary::of(Arch::Tandem, tandem, Some(&tokio));
        assert_eq!(s.rate.median, 120.0);
        assert_eq!(s.latency_ms[3], 4.0);
        assert_eq!((s.errors.timeout, s.errors_total), (1, 1));
        let (rate, p99) = s.vs_tokio.unwrap();
        assert!((rate - 1.1).abs() < 1e-9, "{rate}");
        assert_eq!(p99, 1.0);
    }

    #[test]
    fn the_table_has_the_published_columns() {
        let plan = Options::default().plan(Mode::Quick, 2);
        let tokio = vec![measurement(411_404.0, 4.05, 0)];
        let mut silent = measurement(13_545.0, 223.0, 7);
        silent.errors.never_answered = 999;
        let rows = [
            Summary::of(Arch::Thread, vec![silent], Some(&tokio)),
            Summary::of(Arch::Tokio, tokio.clone(), Some(&tokio)),
        ];
        let table = table(&plan, 50, &rows);
        assert!(
            table.contains("| Architecture | Req/sec | p50 | p75 | p90 | p99 | Errors |"),
            "{table}"
        );
        assert!(
            table.contains("| One-thread-per-connection | 13,545 ±0.0% | 55.75ms | 74.33ms | 112ms | 223ms | 1,006 | 0.03x | 55.06x |"),
            "{table}"
        );
        assert!(table.contains("| Tokio | 411,404 ±0.0% |"), "{table}");
        assert!(
            table.contains("timeout 7, never answered 999 of 50 connections"),
            "{table}"
        );
        let json = to_json(&plan, 50, &rows);
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["servers"][0]["median"]["errors"], 1006);
        assert_eq!(parsed["servers"][1]["vs_tokio"]["req_per_sec"], 1.0);
    }

    #[test]
    fn the_median_run_stands_for_the_others() {
        let runs = |rates: &[f64]| {
            let runs = rates.iter().map(|&r| measurement(r, 1.0, 0)).collect();
            Summary::of(Arch::Tokio, runs, None)
        };
        assert_eq!(runs(&[300.0, 100.0, 200.0]).median_run(), 2);
        assert_eq!(runs(&[100.0, 400.0, 300.0, 200.0]).median_run(), 3);
        assert_eq!(runs(&[5.0]).median_run(), 0);
    }

    #[test]
    fn under_the_table_first_responses_and_the_seconds_of_the_median_run() {
        let plan = Options::default().plan(Mode::Quick, 2);
        let mut runs = Vec::new();
        for (rate, spread) in [(100.0, 40), (300.0, 90), (200.0, 70)] {
            let mut m = measurement(rate, 10.0, 0);
            m.first_served = Some(FirstServed {
                earliest: ms(5),
                latest: ms(5 + spread),
            });
            m.per_second = vec![second(0, rate as u64, 10.0, 12.0), second(1, 0, 0.0, 0.0)];
            runs.push(m);
        }
        // The median run (200 req/s) has a stall: its second second has no response.
        runs[2].per_second[0] = second(0, 2_000, 3.0, 1_500.0);
        let rows = [Summary::of(Arch::Tandem, runs, None)];
        assert_eq!(rows[0].first_served_spread_ms, 70.0);

        let table = table(&plan, 50, &rows);
        assert!(
            table.contains(
                "first responses: the last of 50 connections 70.00ms after the first \
                 (runs: 40.00ms / 90.00ms / 70.00ms)"
            ),
            "{table}"
        );
        assert!(
            table.contains("per second (median run): 0-2,000 req/s, p99 3.00ms, max 1500ms"),
            "{table}"
        );

        let mut lonely = Summary::of(Arch::Single, rows[0].runs.clone(), None);
        lonely.errors.never_answered = 49;
        assert_eq!(
            fmt_first_served(&lonely, 50).unwrap(),
            "first responses: 1 connection served"
        );

        let parsed: Value = serde_json::from_str(&to_json(&plan, 50, &rows)).unwrap();
        let server = &parsed["servers"][0];
        assert_eq!(parsed["connections"], 50);
        assert_eq!(server["median"]["first_response_spread_ms"], 70.0);
        assert_eq!(server["median_run"], 2);
        let run = &server["runs"][2];
        assert_eq!(run["first_response_ms"]["earliest"], 5.0);
        assert_eq!(run["first_response_ms"]["latest"], 75.0);
        assert_eq!(run["first_response_ms"]["spread"], 70.0);
        let seconds = run["per_second"].as_array().unwrap();
        assert_eq!(seconds.len(), 2);
        assert_eq!(seconds[0]["start_s"], 0.0);
        assert_eq!(seconds[0]["length_s"], 1.0);
        assert_eq!(seconds[0]["responses"], 2_000);
        assert_eq!(seconds[0]["req_per_sec"], 2_000.0);
        assert_eq!(seconds[0]["p99_ms"], 3.0);
        assert_eq!(seconds[0]["max_ms"], 1_500.0);
        // A second without a response has no latency: null, not NaN.
        assert_eq!(seconds[1]["responses"], 0);
        assert!(seconds[1]["p50_ms"].is_null() && seconds[1]["max_ms"].is_null());
        assert_eq!(seconds[1]["errors"], 0);
    }

    #[test]
    fn wrk_runs_have_no_seconds_and_no_first_responses() {
        let plan = Options::default().plan(Mode::Quick, 2);
        let rows = [Summary::of(
            Arch::Tokio,
            vec![measurement(10.0, 1.0, 0)],
            None,
        )];
        let table = table(&plan, 50, &rows);
        assert!(!table.contains("first responses"), "{table}");
        assert!(!table.contains("per second"), "{table}");
        let parsed: Value = serde_json::from_str(&to_json(&plan, 50, &rows)).unwrap();
        let run = &parsed["servers"][0]["runs"][0];
        assert!(run["first_response_ms"].is_null());
        assert_eq!(run["per_second"].as_array().unwrap().len(), 0);
        assert!(parsed["servers"][0]["median"]["first_response_spread_ms"].is_null());
    }

    #[test]
    fn formats_like_the_published_table() {
        assert_eq!(fmt_ms(0.8612), "0.86ms");
        assert_eq!(fmt_ms(99.171), "99.17ms");
        assert_eq!(fmt_ms(923.4), "923ms");
        assert_eq!(fmt_ms(f64::NAN), "-");
        assert_eq!(fmt_secs(Duration::from_secs(10)), "10s");
        assert_eq!(fmt_secs(Duration::from_millis(500)), "500ms");
        assert_eq!(fmt_secs(Duration::from_millis(1500)), "1.5s");
    }
}
