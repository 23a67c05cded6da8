//! The per-second chart of a load, as a hand-written SVG: every server's latency second by
//! second (p50 solid, p99 dashed, max dotted; ms on a log scale) above its requests completed
//! per second, with a red mark under each second that counted errors and a vertical line where
//! the last connection got its first response (how long it took the server to let every one
//! in).
//!
//! Each server's median run (by requests per second, see `Summary::median_run`) is drawn in
//! full and its other runs faintly behind it, so that a stall in any run still shows: as a
//! dip of the requests, a gap in the latency lines (a second without a response has none), or
//! a leap of the max (one connection left waiting, which a p99 over 100,000 responses hides).

use std::fmt::Write as _;
use std::time::Duration;

use super::loadgen::Second;
use super::report::fmt_ms;
use super::svg::{colour, decade_lines, grid_line, nice_ceiling};
use super::Arch;
use crate::stats::fmt_count;
use crate::svg::{decades, escape, text_width};

/// One server's runs, second by second.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The server.
    pub arch: Arch,
    /// Every run's seconds, in the order taken.
    pub seconds: Vec<Vec<Second>>,
    /// Which run is drawn in full.
    pub median: usize,
    /// When the median run's last connection got its first response, from the start.
    pub last_first_response: Option<Duration>,
}

/// The least width; wider if a server's name in the legend needs it.
const MIN_WIDTH: f64 = 960.0;
const HEIGHT: f64 = 600.0;
/// The plot areas' left and right edges (the legend is right of them), and each panel's top
/// and bottom.
const PLOT: (f64, f64) = (80.0, 780.0);
const LATENCY: (f64, f64) = (60.0, 330.0);
const RATE: (f64, f64) = (390.0, 540.0);
const LEGEND_X: f64 = 800.0;
/// Right of the legend's longest text.
const MARGIN: f64 = 16.0;

/// One of the latency lines drawn for every run.
struct LatencyLine {
    name: &'static str,
    value: fn(&Second) -> f64,
    /// `stroke-dasharray`, or empty for a solid line.
    dash: &'static str,
}

const LINES: [LatencyLine; 3] = [
    LatencyLine {
        name: "p50",
        value: |s| s.p50_ms,
        dash: "",
    },
    LatencyLine {
        name: "p99",
        value: |s| s.p99_ms,
        dash: "7 3",
    },
    LatencyLine {
        name: "max",
        value: |s| s.max_ms,
        dash: "1 3",
    },
];

/// The chart, titled `title`.
pub fn chart(title: &str, servers: &[Runs]) -> String {
    let mut svg = crate::svg::open(width(servers), HEIGHT, 12, 15, title);
    let length = run_length(servers);
    let x = |t: f64| PLOT.0 + t / length * (PLOT.1 - PLOT.0);
    time_axis(&mut svg, length, &x);
    latency_panel(&mut svg, servers, &x);
    rate_panel(&mut svg, servers, &x);
    legend(&mut svg, servers);
    svg.push_str("</svg>\n");
    svg
}

/// Wide enough for the legend: a server's name is 18 px right of [`LEGEND_X`].
fn width(servers: &[Runs]) -> f64 {
    let longest = servers
        .iter()
        .map(|s| text_width(s.arch.label(), 12.0))
        .fold(0.0, f64::max);
    (LEGEND_X + 18.0 + longest + MARGIN).max(MIN_WIDTH).ceil()
}

/// How long the longest run is, in seconds (1 if there is none).
fn run_length(servers: &[Runs]) -> f64 {
    servers
        .iter()
        .flat_map(|s| s.seconds.iter().flatten())
        .map(|s| (s.start + s.length).as_secs_f64())
        .fold(0.0, f64::max)
        .max(1.0)
        .max(f64::MIN_POSITIVE)
}

/// A second's point on the time axis: its middle.
fn middle(second: &Second) -> f64 {
    (second.start + second.length / 2).as_secs_f64()
}

