//! The simulated service-level indicators behind the control plane's `/metrics`: per-version
//! request and error counters, a latency histogram and the traffic split, in the Prometheus
//! text exposition format (version 0.0.4).
//!
//! Counters are integrals of a simulated request rate over scenario time, so they only ever
//! go up. Latency is a log-normal distribution fitted through each version's P95 and P99, so
//! a `histogram_quantile` over the buckets gives back roughly the SLO values the consoles see.

use std::fmt::Write as _;

use crate::core::time::Offset;

/// Requests per second across both versions.
pub const REQUEST_RATE: f64 = 200.0;

/// Upper bounds of the latency histogram's buckets, in seconds (`+Inf` is implied).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The content type a `/metrics` response carries.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Longest integration step: counters are integrated with the midpoint rule on steps of at
/// most this many milliseconds.
const STEP_MS: i64 = 250;
/// Most integration steps for one stretch of time (a long gap is integrated more coarsely).
const MAX_STEPS: i64 = 20_000;

/// Standard normal quantiles of 0.95 and 0.99.
const Z95: f64 = 1.644_853_626_951_472_2;
const Z99: f64 = 2.326_347_874_040_841;

/// How one version serves at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Serving {
    /// Share of requests it gets, 0..1.
    pub share: f64,
    /// Failed requests, in percent.
    pub error_pct: f64,
    /// Latency percentiles, in milliseconds.
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl Serving {
    /// `(mu, sigma)` of the log-normal latency (in seconds) through P95 and P99.
    #[must_use]
    pub fn lognormal(&self) -> (f64, f64) {
        let p95 = (self.p95_ms / 1000.0).max(1e-6);
        let p99 = (self.p99_ms / 1000.0).max(p95 * 1.001);
        let sigma = (p99.ln() - p95.ln()) / (Z99 - Z95);
        (p95.ln() - Z95 * sigma, sigma)
    }

    /// Share of requests answered within `secs`.
    #[must_use]
    pub fn within(&self, secs: f64) -> f64 {
        let (mu, sigma) = self.lognormal();
        normal_cdf((secs.max(1e-12).ln() - mu) / sigma)
    }
}

/// Running totals for one version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub requests: f64,
    pub errors: f64,
    /// Requests answered within each of [`BUCKETS`] (cumulative, as Prometheus counts them).
    pub buckets: [f64; BUCKETS.len()],
    /// Seconds spent answering.
    pub sum: f64,
}

impl Totals {
    /// Adds `secs` seconds of serving as `s` at [`REQUEST_RATE`].
    pub fn add(&mut self, s: &Serving, secs: f64) {
        let n = REQUEST_RATE * s.share.clamp(0.0, 1.0) * secs.max(0.0);
        if n <= 0.0 || !n.is_finite() {
            return;
        }
        self.requests += n;
        self.errors += n * (s.error_pct / 100.0).clamp(0.0, 1.0);
        let (mu, sigma) = s.lognormal();
        for (b, le) in self.buckets.iter_mut().zip(BUCKETS) {
            *b += n * normal_cdf((le.ln() - mu) / sigma);
        }
        self.sum += n * (mu + sigma * sigma / 2.0).exp();
    }
}

/// Integrates `serving` (old version first, new second) over `from..to` into `totals`.
pub fn integrate(
    totals: &mut [Totals; 2],
    from: Offset,
    to: Offset,
    serving: impl Fn(Offset) -> [Serving; 2],
) {
    let len = to.0.saturating_sub(from.0);
    if len <= 0 {
        return;
    }
    let steps = ((len + STEP_MS - 1) / STEP_MS).clamp(1, MAX_STEPS);
    let mut a = from.0;
    for k in 1..=steps {
        // Integer step ends, so the steps tile `from..to` exactly.
        let b = from.0 + (i128::from(len) * i128::from(k) / i128::from(steps)) as i64;
        let mid = Offset(a + (b - a) / 2);
        let secs = (b - a) as f64 / 1000.0;
        for (t, s) in totals.iter_mut().zip(serving(mid)) {
            t.add(&s, secs);
        }
        a = b;
    }
}

/// One version's series in the exposition.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    pub version: &'a str,
    pub totals: &'a Totals,
    /// Share of traffic the router sends to this version now, 0..1.
    pub share: f64,
}

