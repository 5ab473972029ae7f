//! The metric and alert sources of `--config`: Prometheus answers one `PromQL` query per SLO
//! every interval, and Alertmanager lists the alerts that match. Each SLO is polled by a task
//! of its own, with its own timeout, so one slow or failing query never holds up the others,
//! and nothing here ever waits on the screen: reports go through a bounded channel.
//!
//! Samples carry Unix times; the console places them on the rollout's clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::config::{Config, SeriesMode, Slo};
use crate::core::input::{Input, MetricsMsg};
use crate::core::plan::SloSpec;
use crate::core::source::{Link, SourceStatus};

use super::alertmanager;
use super::prometheus::{step_for, Client, Labels, Value};

/// Points of history fetched per SLO at start-up (one per sparkline cell of a wide gauge).
pub const SPARK_POINTS: u64 = 120;
/// Most gauges one `series = "each"` query may add; further series are left out, and said so.
pub const MAX_SERIES: usize = 16;

/// Where the sources report: the console's input channel (bounded, awaited).
#[derive(Clone)]
struct Out(mpsc::Sender<Input>);

impl Out {
    async fn send(&self, m: MetricsMsg) -> bool {
        self.0.send(Input::Metrics(m)).await.is_ok()
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[allow(clippy::cast_possible_truncation)]
fn ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

/// Runs every source of `config` until the console goes away (the channel closes).
pub async fn run(config: Arc<Config>, client: Client, tx: mpsc::Sender<Input>) {
    let out = Out(tx);
    let mut tasks = JoinSet::new();
    let health = Arc::new(Mutex::new(Health::new(config.slos.len())));
    for (i, slo) in config.slos.iter().enumerate() {
        tasks.spawn(watch_slo(
            i,
            slo.clone(),
            client.clone(),
            config.prometheus.interval.as_duration(),
            out.clone(),
            health.clone(),
        ));
    }
    if let Some(am) = config.alertmanager.clone() {
        let timeout = config.prometheus.timeout.as_duration();
        let interval = config.prometheus.interval.as_duration();
        tasks.spawn(watch_alerts(am, timeout, interval, out.clone()));
    }
    while tasks.join_next().await.is_some() {}
}

/// Which SLO queries failed last, for the header's one-line summary of Prometheus.
struct Health {
    errors: Vec<Option<String>>,
    answered: Vec<bool>,
    shown: Option<SourceStatus>,
}

impl Health {
    fn new(n: usize) -> Health {
        Health {
            errors: vec![None; n],
            answered: vec![false; n],
            shown: None,
        }
    }

    /// Records one query's outcome; returns the status to show if it changed.
    fn report(&mut self, i: usize, error: Option<String>) -> Option<SourceStatus> {
        self.errors[i] = error;
        self.answered[i] = true;
        if !self.answered.iter().all(|a| *a) && self.shown.is_none() {
            // Wait for every query's first answer before saying anything.
            if self.errors.iter().all(Option::is_none) {
                return None;
            }
        }
        let failing: Vec<&String> = self.errors.iter().flatten().collect();
        let link = match failing.first() {
            None => Link::Connected,
            Some(first) => Link::Down {
                attempt: 0,
                retry_in: None,
                reason: format!(
                    "{} of {} queries failing: {first}",
                    failing.len(),
                    self.errors.len()
                )
                .into(),
            },
        };
        let status = SourceStatus {
            name: Arc::from("prometheus"),
            link,
        };
        if self.shown.as_ref() == Some(&status) {
            return None;
        }
        self.shown = Some(status.clone());
        Some(status)
    }
}

/// One SLO: the start-up history, then an instant query every interval.
async fn watch_slo(
    index: usize,
    slo: Slo,
    client: Client,
    interval: Duration,
    out: Out,
    health: Arc<Mutex<Health>>,
) {
    let mut known: BTreeMap<Labels, Box<str>> = BTreeMap::new();
    if !backfill(&slo, &client, interval, &out, &mut known).await {
        return;
    }
    let mut tick = tokio::time::interval(interval);
    // A query that outlasts the interval skips the ticks it missed rather than piling up.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let at = unix_now();
        let result = client.instant_at(&slo.query, at).await;
        let outcome = result
            .map_err(|e| e.to_string())
            .and_then(|v| readings(&slo, v));
        let error = outcome.as_ref().err().cloned();
        let feeds = match outcome {
            Ok(values) => samples(&slo, values, ms(at), &mut known),
            Err(e) => {
                let mut ids: Vec<Box<str>> = known.values().cloned().collect();
                if slo.series == SeriesMode::Aggregate || ids.is_empty() {
                    ids = vec![slo.spec.id.as_str().into()];
                }
                ids.into_iter()
                    .map(|id| MetricsMsg::Failed {
                        id,
                        error: e.clone(),
                    })
                    .collect()
            }
        };
        let status = health.lock().ok().and_then(|mut h| h.report(index, error));
        for f in feeds.into_iter().chain(status.map(MetricsMsg::Status)) {
            if !out.send(f).await {
                return;
            }
        }
    }
}

/// The start-up range queries: the budget's period at a coarse step (for SLOs with a
/// budget), then the sparkline's width at the poll interval. False when the console is gone.
async fn backfill(
    slo: &Slo,
    client: &Client,
    interval: Duration,
    out: &Out,
    known: &mut BTreeMap<Labels, Box<str>>,
) -> bool {
    let end = unix_now();
    let step = interval.as_secs_f64().max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let fine = step * SPARK_POINTS as f64;
    let mut spans = Vec::new();
    if let Some(b) = slo.spec.budget {
        #[allow(clippy::cast_precision_loss)]
        let period = b.period.0 as f64 / 1000.0;
        if period > fine {
            let coarse = step_for(period - fine, crate::shell::prometheus::MAX_POINTS).max(step);
            spans.push((end - period, end - fine - coarse / 2.0, coarse));
        }
    }
    spans.push((end - fine, end, step_for(fine, SPARK_POINTS)));
    let mut series: BTreeMap<Labels, Vec<(i64, Option<f64>)>> = BTreeMap::new();
    for (start, stop, step) in spans {
        // History is a nicety: a failure here shows up again on the first poll.
        let Ok(Value::Matrix(m)) = client.range(&slo.query, start, stop, step).await else {
            continue;
        };
        for (labels, points) in m {
            let key = match slo.series {
                SeriesMode::Aggregate => Labels::new(),
                SeriesMode::Each => labels,
            };
            series
                .entry(key)
                .or_default()
                .extend(points.into_iter().map(|(t, v)| (ms(t), finite_or_none(v))));
        }
    }
    if slo.series == SeriesMode::Aggregate && series.len() > 1 {
        return true; // several series: the polls report it as an error
    }
    for (labels, mut points) in series {
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
        let Some((id, new)) = gauge_id(slo, &labels, known) else {
            continue;
        };
        if let Some(spec) = new {
            if !out.send(MetricsMsg::AddSlo(spec)).await {
                return false;
            }
        }
        if !out.send(MetricsMsg::Backfill { id, points }).await {
            return false;
        }
    }
    true
}

/// The id of the gauge for `labels`, with the gauge's definition when the series is new
/// (the console must hear of it before its samples). None past the series cap.
fn gauge_id(
    slo: &Slo,
    labels: &Labels,
    known: &mut BTreeMap<Labels, Box<str>>,
) -> Option<(Box<str>, Option<SloSpec>)> {
    if slo.series == SeriesMode::Aggregate {
        return Some((slo.spec.id.as_str().into(), None));
    }
    if let Some(id) = known.get(labels) {
        return Some((id.clone(), None));
    }
    if known.len() >= MAX_SERIES {
        return None;
    }
    let spec = series_spec(&slo.spec, labels);
    let id: Box<str> = spec.id.as_str().into();
    known.insert(labels.clone(), id.clone());
    Some((id, Some(spec)))
}

/// The reports for one answered poll (the gauges of new series are announced inline).
fn samples(
    slo: &Slo,
    values: Vec<(Labels, Option<f64>)>,
    at_ms: i64,
    known: &mut BTreeMap<Labels, Box<str>>,
) -> Vec<MetricsMsg> {
    let mut feeds = Vec::new();
    if slo.series == SeriesMode::Aggregate {
        let value = values.into_iter().next().and_then(|v| v.1);
        feeds.push(MetricsMsg::Sample {
            id: slo.spec.id.as_str().into(),
            at_ms,
            value,
        });
        return feeds;
    }
    let mut seen = Vec::new();
    for (labels, value) in values {
        let Some((id, new)) = gauge_id(slo, &labels, known) else {
            continue;
        };
        feeds.extend(new.map(MetricsMsg::AddSlo));
        seen.push(id.clone());
        feeds.push(MetricsMsg::Sample { id, at_ms, value });
    }
    // A series that vanished has no data now.
    for id in known.values() {
        if !seen.contains(id) {
            feeds.push(MetricsMsg::Sample {
                id: id.clone(),
                at_ms,
                value: None,
            });
        }
    }
    feeds
}

/// NaN (0/0: nothing to measure) is no data; ±Inf is a real, extreme value and is kept.
fn finite_or_none(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// The values of one instant answer: one for an aggregate SLO (none: no data), one per series
/// for `each`.
///
/// # Errors
/// Several series for an aggregate SLO, or a range vector.
pub fn readings(slo: &Slo, v: Value) -> Result<Vec<(Labels, Option<f64>)>, String> {
    let items = match v {
        Value::Scalar(x) => vec![(Labels::new(), finite_or_none(x))],
        Value::Vector(items) => items
            .into_iter()
            .map(|(l, x)| (l, finite_or_none(x)))
            .collect(),
        Value::Matrix(_) => {
            return Err(
                "the query gives a range vector; it must give an instant vector or a scalar".into(),
            )
        }
    };
    if slo.series == SeriesMode::Aggregate && items.len() > 1 {
        return Err(format!(
            "{} series where one was expected (first {}): aggregate them in the query, or set \
             series = \"each\"",
            items.len(),
            label_text(&items[0].0)
        ));
    }
    Ok(items)
}

/// `{version="legacy"}` as `version=legacy`, or `{}` without labels.
fn label_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return "{}".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The gauge of one series of an `each` SLO: the SLO's thresholds, named after its labels.
#[must_use]
pub fn series_spec(spec: &SloSpec, labels: &Labels) -> SloSpec {
    let text = crate::core::sanitize::sanitize(&label_text(labels)).to_string();
    let plain: String = text
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let mut s = spec.clone();
    s.id = format!("{}{{{plain}}}", spec.id);
    let short: Vec<&str> = labels.values().map(String::as_str).collect();
    s.name = if short.is_empty() {
        spec.name.clone()
    } else {
        format!("{} {}", spec.name, short.join(","))
    };
    s
}

/// Polls Alertmanager every interval and reports what fired, changed or resolved.
async fn watch_alerts(
    am: crate::config::Alertmanager,
    timeout: Duration,
    interval: Duration,
    out: Out,
) {
    let status = |link| {
        MetricsMsg::Status(SourceStatus {
            name: Arc::from("alertmanager"),
            link,
        })
    };
    let client = match alertmanager::Client::new(am.url.clone(), timeout) {
        Ok(c) => c,
        Err(e) => {
            out.send(status(Link::Down {
                attempt: 0,
                retry_in: None,
                reason: e.to_string().into(),
            }))
            .await;
            return;
        }
    };
    let mut tracker = alertmanager::Tracker::default();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        match client.alerts(&am.matchers).await {
            Ok(list) => {
                let bodies = tracker.update(&list);
                if !bodies.is_empty() && !out.send(MetricsMsg::Alerts(bodies)).await {
                    return;
                }
                if !out.send(status(Link::Connected)).await {
                    return;
                }
            }
            Err(e) => {
                let reason = e.to_string().into();
                let down = Link::Down {
                    reason,
                    attempt: 0,
                    retry_in: None,
                };
                if !out.send(status(down)).await {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(series: SeriesMode) -> Slo {
        let text = crate::config::TEMPLATE;
        let c = crate::config::parse("t", text).unwrap();
        let mut s = c.slos[0].clone();
        s.series = series;
        s
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn aggregate_answers_one_value_and_refuses_several_series() {
        let s = slo(SeriesMode::Aggregate);
        assert_eq!(
            readings(&s, Value::Vector(vec![])).unwrap(),
            vec![],
            "empty is no data"
        );
        assert_eq!(
            readings(&s, Value::Scalar(f64::NAN)).unwrap(),
            vec![(Labels::new(), None)]
        );
        assert_eq!(
            readings(&s, Value::Scalar(f64::INFINITY)).unwrap(),
            vec![(Labels::new(), Some(f64::INFINITY))]
        );
        let two = Value::Vector(vec![
            (labels(&[("version", "legacy")]), 1.0),
            (labels(&[("version", "v1")]), 2.0),
        ]);
        let e = readings(&s, two).unwrap_err();
        assert!(
            e.starts_with("2 series where one was expected (first version=legacy)"),
            "{e}"
        );
        let mut known = BTreeMap::new();
        let f = samples(&s, vec![], 5, &mut known);
        assert_eq!(
            f,
            vec![MetricsMsg::Sample {
                id: "error_rate".into(),
                at_ms: 5,
                value: None
            }]
        );
    }

    #[test]
    fn each_series_gets_its_own_gauge_and_a_vanished_one_reads_no_data() {
        let s = slo(SeriesMode::Each);
        let mut known = BTreeMap::new();
        let first = samples(
            &s,
            vec![
                (labels(&[("version", "legacy")]), Some(1.0)),
                (labels(&[("version", "v1 beta")]), Some(2.0)),
            ],
            1000,
            &mut known,
        );
        let added: Vec<String> = first
            .iter()
            .filter_map(|f| match f {
                MetricsMsg::AddSlo(s) => Some(format!("{} / {}", s.id, s.name)),
                _ => None,
            })
            .collect();
        assert_eq!(
            added,
            vec![
                "error_rate{version=legacy} / Error Rate legacy",
                "error_rate{version=v1_beta} / Error Rate v1 beta"
            ]
        );
        let second = samples(
            &s,
            vec![(labels(&[("version", "legacy")]), Some(1.5))],
            2000,
            &mut known,
        );
        assert_eq!(
            second,
            vec![
                MetricsMsg::Sample {
                    id: "error_rate{version=legacy}".into(),
                    at_ms: 2000,
                    value: Some(1.5)
                },
                MetricsMsg::Sample {
                    id: "error_rate{version=v1_beta}".into(),
                    at_ms: 2000,
                    value: None
                },
            ]
        );
    }

    #[test]
    fn the_header_hears_of_prometheus_once_per_change() {
        let mut h = Health::new(2);
        assert_eq!(h.report(0, None), None, "waits for every first answer");
        let up = h.report(1, None).unwrap();
        assert_eq!(up.link, Link::Connected);
        assert_eq!(h.report(0, None), None);
        let down = h.report(1, Some("no answer within 5s".into())).unwrap();
        assert_eq!(
            down.link,
            Link::Down {
                reason: "1 of 2 queries failing: no answer within 5s".into(),
                attempt: 0,
                retry_in: None,
            }
        );
        assert_eq!(h.report(1, Some("no answer within 5s".into())), None);
        assert_eq!(h.report(1, None).unwrap().link, Link::Connected);
    }
}
