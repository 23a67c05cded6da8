//! The fs suite's results: rows of ops/s per contender, the per-round ratios next to the
//! targets, the 512-vs-64-task scaling, fio, and the JSON and SVG files.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::contenders::Contender;
use super::fio::Outcome;
use super::rows::{rate, rows, Row};
use super::work::Sample;
use super::{svg, Measured, Plan};
use crate::stats::{fmt_count, fmt_ratio, fmt_ratio_against, json_num, median, Stats};

/// A ratio between two columns of a row, with the target from the issue.
struct RatioColumn {
    /// Header.
    title: &'static str,
    /// Name in the JSON.
    name: &'static str,
    /// Numerator and denominator, as indices into [`Contender::ALL`].
    of: (usize, usize),
    /// The target: at least this.
    target: Option<f64>,
}

const RATIOS: [RatioColumn; 5] = [
    RatioColumn {
        title: "uring/Tokio pool (≥5x)",
        name: "tandem_uring_vs_tokio_pool",
        of: (0, 3),
        target: Some(5.0),
    },
    RatioColumn {
        title: "uring/Tokio uring (≥3x)",
        name: "tandem_uring_vs_tokio_uring",
        of: (0, 4),
        target: Some(3.0),
    },
    RatioColumn {
        title: "uring/std (≥0.70x)",
        name: "tandem_uring_vs_std",
        of: (0, 5),
        target: Some(0.70),
    },
    RatioColumn {
        title: "ring/std",
        name: "tandem_ring_vs_std",
        of: (1, 5),
        target: None,
    },
    RatioColumn {
        title: "off/Tokio pool",
        name: "tandem_off_vs_tokio_pool",
        of: (2, 3),
        target: None,
    },
];

/// Ops/s for the progress lines and the table: `123,456`.
pub fn fmt_rate(s: Sample) -> String {
    fmt_count(rate(s).round() as u64)
}

fn fmt_median(x: f64) -> String {
    match x.is_finite() {
        true => fmt_count(x.round() as u64),
        false => "-".into(),
    }
}

/// The least rand_read_512/rand_read_64 that counts as "no drop": 5% is within the noise of
/// one run on a 2-core machine.
const NO_DROP: f64 = 0.95;

/// rand_read_512 over rand_read_64, per contender: the median of the per-round ratios (the
/// rounds run every workload in turn, so both rows of a round were measured minutes apart at
/// most, not a whole suite apart); `None` if either row was not run.
fn scaling<'a>(rows: &'a [Row<'a>], prefix: &str) -> Option<[f64; 5]> {
    let at = |n: usize| rows.iter().find(|r| r.name == format!("{prefix}_{n}"));
    let (wide, narrow) = (at(512)?, at(64)?);
    Some(std::array::from_fn(|c| {
        let per_round = wide.columns[c]
            .iter()
            .zip(narrow.columns[c])
            .filter_map(|(w, n)| Some(rate((*w)?) / rate((*n)?)));
        median(per_round)
    }))
}