/// The exposition of `series`, plus each SLO's newest sample as a gauge (`(id, value)`).
#[must_use]
pub fn exposition(series: &[Series<'_>], slos: &[(&str, f64)]) -> String {
    let mut out = String::with_capacity(4096);
    let family = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(out, "# TYPE {name} {kind}");
    };
    family(
        &mut out,
        "warroom_requests_total",
        "counter",
        "Requests served, by version (simulated).",
    );
    for s in series {
        let _ = writeln!(
            out,
            "warroom_requests_total{{version=\"{}\"}} {}",
            escape_label(s.version),
            count(s.totals.requests)
        );
    }
    family(
        &mut out,
        "warroom_request_errors_total",
        "counter",
        "Requests that failed, by version (simulated).",
    );
    for s in series {
        let _ = writeln!(
            out,
            "warroom_request_errors_total{{version=\"{}\"}} {}",
            escape_label(s.version),
            count(s.totals.errors.min(s.totals.requests))
        );
    }
    family(
        &mut out,
        "warroom_request_duration_seconds",
        "histogram",
        "Request latency in seconds, by version (simulated).",
    );
    for s in series {
        let v = escape_label(s.version);
        // Cumulative and never above the total, whatever the rounding did.
        let mut running = 0.0_f64;
        for (le, b) in BUCKETS.iter().zip(s.totals.buckets) {
            running = running.max(b).min(s.totals.requests);
            let _ = writeln!(
                out,
                "warroom_request_duration_seconds_bucket{{version=\"{v}\",le=\"{le}\"}} {}",
                count(running)
            );
        }
        let total = count(s.totals.requests);
        let _ = writeln!(
            out,
            "warroom_request_duration_seconds_bucket{{version=\"{v}\",le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "warroom_request_duration_seconds_sum{{version=\"{v}\"}} {:.3}",
            s.totals.sum
        );
        let _ = writeln!(
            out,
            "warroom_request_duration_seconds_count{{version=\"{v}\"}} {total}"
        );
    }
    family(
        &mut out,
        "warroom_traffic_share",
        "gauge",
        "Share of requests the router sends to each version (0..1).",
    );
    for s in series {
        let _ = writeln!(
            out,
            "warroom_traffic_share{{version=\"{}\"}} {}",
            escape_label(s.version),
            gauge(s.share.clamp(0.0, 1.0))
        );
    }
    if !slos.is_empty() {
        family(
            &mut out,
            "warroom_slo_sample",
            "gauge",
            "Newest sample of each SLO, in the plan's unit.",
        );
        for (id, v) in slos {
            let _ = writeln!(
                out,
                "warroom_slo_sample{{slo=\"{}\"}} {}",
                escape_label(id),
                gauge(*v)
            );
        }
    }
    out
}

/// Counters are shown in whole requests: a floor never goes back as the total grows.
fn count(v: f64) -> String {
    format!("{:.0}", v.max(0.0).floor())
}

fn gauge(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.into()
        }
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Help text escapes backslash and line feed.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Standard normal CDF through the complementary error function.
fn normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return 0.0;
    }
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// `erfc` with a fractional error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serving(share: f64) -> Serving {
        Serving {
            share,
            error_pct: 2.0,
            p95_ms: 320.0,
            p99_ms: 420.0,
        }
    }

    #[test]
    fn the_fitted_latency_gives_back_its_percentiles() {
        let s = serving(1.0);
        assert!((s.within(0.320) - 0.95).abs() < 1e-4, "{}", s.within(0.320));
        assert!((s.within(0.420) - 0.99).abs() < 1e-4, "{}", s.within(0.420));
        assert!(s.within(0.1) < s.within(0.25));
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!(normal_cdf(-10.0) < 1e-9 && normal_cdf(10.0) > 1.0 - 1e-9);
    }

    #[test]
    fn integration_counts_the_rate_over_time_whatever_the_steps() {
        let mut a = [Totals::default(), Totals::default()];
        integrate(&mut a, Offset(0), Offset::from_secs(10), |_| {
            [serving(0.75), serving(0.25)]
        });
        assert!((a[0].requests - 1500.0).abs() < 1e-6);
        assert!((a[1].requests - 500.0).abs() < 1e-6);
        assert!((a[1].errors - 10.0).abs() < 1e-6);
        let mut b = [Totals::default(), Totals::default()];
        for s in 0..10 {
            integrate(
                &mut b,
                Offset::from_secs(s),
                Offset::from_secs(s + 1),
                |_| [serving(0.75), serving(0.25)],
            );
        }
        assert!((a[0].requests - b[0].requests).abs() < 1e-6);
        // Nothing for an empty or backwards stretch.
        let before = b.clone();
        integrate(&mut b, Offset(5), Offset(5), |_| {
            [serving(1.0), serving(1.0)]
        });
        integrate(&mut b, Offset(9), Offset(5), |_| {
            [serving(1.0), serving(1.0)]
        });
        assert_eq!(b, before);
    }

    #[test]
    fn exposition_escapes_labels_and_keeps_buckets_cumulative() {
        let mut t = Totals::default();
        t.add(&serving(1.0), 60.0);
        let text = exposition(
            &[Series {
                version: "a\"b\\c\nd",
                totals: &t,
                share: 1.0,
            }],
            &[("error_rate", 1.5)],
        );
        assert!(text.contains(r#"version="a\"b\\c\nd""#), "{text}");
        assert!(text.contains("warroom_slo_sample{slo=\"error_rate\"} 1.5\n"));
        assert!(text.contains("warroom_traffic_share{version=\"a\\\"b\\\\c\\nd\"} 1\n"));
        let buckets: Vec<f64> = text
            .lines()
            .filter(|l| l.starts_with("warroom_request_duration_seconds_bucket"))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        assert_eq!(buckets.last().copied(), Some(12_000.0));
        assert_eq!(gauge(0.25), "0.25");
        assert_eq!(gauge(0.0), "0");
    }
}
