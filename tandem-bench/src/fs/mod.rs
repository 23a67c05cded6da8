//! The fs suite: file reads and writes on six contenders, page cache warm.
//!
//! | contender | what |
//! |---|---|
//! | Tandem uring | Tandem, 2 workers, `UringMode::Auto`, the defaults: reads try the page cache on the worker first (`fs_nowait_first`), the rest goes through io_uring |
//! | Tandem ring | the same with `fs_nowait_first(false)`: every operation through io_uring |
//! | Tandem off | Tandem, 2 workers, `UringMode::Off` (its blocking pool) |
//! | Tokio pool | Tokio, 2 workers, its blocking pool (the default) |
//! | Tokio uring | Tokio, 2 workers, built with `--cfg tokio_unstable` and its `io-uring` feature, in a process of its own ([`runner`]) |
//! | std | blocking `std::fs` on one thread per core (fewer if the workload has fewer tasks): the practical upper bound |
//!
//! Every contender runs the same code ([`work`]; std its blocking equivalent) on the same files:
//! 10,000 small files, a 256 MiB file read at random 4 KiB-aligned offsets (the same seeded
//! sequence for all), all created and read once before measuring ([`data`]).
//!
//! The steps:
//!
//! 1. [`Options::plan`] sets the counts and rounds for the mode (`fs`, every suite, `--quick`);
//! 2. [`data`] creates the files, [`runner`] builds the Tokio io_uring runner (Cargo, once);
//! 3. [`run`] measures in rounds; each round runs every workload, and each workload every
//!    contender once, the order rotated and reversed from round to round ([`round_order`]: A B C
//!    D E, E D C B A, B C D E A, ...), because the
//!    machine's speed drifts by up to 2x over minutes: only ratios taken in the same round mean
//!    anything (the 64-vs-512-task scaling too, hence rounds outside workloads). A sample builds a
//!    fresh runtime, runs a tenth of the work to warm it up, then times the whole work;
//! 4. [`fio`] measures the random reads with `fio` when it is on the PATH;
//! 5. [`report`] prints the medians of ops/s and of the per-round ratios next to the targets,
//!    and writes `target/tandem-bench/fs.json` and `fs.svg`; the files are deleted.

mod contenders;
mod data;
mod fio;
mod report;
mod rows;
mod runner;
mod svg;
mod work;

use std::io::{self, Write as _};
use std::time::{Duration, Instant};

use crate::harness::fmt_duration;
use crate::http::Mode;
use contenders::Contender;
use work::{Kind, Sample, Spec};

/// The flags' part of `--help`.
pub const USAGE: &str = "\
fs suite options (`fs`, `fs/FILTER`, e.g. `fs/rand_read`):
  --fs-rounds R      rounds, each contender once per workload per round (default: 5; 3 when
                     every suite runs; 1 with --quick)
  --fs-reads N       random reads per sample of rand_read_* (default: 10000; 5000 when every
                     suite runs; 1000 with --quick)
  --no-fio           skip fio even when it is on the PATH
  Results also go to target/tandem-bench/fs.json and fs.svg.";

/// The flags, as given (`None`: not given).
#[derive(Debug, Default, Clone)]
pub struct Options {
    rounds: Option<usize>,
    reads: Option<usize>,
    no_fio: bool,
}

/// What the suite will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Rounds of every workload.
    pub rounds: usize,
    /// Small files, each read (`read_small`) or written (`write_small`) once per sample.
    pub small_files: usize,
    /// Opens of `open_read_close_*` per sample.
    pub opens: usize,
    /// Random reads of `rand_read_*` per sample.
    pub reads: usize,
    /// The concurrent tasks of the `rand_read_*` workloads.
    pub rand_tasks: Vec<usize>,
    /// Seconds of each fio run; `None`: no fio.
    pub fio: Option<u64>,
    /// Only the workloads whose name contains one of these (empty: all).
    pub filters: Vec<String>,
}

impl Options {
    /// Takes `flag` if it is one of the suite's; `None` if it is not.
    pub fn parse_flag(
        &mut self,
        flag: &str,
        value: impl FnOnce() -> Result<String, String>,
    ) -> Option<Result<(), String>> {
        let positive = |v: String| crate::positive(flag, &v);
        let parsed = match flag {
            "--fs-rounds" => value().and_then(positive).map(|n| self.rounds = Some(n)),
            "--fs-reads" => value().and_then(positive).map(|n| self.reads = Some(n)),
            "--no-fio" => {
                self.no_fio = true;
                Ok(())
            }
            _ => return None,
        };
        Some(parsed)
    }

