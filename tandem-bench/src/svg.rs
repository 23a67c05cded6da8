//! What every chart of the suites starts with (the SVG element, a white background, a title),
//! how wide its text will be, so that a chart can be sized to hold every label, and the
//! decades of a log scale that holds every value.

use std::fmt::Write as _;

/// Opens an SVG document of `width` x `height` (text at `font_size`) and draws `title`
/// centred at the top, at `title_size`. The caller closes it with `</svg>`.
pub fn open(width: f64, height: f64, font_size: u32, title_size: u32, title: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{font_size}">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" font-size="{title_size}" text-anchor="middle">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    svg
}

/// How wide `text` is at `font_size`, at most: 0.62 em per character, more than the labels of
/// these charts take in DejaVu Sans, the widest common sans-serif (about 0.55 em), so that a
/// chart sized with it holds every label whichever font the viewer picks.
pub fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * font_size * 0.62
}

/// The whole decades (as powers of ten) around every positive finite value of `values`, at
/// least one decade; `(-1, 1)` without such values.
pub fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0), |(low, high), v| {
            (f64::min(low, v), f64::max(high, v))
        });
    if high > 0.0 {
        let low = low.log10().floor();
        (low, high.log10().ceil().max(low + 1.0))
    } else {
        (-1.0, 1.0)
    }
}

/// `text` made safe for SVG text and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::decades;

    #[test]
    fn decades_cover_every_value() {
        assert_eq!(decades([0.86, 923.0].into_iter()), (-1.0, 3.0));
        assert_eq!(decades([5.0, f64::NAN, 0.0].into_iter()), (0.0, 1.0));
        assert_eq!(decades([f64::NAN].into_iter()), (-1.0, 1.0));
    }

    #[test]
    fn text_width_grows_with_characters_and_size() {
        assert_eq!(super::text_width("", 12.0), 0.0);
        let w = super::text_width("rand_read_seek_512", 11.0);
        assert!((w - 18.0 * 11.0 * 0.62).abs() < 1e-9, "{w}");
        assert_eq!(super::text_width("µs", 10.0), super::text_width("ab", 10.0));
    }

    #[test]
    fn opens_with_an_escaped_title() {
        let svg = super::open(200.0, 100.0, 12, 15, "a < b & \"c\"");
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100""#)
        );
        assert!(svg.contains(r#"font-size="12">"#));
        assert!(svg.contains(r#"<text x="100" y="24" font-size="15" text-anchor="middle">a &lt; b &amp; &quot;c&quot;</text>"#));
    }
}
