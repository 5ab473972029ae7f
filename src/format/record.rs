//! One record line of fixture format v1 (also the payload of live events): decoding into
//! core records, with errors that point at the offending key.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::core::plan::Plan;

use crate::core::checklist::ItemStatus;
use crate::core::command::{Action, OutcomeKind};
use crate::core::record::{AlertState, Body, Milestone, Record};
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;

use super::locate::{locate, steps};

/// The record types of format v1.1, in the order the docs present them.
pub const TYPES: [&str; 10] = [
    "wave", "metric", "check", "alert", "note", "command", "outcome", "incident", "source",
    "snapshot",
];

/// Keys every record may carry; the rest are the type-specific [`OPTIONAL`] ones.
pub const COMMON: [&str; 5] = ["t", "type", "seq", "source", "inject"];

/// Whether a v1.0 record may carry this key at all.
#[must_use]
pub fn is_known_key(key: &str) -> bool {
    COMMON.contains(&key) || OPTIONAL.contains(&key)
}

/// The wire shape of a record: every field of every type, all optional but `t` and `type`.
/// A flat struct parses several times faster than an internally tagged enum.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Raw<'a> {
    pub t: Offset,
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default, borrow)]
    pub source: Option<Cow<'a, str>>,
    /// The exercise inject the record belongs to (see `warroom serve FIXTURE`): a console
    /// replaying the file shows it at its time like any other.
    #[serde(default, borrow)]
    pub inject: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub wave: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub state: Option<Cow<'a, str>>,
    #[serde(default)]
    pub traffic: Option<f64>,
    #[serde(default, borrow)]
    pub by: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub slo: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    pub value: Option<Option<f64>>,
    #[serde(default, borrow)]
    pub values: Option<BTreeMap<Cow<'a, str>, Option<f64>>>,
    #[serde(default, borrow)]
    pub item: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default, borrow)]
    pub summary: Option<Cow<'a, str>>,
    #[serde(default)]
    pub action: Option<Action>,
    #[serde(default, borrow)]
    pub reason: Option<Cow<'a, str>>,
    #[serde(default)]
    pub result: Option<OutcomeKind>,
    #[serde(default)]
    pub milestone: Option<Milestone>,
    #[serde(default, borrow)]
    pub link: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub fingerprint: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub session: Option<Cow<'a, str>>,
}

/// `"value": null` is an explicit no-data sample, distinct from a missing key.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

/// A record that parsed as JSON but does not make sense: `key` names the field to point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub message: String,
}

fn problem(key: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        key,
        message: message.into(),
    }
}

/// How strictly to read records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// The file's version is one this build knows: unknown types and keys are errors.
    Strict,
    /// The file declares a newer minor version: unknown types become timeline entries and
    /// unknown keys are ignored.
    Lenient,
}

fn text(s: Option<&Cow<'_, str>>) -> Option<Box<str>> {
    s.map(|s| sanitize(s))
}

fn need<'r, 'a>(
    v: Option<&'r Cow<'a, str>>,
    key: &'static str,
    kind: &str,
) -> Result<&'r Cow<'a, str>, Problem> {
    v.ok_or_else(|| problem("type", format!("a {kind:?} record needs the field {key:?}")))
}

/// The optional keys, in bit order for [`Raw::present`].
pub const OPTIONAL: [&str; 20] = [
    "wave",
    "state",
    "traffic",
    "by",
    "text",
    "slo",
    "value",
    "values",
    "item",
    "id",
    "name",
    "severity",
    "summary",
    "action",
    "reason",
    "result",
    "milestone",
    "link",
    "fingerprint",
    "session",
];

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The bit mask of a list of optional keys (evaluated at compile time).
const fn mask(keys: &[&str]) -> u32 {
    let mut m = 0;
    let mut k = 0;
    while k < keys.len() {
        let mut i = 0;
        while i < OPTIONAL.len() {
            if same(keys[k], OPTIONAL[i]) {
                m |= 1 << i;
            }
            i += 1;
        }
        k += 1;
    }
    m
}

/// The keys each record type may carry besides `t`, `type`, `seq` and `source`.
fn allowed(kind: &str) -> Option<(&'static [&'static str], u32)> {
    macro_rules! keys {
        ($($k:literal),*) => {{
            const KEYS: &[&str] = &[$($k),*];
            const MASK: u32 = mask(KEYS);
            (KEYS, MASK)
        }};
    }
    Some(match kind {
        "wave" => keys!("wave", "state", "traffic", "by", "text"),
        "metric" => keys!("slo", "value", "values"),
        "check" => keys!("item", "state", "by", "text"),
        "alert" => keys!(
            "name",
            "state",
            "severity",
            "summary",
            "text",
            "fingerprint",
            "id"
        ),
        "note" => keys!("by", "text"),
        "command" => keys!("id", "action", "by", "reason", "wave", "item"),
        "outcome" => keys!("id", "result", "reason"),
        "incident" => keys!("milestone", "severity", "text"),
        "source" => keys!("text", "link"),
        "snapshot" => keys!("session", "text", "state"),
        _ => return None,
    })
}

