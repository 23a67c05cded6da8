//! The HTTP suite's chart, as a hand-written SVG: requests per second per server (median,
//! with the range of the runs), and the latency percentiles per server on a log scale. The
//! drawing helpers are shared with the per-second chart ([`super::timeline_svg`]).

use std::fmt::Write as _;

use super::report::{fmt_ms, PERCENTILES};
use super::Arch;
use crate::stats::fmt_count;
use crate::svg::{decades, escape};

/// One server's bars.
#[derive(Debug, Clone)]
pub struct Bars {
    /// The server.
    pub arch: Arch,
    /// Median requests per second, and the slowest and fastest run.
    pub rate: [f64; 3],
    /// Median latency at each of [`PERCENTILES`], in ms (NaN: no responses).
    pub latency_ms: [f64; 4],
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 420.0;
/// The plot areas: top, bottom, and each panel's left and right edges.
const TOP: f64 = 70.0;
const BOTTOM: f64 = 340.0;
const RATE_PANEL: (f64, f64) = (80.0, 440.0);
const LATENCY_PANEL: (f64, f64) = (560.0, 930.0);
const PERCENTILE_COLOURS: [&str; 4] = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"];

/// Each server's colour.
pub(super) fn colour(arch: Arch) -> &'static str {
    match arch {
        Arch::Single => "#9e9e9e",
        Arch::Thread => "#c98a3b",
        Arch::Tandem => "#2f7ec1",
        Arch::TandemUring => "#17457a",
        Arch::Tokio => "#6a9f3a",
    }
}

/// The chart, titled `title`.
pub fn chart(title: &str, servers: &[Bars]) -> String {
    let mut svg = crate::svg::open(WIDTH, HEIGHT, 12, 15, title);
    rate_panel(&mut svg, servers);
    latency_panel(&mut svg, servers);
    svg.push_str("</svg>\n");
    svg
}

fn rate_panel(svg: &mut String, servers: &[Bars]) {
    let (left, right) = RATE_PANEL;
    panel_title(
        svg,
        RATE_PANEL,
        "Requests per second (bar: median; line: slowest to fastest run)",
    );
    let top = servers
        .iter()
        .flat_map(|s| s.rate)
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max);
    let top = nice_ceiling(top.max(1.0));
    let y = |v: f64| BOTTOM - (v / top) * (BOTTOM - TOP);
    for i in 0..=4 {
        let v = top * i as f64 / 4.0;
        grid_line(svg, RATE_PANEL, y(v), &fmt_count(v.round() as u64));
    }
    let slot = (right - left) / servers.len().max(1) as f64;
    for (i, server) in servers.iter().enumerate() {
        let x = left + slot * i as f64;
        let [median, low, high] = server.rate.map(|r| if r.is_finite() { r } else { 0.0 });
        let (bar_x, bar_w) = (x + slot * 0.2, slot * 0.6);
        let _ = writeln!(
            svg,
            r#"<rect x="{bar_x:.1}" y="{:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {} req/s</title></rect>"#,
            y(median),
            BOTTOM - y(median),
            colour(server.arch),
            server.arch.label(),
            fmt_count(median.round() as u64)
        );
        let mid = x + slot / 2.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{mid:.1}" x2="{mid:.1}" y1="{:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"/>"##,
            y(low),
            y(high)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y(high.max(median)) - 6.0,
            fmt_count(median.round() as u64)
        );
        axis_label(svg, mid, server.arch.short_label());
    }
}

fn latency_panel(svg: &mut String, servers: &[Bars]) {
    let (left, right) = LATENCY_PANEL;
    panel_title(svg, LATENCY_PANEL, "Latency percentiles, ms (log scale)");
    let (low, high) = decades(servers.iter().flat_map(|s| s.latency_ms));
    let y = |ms: f64| BOTTOM - (ms.log10() - low) / (high - low) * (BOTTOM - TOP);
    decade_lines(svg, LATENCY_PANEL, (low, high), y);
    let slot = (right - left) / servers.len().max(1) as f64;
    let bar_w = slot * 0.8 / PERCENTILES.len() as f64;
    for (i, server) in servers.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.1;
        for (j, &ms) in server.latency_ms.iter().enumerate() {
            if !(ms.is_finite() && ms > 0.0) {
                continue;
            }
            let top = y(ms);
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: p{} {}</title></rect>"#,
                x + bar_w * j as f64,
                bar_w - 1.0,
                BOTTOM - top,
                PERCENTILE_COLOURS[j],
                server.arch.label(),
                PERCENTILES[j],
                fmt_ms(ms)
            );
        }
        axis_label(
            svg,
            left + slot * (i as f64 + 0.5),
            server.arch.short_label(),
        );
    }
    for (j, p) in PERCENTILES.iter().enumerate() {
        let x = left + 10.0 + 70.0 * j as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">p{p}</text>"#,
            HEIGHT - 22.0,
            PERCENTILE_COLOURS[j],
            x + 16.0,
            HEIGHT - 12.0
        );
    }
}

/// A grid line at every decade of `(low, high)`, labelled in ms; `y` places a value.
pub(super) fn decade_lines(
    svg: &mut String,
    panel: (f64, f64),
    (low, high): (f64, f64),
    y: impl Fn(f64) -> f64,
) {
    for decade in (low as i32)..=(high as i32) {
        let ms = 10f64.powi(decade);
        let decimals = (-decade).max(0) as usize;
        grid_line(svg, panel, y(ms), &format!("{ms:.decimals$}"));
    }
}

fn panel_title(svg: &mut String, (left, right): (f64, f64), text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
        (left + right) / 2.0,
        TOP - 22.0,
        escape(text)
    );
}

/// A horizontal grid line across `(left, right)` at `y`, labelled on the left.
pub(super) fn grid_line(svg: &mut String, (left, right): (f64, f64), y: f64, label: &str) {
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" x2="{right}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
        left - 6.0,
        y + 4.0,
        escape(label)
    );
}

fn axis_label(svg: &mut String, x: f64, label: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
        BOTTOM + 18.0,
        escape(label)
    );
}

/// The smallest 1, 2 or 5 times a power of ten at least `x`.
pub(super) fn nice_ceiling(x: f64) -> f64 {
    let decade = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&v| v >= x)
        .unwrap_or(10.0 * decade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_server_and_percentile() {
        let servers = [
            Bars {
                arch: Arch::Single,
                rate: [109_586.0, 100_000.0, 110_000.0],
                latency_ms: [0.86, 1.42, 99.17, 923.0],
            },
            Bars {
                arch: Arch::Tokio,
                rate: [f64::NAN; 3],
                latency_ms: [f64::NAN; 4],
            },
        ];
        let svg = chart("t <&> -c1000", &servers);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.contains("t &lt;&amp;&gt; -c1000"));
        assert!(svg.contains(">Tokio</text>"));
        assert!(!svg.contains("NaN"), "{svg}");
        // Four percentile bars of the first server, none of the second, four legend boxes.
        assert_eq!(svg.matches("p99 923ms").count(), 1);
        assert_eq!(svg.matches("<title>Single-threaded: p").count(), 4);
        assert_eq!(svg.matches("width=\"12\"").count(), 4);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(411_404.0), 500_000.0);
        assert_eq!(nice_ceiling(150.0), 200.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
    }
}
