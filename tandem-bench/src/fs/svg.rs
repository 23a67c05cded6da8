//! The fs suite's chart, as a hand-written SVG: per row of the table, each contender's median
//! ops/s relative to blocking std's in the same row, as a bar from std's line (1x) up (faster
//! than std) or down (slower), on a log scale of the whole decades the data spans, since the
//! contenders differ by up to 100x. The chart grows to hold its rows' names.

use std::fmt::Write as _;

use super::contenders::Contender;
use super::rows::Row;
use super::Plan;
use crate::stats::{fmt_count, fmt_ratio};
use crate::svg::{decades, escape, text_width};

/// One per contender, in [`Contender::ALL`]'s order (a length mismatch does not compile).
const COLOURS: [&str; Contender::ALL.len()] = [
    "#2f7ec1", "#1b4f7a", "#9cc3e6", "#6a9f3a", "#b5d48c", "#9e9e9e",
];
const FONT_SIZE: f64 = 11.0;
/// The plot area's top and bottom.
const TOP: f64 = 70.0;
const BOTTOM: f64 = 330.0;
/// Left of the plot area: the axis title and the decade labels.
const LEFT: f64 = 70.0;
/// The width of each row's bars, with a gap on either side.
const SLOT: f64 = 70.0;
/// The space kept around the drawing.
const MARGIN: f64 = 16.0;
/// The row names' slant under the bars.
const LABEL_ANGLE_DEG: f64 = 40.0;

/// The chart of `rows`.
pub fn chart(plan: &Plan, rows: &[Row<'_>]) -> String {
    let std_column = Contender::ALL
        .iter()
        .position(|&c| c == Contender::Std)
        .expect("std is a contender");
    // Each contender's median over std's, per row (NaN where either was not measured).
    let ratios: Vec<[f64; Contender::ALL.len()]> = rows
        .iter()
        .map(|row| std::array::from_fn(|c| row.median(c) / row.median(std_column)))
        .collect();
    // The decades of the data, and at least one either side of std's 1x.
    let (low, high) = decades(ratios.iter().flatten().copied().chain([0.1, 10.0]));
    let y = |r: f64| BOTTOM - (r.log10() - low) / (high - low) * (BOTTOM - TOP);

    // Sized to hold the legend, and the last row's name slanting down and right of its bars.
    let angle = LABEL_ANGLE_DEG.to_radians();
    let longest = rows
        .iter()
        .map(|r| text_width(&r.name, FONT_SIZE))
        .fold(0.0, f64::max);
    let plot_right = LEFT + SLOT * rows.len().max(1) as f64;
    let last_name_end = rows.last().map_or(0.0, |r| {
        plot_right - SLOT / 2.0 + text_width(&r.name, FONT_SIZE) * angle.cos()
    });
    let legend = legend_entries();
    let legend_end = legend
        .last()
        .map_or(0.0, |&(x, _, text)| x + 16.0 + text_width(text, FONT_SIZE));
    let title = format!(
        "fs, page cache warm: ops/s relative to blocking std's in the same row, median of {} \
         round{}",
        plan.rounds,
        if plan.rounds == 1 { "" } else { "s" }
    );
    let width = (plot_right + MARGIN)
        .max(last_name_end + MARGIN)
        .max(legend_end + MARGIN)
        .max(text_width(&title, 14.0) + 2.0 * MARGIN)
        .ceil();
    let height = (BOTTOM + 12.0 + longest * angle.sin() + FONT_SIZE + MARGIN).ceil();
    let mut svg = crate::svg::open(width, height, FONT_SIZE as u32, 14, &title);

    for d in (low as i32)..=(high as i32) {
        let r = 10f64.powi(d);
        let decimals = (-d).max(0) as usize;
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{plot_right}" y1="{0:.1}" y2="{0:.1}" stroke="{1}"/><text x="{2}" y="{3:.1}" text-anchor="end" fill="#555">{r:.decimals$}x</text>"##,
            y(r),
            if d == 0 { "#444" } else { "#ddd" },
            LEFT - 6.0,
            y(r) + 4.0,
        );
    }
    let _ = writeln!(
        svg,
        r##"<text transform="translate({},{:.1}) rotate(-90)" text-anchor="middle" fill="#333">ops/s ÷ std's ops/s (log scale)</text>"##,
        MARGIN + FONT_SIZE / 2.0,
        (TOP + BOTTOM) / 2.0,
    );

    let bars: Vec<usize> = (0..Contender::ALL.len())
        .filter(|&c| c != std_column)
        .collect();
    let bar = SLOT * 0.8 / bars.len() as f64;
    for ((i, row), ratios) in rows.iter().enumerate().zip(&ratios) {
        let x0 = LEFT + SLOT * i as f64 + SLOT * 0.1;
        let mid = LEFT + SLOT * (i as f64 + 0.5);
        if !row.median(std_column).is_finite() {
            let _ = writeln!(
                svg,
                r##"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" fill="#555">no std</text>"##,
                y(1.0) - 4.0
            );
        }
        for (k, &c) in bars.iter().enumerate() {
            let r = ratios[c];
            if !(r.is_finite() && r > 0.0) {
                continue;
            }
            let (from, to) = (y(1.0), y(r));
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {} of std ({} ops/s)</title></rect>"#,
                x0 + bar * k as f64,
                from.min(to),
                bar - 1.0,
                (from - to).abs().max(0.5),
                COLOURS[c],
                escape(&row.name),
                Contender::ALL[c].label(),
                fmt_ratio(r),
                fmt_count(row.median(c).round() as u64),
            );
        }
        let _ = writeln!(
            svg,
            r#"<text transform="translate({mid:.1},{}) rotate({LABEL_ANGLE_DEG})" text-anchor="start">{}</text>"#,
            BOTTOM + 12.0,
            escape(&row.name)
        );
    }
    for (x, c, text) in legend {
        let mark = match Contender::ALL[c] {
            // std is the line every bar starts from.
            Contender::Std => format!(
                r##"<line x1="{x}" x2="{}" y1="{}" y2="{}" stroke="#444" stroke-width="2"/>"##,
                x + 12.0,
                TOP - 26.0,
                TOP - 26.0,
            ),
            _ => format!(
                r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/>"#,
                TOP - 32.0,
                COLOURS[c],
            ),
        };
        let _ = writeln!(
            svg,
            r#"{mark}<text x="{}" y="{}">{}</text>"#,
            x + 16.0,
            TOP - 22.0,
            escape(text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The legend, one entry per contender in a line: its left edge, the contender's index in
/// [`Contender::ALL`], its text.
fn legend_entries() -> Vec<(f64, usize, &'static str)> {
    let mut x = LEFT;
    let mut entries = Vec::new();
    for (c, contender) in Contender::ALL.iter().enumerate() {
        let text = match contender {
            Contender::Std => "std = 1x",
            _ => contender.label(),
        };
        entries.push((x, c, text));
        x += 16.0 + text_width(text, FONT_SIZE) + 20.0;
    }
    entries
}