    /// The plan: the flags given, and defaults for `mode` for the rest.
    pub fn plan(&self, mode: Mode, filters: Vec<String>) -> Plan {
        let (rounds, small_files, opens, reads, fio) = match mode {
            Mode::Selected => (5, 10_000, 10_000, 10_000, Some(2)),
            Mode::EverySuite => (3, 10_000, 5_000, 5_000, Some(1)),
            Mode::Quick => (1, 500, 500, 1_000, None),
        };
        Plan {
            rounds: self.rounds.unwrap_or(rounds),
            small_files,
            opens,
            reads: self.reads.unwrap_or(reads),
            rand_tasks: vec![1, 16, 64, 256, 512],
            fio: fio.filter(|_| !self.no_fio),
            filters,
        }
    }
}

impl Plan {
    /// The workloads, filtered.
    pub fn workloads(&self) -> Vec<Workload> {
        let plain = |name: String, kind, tasks, ops| Workload {
            name,
            tasks,
            ops,
            cells: Contender::ALL.iter().map(|&c| (c, kind)).collect(),
        };
        let mut all = vec![
            plain("read_small".into(), Kind::ReadSmall, 64, self.small_files),
            plain("write_small".into(), Kind::WriteSmall, 64, self.small_files),
            plain(
                "open_read_close_1".into(),
                Kind::OpenReadClose,
                1,
                self.opens,
            ),
            plain(
                "open_read_close_64".into(),
                Kind::OpenReadClose,
                64,
                self.opens,
            ),
        ];
        for &tasks in &self.rand_tasks {
            // Tandem both ways; Tokio has no `read_at`, so it seeks; std preads.
            let cells = vec![
                (Contender::TandemUring, Kind::RandReadAt),
                (Contender::TandemRing, Kind::RandReadAt),
                (Contender::TandemOff, Kind::RandReadAt),
                (Contender::TokioPool, Kind::RandReadSeek),
                (Contender::TokioUring, Kind::RandReadSeek),
                (Contender::Std, Kind::RandReadAt),
                (Contender::TandemUring, Kind::RandReadSeek),
                (Contender::TandemRing, Kind::RandReadSeek),
                (Contender::TandemOff, Kind::RandReadSeek),
            ];
            all.push(Workload {
                name: format!("rand_read_{tasks}"),
                tasks,
                ops: self.reads,
                cells,
            });
        }
        all.retain(|w| self.filters.is_empty() || self.filters.iter().any(|f| w.name.contains(f)));
        all
    }

    /// A rough estimate of the time the plan takes, from this 2-core machine's speed.
    pub fn estimate(&self, workloads: &[Workload]) -> Duration {
        let per_round: Duration = workloads
            .iter()
            .map(|w| {
                // Seconds per operation per contender, on average, measured on 2 cores.
                let per_op = match w.cells[0].1 {
                    Kind::WriteSmall => 50e-6,
                    Kind::RandReadAt | Kind::RandReadSeek if w.tasks == 1 => 40e-6,
                    _ => 15e-6,
                };
                Duration::from_secs_f64(per_op * w.ops as f64 * w.cells.len() as f64 * 1.1)
            })
            .sum();
        let fio = self.fio.map_or(0, |s| s * self.rand_tasks.len() as u64);
        per_round * self.rounds as u32 + Duration::from_secs(2 + fio)
    }
}

/// One workload: what every contender runs in each round.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Its name in the table.
    pub name: String,
    /// Concurrent tasks.
    pub tasks: usize,
    /// Operations per sample.
    pub ops: usize,
    /// The samples of a round: which contender runs which kind of work.
    pub cells: Vec<(Contender, Kind)>,
}

/// The samples of one workload: `samples[c][r]` is cell `c` in round `r`.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The workload.
    pub workload: Workload,
    /// Per cell, per round; `None` where the contender could not run.
    pub samples: Vec<Vec<Option<Sample>>>,
}