fn latency_panel(svg: &mut String, servers: &[Runs], x: &impl Fn(f64) -> f64) {
    let (top, bottom) = LATENCY;
    panel_title(svg, top, "Latency per second, ms (log scale)");
    let every_value = servers
        .iter()
        .flat_map(|s| s.seconds.iter().flatten())
        .flat_map(|second| LINES.map(|line| (line.value)(second)));
    let (low, high) = decades(every_value);
    let y = |ms: f64| bottom - (ms.log10() - low) / (high - low) * (bottom - top);
    decade_lines(svg, PLOT, (low, high), y);
    for server in servers {
        for (run, seconds) in ordered_runs(server) {
            let faint = run != server.median;
            for LatencyLine { name, value, dash } in LINES {
                let points: Vec<(f64, f64)> = seconds
                    .iter()
                    .map(|s| (x(middle(s)), y(value(s))))
                    .collect();
                let highest = seconds.iter().map(value).fold(f64::NAN, f64::max);
                let label = format!(
                    "{} run {}: {name} per second, highest {}",
                    server.arch.label(),
                    run + 1,
                    fmt_ms(highest)
                );
                line(svg, &points, colour(server.arch), dash, faint, &label);
            }
        }
    }
}

fn rate_panel(svg: &mut String, servers: &[Runs], x: &impl Fn(f64) -> f64) {
    let (top, bottom) = RATE;
    panel_title(
        svg,
        top,
        "Requests completed per second (red: a second with errors)",
    );
    let fastest = servers
        .iter()
        .flat_map(|s| s.seconds.iter().flatten())
        .map(Second::rate)
        .fold(0.0, f64::max);
    let ceiling = nice_ceiling(fastest.max(1.0));
    let y = |rate: f64| bottom - rate / ceiling * (bottom - top);
    for i in 0..=2 {
        let rate = ceiling * i as f64 / 2.0;
        grid_line(svg, PLOT, y(rate), &fmt_count(rate.round() as u64));
    }
    for (index, server) in servers.iter().enumerate() {
        for (run, seconds) in ordered_runs(server) {
            let faint = run != server.median;
            let points: Vec<(f64, f64)> = seconds
                .iter()
                .map(|s| (x(middle(s)), y(s.rate())))
                .collect();
            let lowest = seconds.iter().map(Second::rate).fold(f64::NAN, f64::min);
            let label = format!(
                "{} run {}: requests per second, lowest {}",
                server.arch.label(),
                run + 1,
                fmt_count(lowest.round() as u64)
            );
            line(svg, &points, colour(server.arch), "", faint, &label);
        }
        if let Some(at) = server.last_first_response {
            let at_x = x(at.as_secs_f64());
            let _ = writeln!(
                svg,
                r#"<line x1="{at_x:.1}" x2="{at_x:.1}" y1="{top}" y2="{bottom}" stroke="{}" stroke-width="1.5" stroke-dasharray="2 3"><title>{}: the last connection first served at {:.2} s</title></line>"#,
                colour(server.arch),
                server.arch.label(),
                at.as_secs_f64()
            );
        }
        // Errors of the median run only: faint runs' marks would read as the median's. Each
        // server's marks sit side by side, outlined in its colour.
        let offset = (index as f64 - (servers.len() as f64 - 1.0) / 2.0) * 10.0;
        for second in &server.seconds[server.median] {
            if second.errors == 0 {
                continue;
            }
            let cx = x(middle(second)) + offset;
            let _ = writeln!(
                svg,
                r##"<path d="M{:.1},{:.1} l-4,8 h8 z" fill="#d62728" stroke="{}"><title>{}: {} errors in second {}</title></path>"##,
                cx,
                bottom + 2.0,
                colour(server.arch),
                server.arch.label(),
                fmt_count(second.errors),
                second.start.as_secs() + 1
            );
        }
    }
}

/// A server's runs, the median last, so that it is drawn over the faint ones.
fn ordered_runs(server: &Runs) -> impl Iterator<Item = (usize, &Vec<Second>)> {
    let others = server
        .seconds
        .iter()
        .enumerate()
        .filter(move |(i, _)| *i != server.median);
    others.chain(
        server
            .seconds
            .get(server.median)
            .map(|s| (server.median, s)),
    )
}

