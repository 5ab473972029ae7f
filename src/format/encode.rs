//! Core records back into their wire shape: what the control plane sends and what a
//! recording writes, so that `warroom replay` reads a recording like any fixture.

use serde_json::{json, Map, Value};

use crate::core::plan::Plan;
use crate::core::record::{Body, Record};
use crate::core::time::exact_offset;

/// The record as a fixture line holds it (ids are the plan's own).
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "one arm per record type, in the order the fixture format documents them"
)]
pub fn record(r: &Record, plan: &Plan) -> Value {
    let p = &plan.spec;
    let mut m = Map::new();
    m.insert("t".into(), json!(exact_offset(r.t)));
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.into(), v);
        }
    };
    let kind = match &r.body {
        Body::Wave {
            wave,
            state,
            traffic,
            by,
            text,
        } => {
            put("wave", json!(p.waves[*wave].id));
            put("state", json!(state));
            put("traffic", json!(traffic));
            put("by", json!(by));
            put("text", json!(text));
            "wave"
        }
        Body::Metric { slo, value } => {
            put("slo", json!(p.slos[*slo].id));
            m.insert("value".into(), json!(value));
            "metric"
        }
        Body::Check {
            section,
            item,
            state,
            by,
            text,
        } => {
            put("item", json!(p.checklist[*section].items[*item].id));
            put("state", json!(state));
            put("by", json!(by));
            put("text", json!(text));
            "check"
        }
        Body::Alert {
            id,
            name,
            state,
            severity,
            summary,
        } => {
            put("name", json!(name));
            put("state", json!(state));
            put("severity", json!(severity));
            put("summary", json!(summary));
            if **id != **name {
                put("fingerprint", json!(id));
            }
            "alert"
        }
        Body::Note { by, text } => {
            put("by", json!(by));
            put("text", json!(text));
            "note"
        }
        Body::Command {
            id,
            action,
            by,
            reason,
            wave,
            item,
        } => {
            put("id", json!(id));
            put("action", json!(action));
            put("item", json!(item));
            put("by", json!(by));
            put("reason", json!(reason));
            put("wave", json!(wave.map(|w| p.waves[w].id.clone())));
            "command"
        }
        Body::Outcome { id, result, reason } => {
            put("id", json!(id));
            put("result", json!(result));
            put("reason", json!(reason));
            "outcome"
        }
        Body::Incident {
            milestone,
            severity,
            text,
        } => {
            put("milestone", json!(milestone));
            put("severity", json!(severity));
            put("text", json!(text));
            "incident"
        }
        Body::Feed { text } => {
            put("text", json!(text));
            "source"
        }
        Body::Other { kind, text } => {
            put("text", json!(text));
            m.insert("type".into(), json!(kind));
            return finish(m, r);
        }
        Body::Snapshot {
            session,
            text,
            image,
        } => {
            put("session", json!(session));
            put("text", json!(text));
            put("state", json!(image.encode()));
            "snapshot"
        }
    };
    m.insert("type".into(), json!(kind));
    finish(m, r)
}

fn finish(mut m: Map<String, Value>, r: &Record) -> Value {
    if let Some(s) = &r.source {
        m.insert("source".into(), json!(s));
    }
    Value::Object(m)
}

/// A fixture header line for `plan` (recordings start with it).
#[must_use]
pub fn header(plan: &crate::core::plan::PlanSpec) -> Value {
    json!({ "warroom": format!("{}.{}", super::fixture::VERSION.0, super::fixture::VERSION.1), "rollout": plan })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::fixture;

    /// Every record of every shipped fixture survives encode → decode unchanged.
    #[test]
    fn round_trip_through_the_wire_shape() {
        for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).unwrap() {
            let path = f.unwrap().path();
            let file = std::fs::File::open(&path).unwrap();
            let mut rd = fixture::open("x", std::io::BufReader::new(file)).unwrap();
            let plan = rd.fixture().plan.clone();
            let mut text = format!("{}\n", header(&plan.spec));
            let mut originals = Vec::new();
            while rd
                .next_records(&mut |r| originals.push(r))
                .unwrap()
                .is_some()
            {}
            for r in &originals {
                text.push_str(&record(r, &plan).to_string());
                text.push('\n');
            }
            let mut again = fixture::open("y", std::io::Cursor::new(text.as_bytes())).unwrap();
            let mut decoded = Vec::new();
            while again
                .next_records(&mut |r| decoded.push(r))
                .unwrap()
                .is_some()
            {}
            assert_eq!(originals, decoded, "{}", path.display());
        }
    }
}
