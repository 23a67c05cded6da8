//! What every chart of the suites starts with: the SVG element, a white background, a title.

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

/// `text` made safe for SVG text and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
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