/// The table: ops/s (median over the rounds) per contender, the per-round ratio medians next
/// to the targets, the 64-to-512-task scaling and fio.
pub fn table(plan: &Plan, results: &[Measured], fio: &Outcome) -> String {
    let rows = rows(results);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fs, page cache warm: ops/s, median of {} round{}; ratios: median of the per-round \
         ratios (✓/✗: the target); {} workers per runtime, std on {} threads (at most one per \
         task)",
        plan.rounds,
        if plan.rounds == 1 { "" } else { "s" },
        super::contenders::WORKERS,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    out.push('\n');
    out.push_str("| workload |");
    for c in Contender::ALL {
        let _ = write!(out, " {} |", c.label());
    }
    for r in &RATIOS {
        let _ = write!(out, " {} |", r.title);
    }
    out.push('\n');
    out.push_str(&"|---".repeat(1 + Contender::ALL.len() + RATIOS.len()));
    out.push_str("|\n");
    for row in &rows {
        let _ = write!(out, "| {} |", row.name);
        for c in 0..Contender::ALL.len() {
            let _ = write!(out, " {} |", fmt_median(row.median(c)));
        }
        for r in &RATIOS {
            let _ = write!(out, " {} |", fmt_ratio_against(row.ratio(r.of), r.target));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(
        "rand_read_N: Tandem and std read_at (pread) on one shared File; Tokio (no read_at) \
         seeks and reads, one File per task.\nrand_read_seek_N: Tandem seeks and reads, one File \
         per task; its Tokio and std columns are those of rand_read_N (same runs).\n",
    );
    for prefix in ["rand_read", "rand_read_seek"] {
        if let Some(scale) = scaling(&rows, prefix) {
            let _ = write!(
                out,
                "\n{prefix}_512 / {prefix}_64 (target: no drop, ≥{NO_DROP:.2}x):"
            );
            for (c, s) in Contender::ALL.iter().zip(scale) {
                let _ = write!(
                    out,
                    " {} {}",
                    c.label(),
                    fmt_ratio_against(s, Some(NO_DROP))
                );
            }
        }
    }
    out.push('\n');
    match fio {
        Outcome::Skipped(why) => {
            let _ = writeln!(out, "\nfio: skipped: {why}.");
        }
        Outcome::Ran { secs, iops } => {
            let _ = writeln!(
                out,
                "\nfio (io_uring, randread 4k, 1 job, {secs} s per depth, same file), and \
                 Tandem uring's rand_read_N as a share of it:"
            );
            for &(depth, iops) in iops {
                let tandem = rows
                    .iter()
                    .find(|r| r.name == format!("rand_read_{depth}"))
                    .map_or(f64::NAN, |r| r.median(0));
                let _ = writeln!(
                    out,
                    "  iodepth {depth:<4} {:>10} IOPS   Tandem uring {} ({})",
                    iops.map_or("failed".into(), fmt_median),
                    fmt_median(tandem),
                    fmt_ratio(tandem / iops.unwrap_or(f64::NAN)),
                );
            }
        }
    }
    out
}

/// Writes `fs.json` and `fs.svg` into `target/tandem-bench/`.
pub fn write_files(
    plan: &Plan,
    results: &[Measured],
    fio: &Outcome,
) -> io::Result<(PathBuf, PathBuf)> {
    let dir = crate::harness::target_dir().join("tandem-bench");
    std::fs::create_dir_all(&dir)?;
    let json_path = dir.join("fs.json");
    std::fs::write(&json_path, to_json(plan, results, fio))?;
    let svg_path = dir.join("fs.svg");
    std::fs::write(&svg_path, svg::chart(plan, &rows(results)))?;
    Ok((json_path, svg_path))
}

fn to_json(plan: &Plan, results: &[Measured], fio: &Outcome) -> String {
    let rows = rows(results);
    let workloads: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut contenders = serde_json::Map::new();
            for (c, contender) in Contender::ALL.iter().enumerate() {
                let rates = row.rates(c);
                let value = match rates.is_empty() {
                    true => Value::Null,
                    false => {
                        let s = Stats::of(&rates);
                        json!({
                            "ops_per_sec": {
                                "median": json_num(s.median),
                                "p25": json_num(s.p25),
                                "p75": json_num(s.p75),
                                "min": json_num(s.min),
                                "max": json_num(s.max),
                            },
                            "rounds": rates.iter().map(|&r| json_num(r)).collect::<Vec<_>>(),
                        })
                    }
                };
                contenders.insert(contender.name().into(), value);
            }
            let mut ratios = serde_json::Map::new();
            for r in &RATIOS {
                ratios.insert(r.name.into(), json_num(row.ratio(r.of)));
            }
            json!({
                "name": row.name,
                "tandem_op": row.kind.name(),
                "tokio_std_columns_from": if row.shared {
                    Value::String(row.name.replace("rand_read_seek", "rand_read"))
                } else {
                    Value::Null
                },
                "contenders": contenders,
                "ratios": ratios,
            })
        })
        .collect();
    let scaling_json = |prefix: &str| {
        scaling(&rows, prefix).map(|s| {
            let map: serde_json::Map<String, Value> = Contender::ALL
                .iter()
                .zip(s)
                .map(|(c, x)| (c.name().to_string(), json_num(x)))
                .collect();
            Value::Object(map)
        })
    };
    let fio_json = match fio {
        Outcome::Skipped(why) => json!({ "skipped": why }),
        Outcome::Ran { secs, iops } => json!({
            "secs_per_depth": secs,
            "iops": iops.iter().map(|&(d, i)| json!({
                "iodepth": d, "iops": i.map_or(Value::Null, json_num),
            })).collect::<Vec<_>>(),
        }),
    };
    let doc = json!({
        "suite": "fs",
        "page_cache": "warm",
        "rounds": plan.rounds,
        "small_files": plan.small_files,
        "opens": plan.opens,
        "random_reads": plan.reads,
        "workers": super::contenders::WORKERS,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "unit": "ops per second",
        "targets": {
            "tandem_uring_vs_tokio_pool": 5.0,
            "tandem_uring_vs_tokio_uring": 3.0,
            "tandem_uring_vs_std": 0.70,
            "rand_read_512_vs_64": NO_DROP,
        },
        "workloads": workloads,
        "rand_read_512_vs_64": scaling_json("rand_read"),
        "rand_read_seek_512_vs_64": scaling_json("rand_read_seek"),
        "fio": fio_json,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fs::{Options, Workload};
    use crate::http::Mode;

    fn sample(ms: u64) -> Option<Sample> {
        Some(Sample {
            ops: 1000,
            bytes: 1000 * 4096,
            elapsed: Duration::from_millis(ms),
        })
    }

    #[test]
    fn rand_rows_split_and_ratios_are_per_round() {
        let plan = Options::default().plan(Mode::Quick, vec!["rand_read_64".into()]);
        let workload: Workload = plan.workloads().remove(0);
        // Cells: T-uring at, T-ring at, T-off at, tokio, tokio-uring, std, T-uring seek,
        // T-ring seek, T-off seek.
        let samples = vec![
            vec![sample(10), sample(20)],
            vec![sample(20), sample(20)],
            vec![sample(40), sample(40)],
            vec![sample(100), sample(100)],
            vec![None, None],
            vec![sample(10), sample(10)],
            vec![sample(20), sample(20)],
            vec![sample(40), sample(40)],
            vec![sample(50), sample(50)],
        ];
        let results = [Measured { workload, samples }];
        let rows = rows(&results);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].name, "rand_read_seek_64");
        assert!((rows[0].ratio((0, 3)) - 7.5).abs() < 1e-9);
        assert!((rows[1].ratio((0, 3)) - 5.0).abs() < 1e-9);
        assert!((rows[1].ratio((1, 5)) - 0.25).abs() < 1e-9);
        assert!(rows[0].ratio((0, 4)).is_nan());
        let fio = Outcome::Ran {
            secs: 1,
            iops: vec![(64, Some(500_000.0))],
        };
        let table = table(&plan, &results, &fio);
        assert!(table.contains("| rand_read_64 | 75,000 | 50,000 | 25,000 | 10,000 | - | 100,000 | 7.50x ✓ | - | 0.75x ✓ | 0.50x | 2.50x |"), "{table}");
        let chart = svg::chart(&plan, &rows);
        // Bars relative to std's column, not any other.
        assert!(
            chart.contains("rand_read_64 Tandem uring: 0.75x of std (75,000 ops/s)"),
            "{chart}"
        );
        assert!(chart.contains("rand_read_seek_64 Tokio pool: 0.10x of std (10,000 ops/s)"));
        assert!(!chart.contains("Tokio uring: "), "no bar without samples");
        // The ratios span 0.1x to 1x: the scale, one decade either side of 1x.
        assert!(chart.contains(">0.1x</text>") && chart.contains(">10x</text>"));
        assert!(!chart.contains(">0.01x</text>") && !chart.contains(">100x</text>"));
        for c in Contender::ALL {
            assert!(
                chart.contains(c.label()),
                "{} missing from the chart",
                c.label()
            );
        }
        let parsed: Value = serde_json::from_str(&to_json(&plan, &results, &fio)).unwrap();
        assert_eq!(
            parsed["workloads"][1]["contenders"]["tokio_uring"],
            Value::Null
        );
        assert_eq!(parsed["fio"]["iops"][0]["iops"], 500000.0);
    }
}
