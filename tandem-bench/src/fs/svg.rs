//! The fs suite's chart, as a hand-written SVG: per row of the table, each contender's median
//! ops/s relative to std's (std = 1), on a log scale, since the rows differ by 100x in ops/s.

use std::fmt::Write as _;

use super::contenders::Contender;
use super::rows::Row;
use super::Plan;

/// One per contender, in [`Contender::ALL`]'s order (a length mismatch does not compile).
const COLOURS: [&str; Contender::ALL.len()] = [
    "#2f7ec1", "#1b4f7a", "#9cc3e6", "#6a9f3a", "#b5d48c", "#9e9e9e",
];
const TOP: f64 = 70.0;
const BOTTOM: f64 = 330.0;
const LEFT: f64 = 60.0;
const SLOT: f64 = 70.0;
const HEIGHT: f64 = 440.0;
/// The scale: 1/100 to 10x std.
const DECADES: (i32, i32) = (-2, 1);

/// The chart of `rows`.
pub fn chart(plan: &Plan, rows: &[Row<'_>]) -> String {
    let width = LEFT + SLOT * rows.len().max(1) as f64 + 20.0;
    let title = format!(
        "fs, page cache warm: ops/s relative to blocking std (log scale), median of {} round{}",
        plan.rounds,
        if plan.rounds == 1 { "" } else { "s" }
    );
    let mut svg = crate::svg::open(width, HEIGHT, 11, 14, &title);
    let (low, high) = (DECADES.0 as f64, DECADES.1 as f64);
    let y = |r: f64| {
        let l = r.log10().clamp(low, high);
        BOTTOM - (l - low) / (high - low) * (BOTTOM - TOP)
    };
    for d in DECADES.0..=DECADES.1 {
        let r = 10f64.powi(d);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{}"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{r}x</text>"##,
            width - 20.0,
            y(r),
            y(r),
            if d == 0 { "#888" } else { "#ddd" },
            LEFT - 6.0,
            y(r) + 4.0,
        );
    }
    let bar = SLOT * 0.8 / Contender::ALL.len() as f64;
    for (i, row) in rows.iter().enumerate() {
        let x0 = LEFT + SLOT * i as f64 + SLOT * 0.1;
        let std = row.median(4);
        for (c, contender) in Contender::ALL.iter().enumerate() {
            let r = row.median(c) / std;
            if !(r.is_finite() && r > 0.0) {
                continue;
            }
            let top = y(r);
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {r:.2}x std</title></rect>"#,
                x0 + bar * c as f64,
                bar - 1.0,
                (y(10f64.powi(DECADES.0)) - top).max(0.5),
                COLOURS[c],
                row.name,
                contender.label(),
            );
        }
        let mid = LEFT + SLOT * (i as f64 + 0.5);
        let _ = writeln!(
            svg,
            r#"<text transform="translate({mid:.1},{}) rotate(40)" text-anchor="start">{}</text>"#,
            BOTTOM + 12.0,
            row.name
        );
    }
    for (c, contender) in Contender::ALL.iter().enumerate() {
        let x = LEFT + 110.0 * c as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            TOP - 30.0,
            COLOURS[c],
            x + 16.0,
            TOP - 20.0,
            contender.label()
        );
    }
    svg.push_str("</svg>\n");
    svg
}
