//! Numbers as people read them: values with units, burn rates, trigger limits.

use std::fmt::Write as _;

use super::burn::BurnState;
use super::time::Span;

/// "1h 16.2×, 5m 20.1×, budget 62% left": what is known of a burn.
#[must_use]
pub fn burn_label(b: &BurnState) -> String {
    let mut parts = Vec::new();
    if let Some(first) = b.rules().first() {
        for (w, r) in [(first.long, b.long), (first.short, b.short)] {
            if let Some(r) = r {
                parts.push(format!("{} {}×", w.compact(), trim_number(r)));
            }
        }
    }
    if let Some(left) = b.remaining {
        parts.push(format!("budget {}% left", trim_number(left * 100.0)));
    }
    if parts.is_empty() {
        "not enough history yet".into()
    } else {
        parts.join(", ")
    }
}

/// "12 % > 10 % for 5m".
#[must_use]
pub fn trigger_label(spec: &super::plan::SloSpec, i: usize) -> String {
    let t = &spec.triggers[i];
    let unit = if spec.baseline.is_some() {
        "% over baseline"
    } else {
        spec.unit.as_str()
    };
    let (word, limit) = match (t.above, t.below) {
        (Some(a), _) => ("above", a),
        (_, b) => ("below", b.unwrap_or_default()),
    };
    let mut s = format!("{word} {}", format_value(limit, unit));
    if t.for_ > Span::ZERO {
        let _ = write!(s, " for {}", t.for_);
    }
    s
}

/// A number as people read it on a gauge: at most 3 significant decimals, no trailing zeros.
#[must_use]
pub fn trim_number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let a = v.abs();
    let s = if a >= 100.0 || a.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value with its unit: "2.3%", "385 ms", "125 MB".
#[must_use]
pub fn format_value(v: f64, unit: &str) -> String {
    let n = trim_number(v);
    if unit.is_empty() {
        n
    } else if unit.starts_with('%') {
        format!("{n}{unit}")
    } else {
        format!("{n} {unit}")
    }
}