/// Draws `points` as lines, broken where a value is missing (not finite): a second without
/// a response has no latency. A point alone between gaps is drawn as a dot.
fn line(
    svg: &mut String,
    points: &[(f64, f64)],
    colour: &str,
    dash: &str,
    faint: bool,
    label: &str,
) {
    let (width, opacity) = if faint { (1.0, 0.3) } else { (2.0, 1.0) };
    let dash = dash_attribute(dash);
    for piece in unbroken(points) {
        if let [(x, y)] = piece {
            let _ = writeln!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="{width}" fill="{colour}" opacity="{opacity}"><title>{}</title></circle>"#,
                escape(label)
            );
            continue;
        }
        let coordinates: Vec<String> = piece
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{width}" opacity="{opacity}"{dash}><title>{}</title></polyline>"#,
            coordinates.join(" "),
            escape(label)
        );
    }
}

/// The `stroke-dasharray` attribute for `dash`, or nothing for a solid line.
fn dash_attribute(dash: &str) -> String {
    match dash {
        "" => String::new(),
        dash => format!(r#" stroke-dasharray="{dash}""#),
    }
}

/// The runs of consecutive points whose coordinates are all finite.
fn unbroken(points: &[(f64, f64)]) -> impl Iterator<Item = &[(f64, f64)]> {
    points
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .filter(|piece| !piece.is_empty())
}

/// Ticks and labels under the requests panel: seconds into the run.
fn time_axis(svg: &mut String, length: f64, x: &impl Fn(f64) -> f64) {
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0]
        .into_iter()
        .find(|step| length / step <= 12.0)
        .unwrap_or(600.0);
    let bottom = RATE.1;
    let mut t = 0.0;
    while t <= length + 1e-9 {
        let tick = x(t);
        for (top, bottom) in [LATENCY, RATE] {
            let _ = writeln!(
                svg,
                r##"<line x1="{tick:.1}" x2="{tick:.1}" y1="{top}" y2="{bottom}" stroke="#eee"/>"##,
            );
        }
        let _ = writeln!(
            svg,
            r##"<text x="{tick:.1}" y="{}" text-anchor="middle" fill="#555">{t}</text>"##,
            bottom + 24.0,
        );
        t += step;
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">seconds into the run</text>"#,
        (PLOT.0 + PLOT.1) / 2.0,
        bottom + 44.0
    );
}

fn legend(svg: &mut String, servers: &[Runs]) {
    let mut y = LATENCY.0 + 10.0;
    for server in servers {
        let _ = writeln!(
            svg,
            r#"<rect x="{LEGEND_X}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{:.1}">{}</text>"#,
            y - 10.0,
            colour(server.arch),
            LEGEND_X + 18.0,
            y,
            escape(server.arch.label())
        );
        y += 20.0;
    }
    y += 10.0;
    for LatencyLine { name, dash, .. } in LINES {
        let dash = dash_attribute(dash);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEGEND_X}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#333" stroke-width="2"{dash}/><text x="{}" y="{:.1}">{name}</text>"##,
            LEGEND_X + 28.0,
            y - 4.0,
            y - 4.0,
            LEGEND_X + 34.0,
            y
        );
        y += 20.0;
    }
    let _ = writeln!(
        svg,
        r##"<text x="{LEGEND_X}" y="{:.1}" fill="#555">bold: median run</text><text x="{LEGEND_X}" y="{:.1}" fill="#555">faint: the others</text>"##,
        y + 6.0,
        y + 22.0
    );
    let y = RATE.0 + 10.0;
    let _ = writeln!(
        svg,
        r##"<line x1="{0}" x2="{0}" y1="{1:.1}" y2="{2:.1}" stroke="#333" stroke-width="1.5" stroke-dasharray="2 3"/><text x="{3}" y="{1:.1}">last connection</text><text x="{3}" y="{2:.1}">first served</text>"##,
        LEGEND_X + 6.0,
        y,
        y + 16.0,
        LEGEND_X + 16.0,
    );
}

