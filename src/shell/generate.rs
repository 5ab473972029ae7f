//! A seeded generator of large fixtures for benchmarks: a four-wave canary with seven SLOs
//! and a steady mix of metric samples, checklist ticks, alerts and notes. The same seed
//! writes the same bytes.

use crate::core::rng::Rng;
use std::io::Write;

/// The header line shared by generated fixtures.
pub const HEADER: &str = r#"{"warroom":"1.0","rollout":{"id":"synthetic-canary","title":"Synthetic canary (generated)","service":"synthetic","from":"v1","to":"v2","strategy":"canary","t0":"2026-01-05T09:00:00Z","sample_interval":"10s","waves":[{"id":"w1","name":"Wave 1","traffic":10,"bake":"6h","gates":[{"label":"Error rate < 5%","slo":"error_rate","allow":"warn"},{"label":"Zero CRITICAL alerts","alerts":"critical"}]},{"id":"w2","name":"Wave 2","traffic":25,"bake":"12h","gates":[{"label":"P95 latency PASS","slo":"p95_latency"}]},{"id":"w3","name":"Wave 3","traffic":50,"bake":"12h","gates":[{"label":"Checklist ready","check":"ready"}]},{"id":"w4","name":"Wave 4","traffic":100,"bake":"24h"}],"slos":[{"id":"error_rate","name":"Error rate","unit":"%","direction":"lower","target":2,"warning":5,"critical":10,"triggers":[{"above":10,"for":"5m"}]},{"id":"success_rate","name":"Success rate","unit":"%","direction":"higher","target":98,"warning":95,"critical":90},{"id":"p95_latency","name":"P95 latency","unit":"ms","direction":"lower","target":400,"warning":600,"critical":1000},{"id":"p99_latency","name":"P99 latency","unit":"ms","direction":"lower","target":500,"warning":800,"critical":1500},{"id":"memory","name":"Memory","unit":"MB","direction":"lower","baseline":120,"target":0,"warning":50,"critical":100},{"id":"cpu","name":"CPU","unit":"%","direction":"lower","baseline":35,"target":0,"warning":40,"critical":80},{"id":"invariants","name":"Invariant violations","unit":"","direction":"lower","target":0,"warning":5,"critical":10}],"checklist":[{"id":"ready","title":"Readiness","items":[{"id":"i1","text":"Runbooks reviewed","owner":"Incident Commander"},{"id":"i2","text":"Rollback procedure tested","owner":"Operations Lead"}]}]}}"#;

const SLOS: [(&str, f64, f64); 7] = [
    ("error_rate", 1.2, 0.6),
    ("success_rate", 98.8, 0.6),
    ("p95_latency", 320.0, 60.0),
    ("p99_latency", 430.0, 80.0),
    ("memory", 125.0, 8.0),
    ("cpu", 38.0, 5.0),
    ("invariants", 0.0, 1.5),
];

/// Writes a fixture of `records` record lines.
///
/// # Errors
/// Writing failed.
pub fn write<W: Write>(mut out: W, records: u64, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    writeln!(out, "{HEADER}")?;
    let mut t_ms: u64 = 0;
    let waves = ["w1", "w2", "w3", "w4"];
    let per_wave = (records / 4).max(1);
    let mut alert_open = false;
    for n in 0..records {
        if n % per_wave == 0 {
            let w = usize::try_from(n / per_wave).unwrap_or(3).min(3);
            if w > 0 {
                writeln!(
                    out,
                    r#"{{"t":{},"type":"wave","wave":"{}","state":"passed"}}"#,
                    secs(t_ms),
                    waves[w - 1]
                )?;
            }
            writeln!(
                out,
                r#"{{"t":{},"type":"wave","wave":"{}","state":"active","by":"ic"}}"#,
                secs(t_ms),
                waves[w]
            )?;
            continue;
        }
        t_ms += 1000 + rng.next_u64() % 500;
        let roll = rng.next_u64() % 100;
        if roll < 94 {
            // Round-robin, as a scraper samples every series each interval.
            let (id, base, spread) = SLOS[usize::try_from(n % 7).unwrap_or(0)];
            let v = (base + (rng.unit() - 0.5) * 2.0 * spread).max(0.0);
            writeln!(
                out,
                r#"{{"t":{},"type":"metric","slo":"{id}","value":{:.3}}}"#,
                secs(t_ms),
                v
            )?;
        } else if roll < 97 {
            writeln!(
                out,
                r#"{{"t":{},"type":"note","by":"observer","text":"Synthetic note {n}: traffic steady, dashboards reviewed"}}"#,
                secs(t_ms)
            )?;
        } else if roll < 99 {
            let state = if alert_open { "resolved" } else { "firing" };
            alert_open = !alert_open;
            writeln!(
                out,
                r#"{{"t":{},"type":"alert","name":"SyntheticLatencyHigh","state":"{state}","severity":"warning","summary":"P95 above 600 ms on one shard"}}"#,
                secs(t_ms)
            )?;
        } else {
            let item = if rng.next_u64().is_multiple_of(2) {
                "i1"
            } else {
                "i2"
            };
            let state = if rng.next_u64().is_multiple_of(3) {
                "open"
            } else {
                "done"
            };
            writeln!(
                out,
                r#"{{"t":{},"type":"check","item":"{item}","state":"{state}","by":"Operations Lead"}}"#,
                secs(t_ms)
            )?;
        }
    }
    out.flush()
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}