impl Raw<'_> {
    /// The optional keys this record carries, one bit each in [`OPTIONAL`] order.
    fn present(&self) -> u32 {
        [
            self.wave.is_some(),
            self.state.is_some(),
            self.traffic.is_some(),
            self.by.is_some(),
            self.text.is_some(),
            self.slo.is_some(),
            self.value.is_some(),
            self.values.is_some(),
            self.item.is_some(),
            self.id.is_some(),
            self.name.is_some(),
            self.severity.is_some(),
            self.summary.is_some(),
            self.action.is_some(),
            self.reason.is_some(),
            self.result.is_some(),
            self.milestone.is_some(),
            self.link.is_some(),
            self.fingerprint.is_some(),
            self.session.is_some(),
        ]
        .iter()
        .enumerate()
        .fold(0, |m, (i, on)| m | (u32::from(*on) << i))
    }
}

/// Turns a parsed line into core records (a `values` line yields one per SLO).
///
/// # Errors
/// The first problem, naming the key it concerns.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per record type, in the order the fixture format documents them; the hot path of every replay"
)]
pub fn decode(
    raw: &Raw<'_>,
    plan: &Plan,
    strict: Strictness,
    mut out: impl FnMut(Record),
) -> Result<(), Problem> {
    if strict == Strictness::Strict {
        if let Some((keys, ok)) = allowed(&raw.kind) {
            let extra = raw.present() & !ok;
            if extra != 0 {
                let key = OPTIONAL[extra.trailing_zeros() as usize];
                return Err(problem(
                    key,
                    format!(
                        "field {key:?} does not apply to a {:?} record (it takes: {})",
                        raw.kind,
                        keys.join(", ")
                    ),
                ));
            }
        }
    }
    let source = text(raw.source.as_ref());
    let mut emit = |body| {
        out(Record {
            t: raw.t,
            source: source.clone(),
            body,
        });
    };
    match raw.kind.as_ref() {
        "wave" => {
            let id = need(raw.wave.as_ref(), "wave", "wave")?;
            let wave = plan.wave(id).ok_or_else(|| {
                problem(
                    "wave",
                    format!(
                        "no wave {id:?} in the plan ({})",
                        list(plan.spec.waves.iter().map(|w| &w.id))
                    ),
                )
            })?;
            let state = need(raw.state.as_ref(), "state", "wave")?;
            let state = enum_value::<WaveStatus>(
                state,
                "state",
                "pending, active, paused, passed, failed, rolled_back",
            )?;
            if let Some(t) = raw.traffic {
                if !t.is_finite() || t < 0.0 {
                    return Err(problem(
                        "traffic",
                        format!("{t} is not a usable traffic share"),
                    ));
                }
                if t > 100.0 && plan.spec.traffic_unit.is_none() {
                    return Err(problem("traffic", format!("{t} is not a percentage between 0 and 100 (the plan sets no traffic_unit)")));
                }
            }
            emit(Body::Wave {
                wave,
                state,
                traffic: raw.traffic,
                by: text(raw.by.as_ref()),
                text: text(raw.text.as_ref()),
            });
        }
        "metric" => match (&raw.slo, &raw.values) {
            (Some(id), None) => {
                let slo = slo_index(plan, id, "slo")?;
                let value = raw.value.ok_or_else(|| {
                    problem(
                        "slo",
                        "a metric record needs \"value\" (a number, or null for no data)",
                    )
                })?;
                emit(Body::Metric { slo, value });
            }
            (None, Some(values)) => {
                if raw.value.is_some() {
                    return Err(problem(
                        "value",
                        "give either \"slo\" with \"value\", or \"values\", not both",
                    ));
                }
                if values.is_empty() {
                    return Err(problem(
                        "values",
                        "\"values\" is empty: give at least one SLO id and its value",
                    ));
                }
                for (id, v) in values {
                    let slo = slo_index(plan, id, "values")?;
                    emit(Body::Metric { slo, value: *v });
                }
            }
            (Some(_), Some(_)) => {
                return Err(problem(
                    "values",
                    "give either \"slo\" with \"value\", or \"values\", not both",
                ))
            }
            (None, None) => {
                return Err(problem(
                    "type",
                    "a \"metric\" record needs \"slo\" and \"value\", or \"values\"",
                ))
            }
        },
        "check" => {
            let id = need(raw.item.as_ref(), "item", "check")?;
            let (section, item) = plan
                .item(id)
                .ok_or_else(|| problem("item", format!("no checklist item {id:?} in the plan")))?;
            let state = need(raw.state.as_ref(), "state", "check")?;
            let state = enum_value::<ItemStatus>(state, "state", "open, done, failed, waived")?;
            emit(Body::Check {
                section,
                item,
                state,
                by: text(raw.by.as_ref()),
                text: text(raw.text.as_ref()),
            });
        }
        "alert" => {
            let name = need(raw.name.as_ref(), "name", "alert")?;
            let state = need(raw.state.as_ref(), "state", "alert")?;
            let state = enum_value::<AlertState>(state, "state", "firing, resolved, silenced")?;
            let id = raw.fingerprint.as_ref().or(raw.id.as_ref()).unwrap_or(name);
            emit(Body::Alert {
                id: sanitize(id),
                name: sanitize(name),
                state,
                severity: raw.severity.unwrap_or(Severity::Warning),
                summary: text(raw.summary.as_ref().or(raw.text.as_ref())),
            });
        }
        "snapshot" => {
            let session = need(raw.session.as_ref(), "session", "snapshot")?;
            let state = need(raw.state.as_ref(), "state", "snapshot")?;
            let image =
                crate::core::state::Image::decode(state).map_err(|e| problem("state", e))?;
            image.fits(plan).map_err(|e| problem("state", e))?;
            emit(Body::Snapshot {
                session: sanitize(session),
                text: text(raw.text.as_ref())
                    .unwrap_or_else(|| "state rebuilt from a snapshot".into()),
                image: Box::new(image),
            });
        }
        "note" => {
            let t = need(raw.text.as_ref(), "text", "note")?;
            emit(Body::Note {
                by: text(raw.by.as_ref()),
                text: crate::core::sanitize::sanitize_note(t),
            });
        }
        "command" => {
            let id = need(raw.id.as_ref(), "id", "command")?;
            let action = raw.action.ok_or_else(|| {
                problem("type", "a \"command\" record needs the field \"action\"")
            })?;
            let wave = match &raw.wave {
                Some(w) => Some(
                    plan.wave(w)
                        .ok_or_else(|| problem("wave", format!("no wave {w:?} in the plan")))?,
                ),
                None => None,
            };
            emit(Body::Command {
                id: sanitize(id),
                action,
                by: text(raw.by.as_ref()),
                reason: raw.reason.as_ref().map(|r| action.clean_reason(r)),
                wave,
                item: text(raw.item.as_ref()),
            });
        }
        "outcome" => {
            let id = need(raw.id.as_ref(), "id", "outcome")?;
            let result = raw.result.ok_or_else(|| {
                problem("type", "an \"outcome\" record needs the field \"result\"")
            })?;
            emit(Body::Outcome {
                id: sanitize(id),
                result,
                reason: text(raw.reason.as_ref()),
            });
        }
        "incident" => {
            let milestone = raw.milestone.ok_or_else(|| {
                problem(
                    "type",
                    "an \"incident\" record needs the field \"milestone\"",
                )
            })?;
            emit(Body::Incident {
                milestone,
                severity: raw.severity,
                text: text(raw.text.as_ref()),
            });
        }
        "source" => {
            // A feed's own status line (e.g. "prometheus: scrape failed"), kept on the timeline.
            let t = need(raw.text.as_ref(), "text", "source")?;
            emit(Body::Feed { text: sanitize(t) });
        }
        other => {
            if strict == Strictness::Strict {
                return Err(problem(
                    "type",
                    format!(
                        "unknown record type {other:?} (version 1.1 has: {})",
                        TYPES.join(", ")
                    ),
                ));
            }
            let summary = raw
                .text
                .as_ref()
                .or(raw.summary.as_ref())
                .or(raw.name.as_ref())
                .map_or_else(String::new, std::string::ToString::to_string);
            emit(Body::Other {
                kind: sanitize(other),
                text: sanitize(&summary),
            });
        }
    }
    Ok(())
}

fn slo_index(plan: &Plan, id: &str, key: &'static str) -> Result<usize, Problem> {
    plan.slo(id).ok_or_else(|| {
        problem(
            key,
            format!(
                "no SLO {id:?} in the plan ({})",
                list(plan.spec.slos.iter().map(|s| &s.id))
            ),
        )
    })
}

fn list<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = ids.map(String::as_str).collect();
    if v.is_empty() {
        "it defines none".into()
    } else {
        format!("it has {}", v.join(", "))
    }
}

fn enum_value<T: for<'de> Deserialize<'de>>(
    s: &str,
    key: &'static str,
    allowed: &str,
) -> Result<T, Problem> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).map_err(
        |_| {
            problem(
                key,
                format!("unknown {key} {s:?} (expected one of: {allowed})"),
            )
        },
    )
}

/// Column (1-based, in chars) of a key's value in a record line, for error messages.
#[must_use]
pub fn column_of(line: &str, key: &str) -> usize {
    locate(line, &steps(key)).map_or(1, |b| line[..b].chars().count() + 1)
}