/// Runs the fs suite: `plan` on `workers` worker threads per runtime.
pub fn run(plan: &Plan) -> Result<(), String> {
    let workloads = plan.workloads();
    if workloads.is_empty() {
        return Err(format!("no fs workload matches {:?}", plan.filters));
    }
    println!();
    println!(
        "fs: {} workloads, {} rounds; contenders: {}; page cache warm; roughly {}.",
        workloads.len(),
        plan.rounds,
        Contender::ALL.map(|c| c.label()).join(", "),
        fmt_duration(plan.estimate(&workloads)),
    );
    let tokio_uring = match runner::build() {
        Ok(runner) => Some(runner),
        Err(e) => {
            eprintln!("warning: no Tokio io_uring contender: {e}");
            None
        }
    };
    let started = Instant::now();
    let files = data::Files::create(plan).map_err(|e| format!("creating the files: {e}"))?;
    println!(
        "  files ready in {:.1} s under {} (written, then read once)",
        started.elapsed().as_secs_f64(),
        files.dir.display()
    );
    // Round-major: every workload once per round, so rows compared with each other (the
    // 64-vs-512-task scaling) are measured close together in time, not a whole suite apart.
    let mut all: Vec<Vec<Vec<Option<Sample>>>> = workloads
        .iter()
        .map(|w| vec![Vec::new(); w.cells.len()])
        .collect();
    for round in 0..plan.rounds {
        for (workload, samples) in workloads.iter().zip(&mut all) {
            measure_round(workload, plan, round, &files, tokio_uring.as_ref(), samples)?;
        }
    }
    let results: Vec<Measured> = workloads
        .iter()
        .zip(all)
        .map(|(workload, samples)| Measured {
            workload: workload.clone(),
            samples,
        })
        .collect();
    let fio = match plan.fio {
        Some(secs) if workloads.iter().any(|w| w.name.starts_with("rand_read")) => {
            fio::run_all(&files.big(), &plan.rand_tasks, secs)
        }
        _ => fio::Outcome::Skipped("not in this run (--quick, --no-fio or filtered out)".into()),
    };
    println!();
    print!("{}", report::table(plan, &results, &fio));
    match report::write_files(plan, &results, &fio) {
        Ok((json, svg)) => println!(
            "\nResults written to {} and {}.",
            json.display(),
            svg.display()
        ),
        Err(e) => eprintln!("warning: cannot write the fs results: {e}"),
    }
    drop(files);
    let _ = io::stdout().flush();
    Ok(())
}

/// The order in which round `round` runs `n` cells: rotated by one more every other round, and
/// reversed on odd rounds (A B C, C B A, B C A, B A C, ...). A plain rotation keeps every cell's
/// predecessor fixed, so whatever one contender leaves behind (a ring being torn down by the
/// kernel, a pool's threads winding down) would always land on the same next one.
fn round_order(round: usize, n: usize) -> impl Iterator<Item = usize> {
    let shift = round / 2;
    let reversed = round % 2 == 1;
    (0..n).map(move |k| {
        let i = (k + shift) % n;
        if reversed {
            n - 1 - i
        } else {
            i
        }
    })
}

/// Measures round `round` of `workload`, appending one sample per cell and printing one line.
fn measure_round(
    workload: &Workload,
    plan: &Plan,
    round: usize,
    files: &data::Files,
    tokio_uring: Option<&runner::Runner>,
    samples: &mut [Vec<Option<Sample>>],
) -> Result<(), String> {
    let cells = &workload.cells;
    {
        let mut line = format!(
            "  {:<20} round {}/{}:",
            workload.name,
            round + 1,
            plan.rounds
        );
        for i in round_order(round, cells.len()) {
            let (contender, kind) = cells[i];
            let spec = Spec {
                kind,
                tasks: workload.tasks,
                ops: workload.ops,
                dir: files.dir.clone(),
                seed: 0x5eed,
            };
            let sample = contender.sample(&spec, tokio_uring).map_err(|e| {
                format!("{} {} ({:?}): {e}", workload.name, contender.label(), kind)
            })?;
            if let Some(s) = sample {
                let expected = s.ops * work::BLOCK as u64;
                if s.bytes != expected {
                    return Err(format!(
                        "{} {}: moved {} bytes, expected {expected}",
                        workload.name,
                        contender.label(),
                        s.bytes
                    ));
                }
            }
            samples[i].push(sample);
        }
        for (i, (contender, kind)) in cells.iter().enumerate() {
            let rate = samples[i][round].map_or("-".to_string(), report::fmt_rate);
            let seek = match (workload.name.starts_with("rand"), kind) {
                (true, Kind::RandReadSeek) if contender.is_tandem() => " (seek)",
                _ => "",
            };
            line.push_str(&format!(" {}{seek} {rate}", contender.short_label()));
        }
        println!("{line}");
        let _ = io::stdout().flush();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::round_order;

    #[test]
    fn rounds_are_permutations_with_varied_predecessors() {
        let n = 6;
        let rounds: Vec<Vec<usize>> = (0..4).map(|r| round_order(r, n).collect()).collect();
        assert_eq!(rounds[0], [0, 1, 2, 3, 4, 5]);
        assert_eq!(rounds[1], [5, 4, 3, 2, 1, 0]);
        assert_eq!(rounds[2], [1, 2, 3, 4, 5, 0]);
        for order in &rounds {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>());
        }
        // Cell 1 runs right after cell 0 in round 0, and after cell 2 in round 1.
        let predecessor = |order: &[usize], cell| {
            let at = order.iter().position(|&c| c == cell).unwrap();
            (at > 0).then(|| order[at - 1])
        };
        assert_eq!(predecessor(&rounds[0], 1), Some(0));
        assert_eq!(predecessor(&rounds[1], 1), Some(2));
    }
}
