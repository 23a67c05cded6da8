//! The rows of the fs suite's table and chart: one per workload, and a second one for the
//! random reads, whose Tandem columns seek. The table, the JSON ([`super::report`]) and the
//! chart ([`super::svg`]) all read them.

use super::contenders::Contender;
use super::work::{Kind, Sample};
use super::Measured;
use crate::stats::median;

/// One row of the table: a name and, per column of [`Contender::ALL`], the samples.
pub struct Row<'a> {
    /// The row's name.
    pub name: String,
    /// What the row's Tandem columns ran.
    pub kind: Kind,
    /// Per contender, its samples, one per round (`None`: not available).
    pub columns: [&'a [Option<Sample>]; 6],
    /// Whether the Tokio and std columns repeat the row above.
    pub shared: bool,
}

impl Row<'_> {
    /// Ops/s per round of column `c`; empty if unavailable.
    pub fn rates(&self, c: usize) -> Vec<f64> {
        self.columns[c].iter().flatten().map(|s| rate(*s)).collect()
    }

    /// The median ops/s of column `c`, NaN if unavailable.
    pub fn median(&self, c: usize) -> f64 {
        median(self.rates(c))
    }

    /// The median over the rounds of column `a`'s ops/s over column `b`'s.
    pub fn ratio(&self, (a, b): (usize, usize)) -> f64 {
        let per_round = self.columns[a]
            .iter()
            .zip(self.columns[b])
            .filter_map(|(x, y)| Some(rate((*x)?) / rate((*y)?)));
        median(per_round)
    }
}

/// The rows: one per workload, and for `rand_read_N` also `rand_read_seek_N`, whose Tandem
/// columns seek and read, and whose Tokio and std columns are those of `rand_read_N`.
pub fn rows(results: &[Measured]) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for m in results {
        let find = |contender: Contender, kinds: &[Kind]| {
            m.workload
                .cells
                .iter()
                .position(|&(c, k)| c == contender && kinds.contains(&k))
                .map_or(&[][..], |i| &m.samples[i][..])
        };
        let first = m.workload.cells[0].1;
        let main = Contender::ALL.map(|c| match c.is_tandem() {
            true => find(c, &[first]),
            false => find(c, &[first, Kind::RandReadSeek]),
        });
        rows.push(Row {
            name: m.workload.name.clone(),
            kind: first,
            columns: main,
            shared: false,
        });
        if first == Kind::RandReadAt {
            let mut seek = main;
            for (c, contender) in Contender::ALL.iter().enumerate() {
                if contender.is_tandem() {
                    seek[c] = find(*contender, &[Kind::RandReadSeek]);
                }
            }
            rows.push(Row {
                name: m.workload.name.replace("rand_read", "rand_read_seek"),
                kind: Kind::RandReadSeek,
                columns: seek,
                shared: true,
            });
        }
    }
    rows
}

/// Ops per second of a sample.
pub fn rate(s: Sample) -> f64 {
    s.ops as f64 / s.elapsed.as_secs_f64()
}
