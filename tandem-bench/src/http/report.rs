//! The HTTP suite's results: per-run measurements, their summary per server, the table in
//! the published format, and the JSON file.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::loadgen::{Errors, Outcome};
use super::{Arch, Plan};
use crate::harness::Stats;

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
        }
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
}

impl Summary {
    /// Summarises every server's runs; `tokio` are Tokio's runs (round by round), if measured.
    pub fn of(arch: Arch, runs: Vec<Measurement>, tokio: Option<&[Measurement]>) -> Summary {
        let rates: Vec<f64> = runs.iter().map(|m| m.rate).collect();
        let latency_ms =
            std::array::from_fn(|i| median(runs.iter().map(|m| m.latency_ms[i]).collect()));
        let errors_of = |count: fn(&Errors) -> u64| {
            let counts: Vec<f64> = runs.iter().map(|m| count(&m.errors) as f64).collect();
            median(counts).round() as u64
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
            let rate = pairs.clone().map(|(m, t)| m.rate / t.rate).collect();
            let p99 = pairs
                .map(|(m, t)| m.latency_ms[3] / t.latency_ms[3])
                .collect();
            (median(rate), median(p99))
        });
        Summary {
            arch,
            rate: Stats::of(&rates),
            latency_ms,
            errors,
            errors_total: errors_of(Errors::total),
            vs_tokio,
            runs,
        }
    }
}

/// The median of the finite values, NaN if there are none.
fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    match values.is_empty() {
        true => f64::NAN,
        false => Stats::of(&values).median,
    }
}

/// The table, in the published format plus the spread and the ratios to Tokio, followed by
/// the error breakdown and every run's rate.
pub fn table(plan: &Plan, summaries: &[Summary]) -> String {
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
        plan.connections,
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
            fmt_errors(&s.errors, plan),
            s.runs
                .iter()
                .map(|m| fmt_count(m.rate.round() as u64))
                .collect::<Vec<_>>()
                .join(" / "),
        );
    }
    out
}

/// The error breakdown: `none`, or each non-zero count.
fn fmt_errors(e: &Errors, plan: &Plan) -> String {
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
            fmt_count(plan.connections as u64)
        ));
    }
    match parts.is_empty() {
        true if plan.wrk => "none (wrk cannot see connections never answered)".into(),
        true => "none".into(),
        false => parts.join(", "),
    }
}

/// `1234567` as `1,234,567`.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

fn fmt_ratio(r: f64) -> String {
    match r.is_finite() {
        true => format!("{r:.2}x"),
        false => "-".into(),
    }
}

fn fmt_spread(pct: f64) -> String {
    if pct < 10.0 {
        format!("±{pct:.1}%")
    } else {
        format!("±{pct:.0}%")
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

/// The results as JSON.
pub fn to_json(plan: &Plan, summaries: &[Summary]) -> String {
    let servers: Vec<Value> = summaries
        .iter()
        .map(|s| {
            json!({
                "name": s.arch.name(),
                "label": s.arch.label(),
                "median": {
                    "req_per_sec": num(s.rate.median),
                    "p50_ms": num(s.latency_ms[0]),
                    "p75_ms": num(s.latency_ms[1]),
                    "p90_ms": num(s.latency_ms[2]),
                    "p99_ms": num(s.latency_ms[3]),
                    "errors": s.errors_total,
                    "error_breakdown": errors_json(&s.errors),
                },
                "req_per_sec": {
                    "min": num(s.rate.min), "p25": num(s.rate.p25), "median": num(s.rate.median),
                    "p75": num(s.rate.p75), "max": num(s.rate.max),
                    "spread_pct": num(s.rate.spread_pct()),
                },
                "vs_tokio": s.vs_tokio.map(|(rate, p99)| json!({
                    "req_per_sec": num(rate), "p99": num(p99),
                })),
                "runs": s.runs.iter().map(run_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "suite": "http",
        "load_generator": if plan.wrk { "wrk" } else { "tandem-bench" },
        "threads": plan.threads,
        "connections": plan.connections,
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
        "req_per_sec": num(m.rate),
        "responses": m.responses,
        "elapsed_s": m.elapsed.as_secs_f64(),
        "p50_ms": num(m.latency_ms[0]),
        "p75_ms": num(m.latency_ms[1]),
        "p90_ms": num(m.latency_ms[2]),
        "p99_ms": num(m.latency_ms[3]),
        "max_ms": num(m.max_ms),
        "errors": errors_json(&m.errors),
    })
}

fn errors_json(e: &Errors) -> Value {
    json!({
        "connect": e.connect, "read": e.read, "write": e.write, "timeout": e.timeout,
        "non_2xx": e.status, "never_answered": e.never_answered,
    })
}

/// A finite number, or `null`.
fn num(x: f64) -> Value {
    match x.is_finite() {
        true => json!((x * 1e3).round() / 1e3),
        false => Value::Null,
    }
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
        let table = table(&plan, &rows);
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
        let json = to_json(&plan, &rows);
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["servers"][0]["median"]["errors"], 1006);
        assert_eq!(parsed["servers"][1]["vs_tokio"]["req_per_sec"], 1.0);
    }

    #[test]
    fn formats_like_the_published_table() {
        assert_eq!(fmt_count(3_294_267), "3,294,267");
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_ms(0.8612), "0.86ms");
        assert_eq!(fmt_ms(99.171), "99.17ms");
        assert_eq!(fmt_ms(923.4), "923ms");
        assert_eq!(fmt_ms(f64::NAN), "-");
        assert_eq!(fmt_secs(Duration::from_secs(10)), "10s");
        assert_eq!(fmt_secs(Duration::from_millis(500)), "500ms");
        assert_eq!(fmt_secs(Duration::from_millis(1500)), "1.5s");
    }
}