fn panel_title(svg: &mut String, top: f64, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
        (PLOT.0 + PLOT.1) / 2.0,
        top - 12.0,
        escape(text)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(start_s: u64, responses: u64, latency_ms: f64, errors: u64) -> Second {
        let ms = |v: f64| if responses == 0 { f64::NAN } else { v };
        Second {
            start: Duration::from_secs(start_s),
            length: Duration::from_secs(1),
            responses,
            errors,
            p50_ms: ms(latency_ms),
            p99_ms: ms(latency_ms * 4.0),
            max_ms: ms(latency_ms * 10.0),
        }
    }

    #[test]
    fn draws_every_run_and_breaks_the_lines_at_a_stall() {
        let steady = vec![
            second(0, 900, 1.0, 0),
            second(1, 1000, 1.0, 0),
            second(2, 1000, 1.0, 0),
        ];
        // Second 2 of Tandem's median run has no response at all, and second 3 counted errors.
        let stalled = vec![
            second(0, 900, 2.0, 0),
            second(1, 1000, 2.0, 0),
            second(2, 0, 0.0, 0),
            second(3, 800, 300.0, 5),
        ];
        let servers = [
            Runs {
                arch: Arch::Tandem,
                seconds: vec![steady.clone(), stalled],
                median: 1,
                last_first_response: Some(Duration::from_millis(2500)),
            },
            Runs {
                arch: Arch::Tokio,
                seconds: vec![steady],
                median: 0,
                last_first_response: None,
            },
        ];
        let svg = chart("-c10000 <&>", &servers);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("-c10000 &lt;&amp;&gt;"));
        assert!(!svg.contains("NaN"), "{svg}");
        // Three runs: three latency lines and one requests line each; the stalled run's
        // latency lines break into a line and a dot, its requests line does not break.
        for run in ["Tandem (epoll) run 1", "Tokio run 1"] {
            for what in ["p50 per second", "p99 per second", "max per second"] {
                assert_eq!(
                    svg.matches(&format!("{run}: {what}")).count(),
                    1,
                    "{run} {what}"
                );
            }
            assert_eq!(svg.matches(&format!("{run}: requests")).count(), 1);
        }
        assert_eq!(
            svg.matches("Tandem (epoll) run 2: p99 per second").count(),
            2
        );
        assert_eq!(svg.matches("Tandem (epoll) run 2: requests").count(), 1);
        assert!(svg.contains("Tandem (epoll) run 2: max per second, highest 3000ms"));
        assert!(svg.contains("Tandem (epoll) run 2: requests per second, lowest 0"));
        // The faint run is drawn faint, before the median one.
        let faint = svg.find("Tandem (epoll) run 1: p50").unwrap();
        let bold = svg.find("Tandem (epoll) run 2: p50").unwrap();
        assert!(faint < bold);
        // One error mark: the median run's second 4.
        assert_eq!(svg.matches("errors in second").count(), 1);
        assert!(svg.contains("Tandem (epoll): 5 errors in second 4"));
        assert_eq!(svg.matches("first served at").count(), 1);
        assert!(svg.contains("Tandem (epoll): the last connection first served at 2.50 s"));
        // The time axis runs to the longest run's end.
        assert!(svg.contains(">4</text>") && !svg.contains(">5</text>"));
    }

    #[test]
    fn lines_break_where_a_value_is_missing() {
        let nan = f64::NAN;
        let points = [
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, nan),
            (3.0, 4.0),
            (4.0, nan),
            (5.0, nan),
        ];
        let pieces: Vec<&[(f64, f64)]> = unbroken(&points).collect();
        assert_eq!(pieces, [&points[0..2], &points[3..4]]);
        assert_eq!(unbroken(&[(0.0, nan)]).count(), 0);
    }

    #[test]
    fn the_legend_holds_the_longest_name() {
        let runs = |arch| Runs {
            arch,
            seconds: vec![vec![second(0, 10, 1.0, 0)]],
            median: 0,
            last_first_response: None,
        };
        let narrow = chart("t", &[runs(Arch::Tokio)]);
        assert!(narrow.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="960""#));
        let wide = chart("t", &[runs(Arch::Thread), runs(Arch::Tokio)]);
        let name = Arch::Thread.label();
        let needed = LEGEND_X + 18.0 + text_width(name, 12.0);
        assert!(
            needed > MIN_WIDTH,
            "the test needs a name longer than the room"
        );
        assert!(wide.starts_with(&format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}""#,
            (needed + MARGIN).ceil()
        )));
    }

    #[test]
    fn nothing_to_draw_is_still_a_chart() {
        let svg = chart("empty", &[]);
        assert!(svg.ends_with("</svg>\n") && !svg.contains("NaN"));
    }
}
