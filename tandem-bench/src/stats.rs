//! Order statistics of samples, and how every suite prints them: in its table (counts, ratios,
//! spreads) and in its JSON file (numbers rounded to three decimals, `null` for what was not
//! measured).

use serde_json::{json, Value};

/// Order statistics of a set of samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Smallest sample.
    pub min: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// Largest sample.
    pub max: f64,
}

impl Stats {
    /// Computes the statistics of `samples`, which must not be empty.
    pub fn of(samples: &[f64]) -> Stats {
        assert!(!samples.is_empty(), "no samples");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Stats {
            min: sorted[0],
            p25: percentile(&sorted, 0.25),
            median: percentile(&sorted, 0.5),
            p75: percentile(&sorted, 0.75),
            max: sorted[sorted.len() - 1],
        }
    }

    /// Half the interquartile range, relative to the median, in percent.
    pub fn spread_pct(&self) -> f64 {
        (self.p75 - self.p25) / 2.0 / self.median * 100.0
    }
}

/// Linear interpolation between the closest ranks of a sorted slice.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The median of the finite values (a run without a response has no latency, a contender
/// that could not run has no rate), NaN if there are none.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    match finite.is_empty() {
        true => f64::NAN,
        false => Stats::of(&finite).median,
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

/// A ratio as the tables print it: `0.75x`; `-` if it is not a number (a side not measured).
pub fn fmt_ratio(r: f64) -> String {
    match r.is_finite() {
        true => format!("{r:.2}x"),
        false => "-".into(),
    }
}

/// [`fmt_ratio`], marked ` ✓` if it meets `target` (at least that much) and ` ✗` if not; as
/// it is without a target. Judged as printed, to two decimals: `0.695` prints and passes as
/// `0.70x`.
pub fn fmt_ratio_against(r: f64, target: Option<f64>) -> String {
    let mark = match target {
        _ if !r.is_finite() => "",
        Some(t) if (r * 100.0).round() / 100.0 >= t => " ✓",
        Some(_) => " ✗",
        None => "",
    };
    format!("{}{mark}", fmt_ratio(r))
}

/// `x` with three significant digits from 1 to 999: `1.23`, `45.6`, `812`.
pub fn fmt_three_digits(x: f64) -> String {
    let decimals = if x < 10.0 {
        2
    } else if x < 100.0 {
        1
    } else {
        0
    };
    format!("{x:.decimals$}")
}

/// A spread in percent: `±4.2%`, `±12%`.
pub fn fmt_spread(pct: f64) -> String {
    if pct < 10.0 {
        format!("±{pct:.1}%")
    } else {
        format!("±{pct:.0}%")
    }
}

/// A number for the JSON files: rounded to three decimals; `null` if it is not finite.
pub fn json_num(x: f64) -> Value {
    match x.is_finite() {
        true => json!((x * 1e3).round() / 1e3),
        false => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let s = Stats::of(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(
            (s.min, s.p25, s.median, s.p75, s.max),
            (1.0, 2.0, 3.0, 4.0, 5.0)
        );
        let s = Stats::of(&[1.0, 2.0]);
        assert_eq!(s.median, 1.5);
        assert_eq!(Stats::of(&[7.0]).spread_pct(), 0.0);
        assert_eq!(Stats::of(&[90.0, 100.0, 110.0]).spread_pct(), 5.0);
    }

    #[test]
    fn the_median_skips_what_was_not_measured() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median([f64::NAN, 5.0, f64::INFINITY, 1.0]), 3.0);
        assert!(median([f64::NAN]).is_nan());
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn ratios_print_with_two_decimals_and_their_target() {
        assert_eq!(fmt_ratio(0.754), "0.75x");
        assert_eq!(fmt_ratio(55.06), "55.06x");
        assert_eq!(fmt_ratio(f64::NAN), "-");
        assert_eq!(fmt_ratio(f64::INFINITY), "-");
        assert_eq!(fmt_ratio_against(7.5, Some(5.0)), "7.50x ✓");
        assert_eq!(fmt_ratio_against(2.99, Some(3.0)), "2.99x ✗");
        // 0.695 prints as 0.70x, and passes a target of 0.70 as printed.
        assert_eq!(fmt_ratio_against(0.6951, Some(0.70)), "0.70x ✓");
        assert_eq!(fmt_ratio_against(0.5, None), "0.50x");
        assert_eq!(fmt_ratio_against(f64::NAN, Some(1.0)), "-");
    }

    #[test]
    fn numbers_print_with_three_digits() {
        assert_eq!(fmt_three_digits(0.754), "0.75");
        assert_eq!(fmt_three_digits(1.234), "1.23");
        assert_eq!(fmt_three_digits(45.66), "45.7");
        assert_eq!(fmt_three_digits(812.4), "812");
        assert_eq!(fmt_three_digits(1234.0), "1234");
        assert_eq!(fmt_spread(4.24), "±4.2%");
        assert_eq!(fmt_spread(12.4), "±12%");
        assert_eq!(fmt_count(3_294_267), "3,294,267");
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
    }

    #[test]
    fn json_numbers_are_rounded_or_null() {
        assert_eq!(json_num(0.123_456), json!(0.123));
        assert_eq!(json_num(2.0), json!(2.0));
        assert_eq!(json_num(f64::NAN), Value::Null);
        assert_eq!(json_num(f64::NEG_INFINITY), Value::Null);
    }
}
