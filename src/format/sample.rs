//! The commonest record line of all, one metric sample, read in one pass:
//! `{"t": 1.415, "type": "metric", "slo": "p95_latency", "value": 261.706}`.
//!
//! [`Raw`](super::record::Raw) and [`decode`](super::record::decode) read every line and
//! name what is wrong with it. This path reads a sample line straight into its SLO index
//! and value, without the wire struct's two dozen optional fields, and answers only "mine"
//! or "not mine": anything it does not expect (another type, another key, a repeated key,
//! an escaped or unknown id, a value of the wrong type) goes to the full reader, which then
//! accepts it or says why not. So the two can never disagree on what a line means.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::core::plan::Plan;
use crate::core::time::Offset;

/// A metric sample line, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    pub t: Offset,
    /// The SLO's index in the plan.
    pub slo: usize,
    /// `None` for `"value": null`, an explicit no-data sample.
    pub value: Option<f64>,
    pub source: Option<&'a str>,
    pub inject: Option<&'a str>,
}

/// The sample `line` holds, or `None` when it is not a plain sample line of this plan
/// (the full reader then reads it).
#[must_use]
pub fn sample<'a>(line: &'a str, plan: &Plan) -> Option<Sample<'a>> {
    let mut de = serde_json::Deserializer::from_str(line);
    let s = de.deserialize_map(Line { plan }).ok()?;
    de.end().ok()?;
    Some(s)
}

/// The keys a sample line may carry.
#[derive(Clone, Copy)]
enum Key {
    T,
    Type,
    Seq,
    Source,
    Inject,
    Slo,
    Value,
}

struct KeyOf;

impl<'de> DeserializeSeed<'de> for KeyOf {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeyOf {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key of a metric sample")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "t" => Key::T,
            "type" => Key::Type,
            "seq" => Key::Seq,
            "source" => Key::Source,
            "inject" => Key::Inject,
            "slo" => Key::Slo,
            "value" => Key::Value,
            _ => return Err(not_mine()),
        })
    }
}

struct Line<'p> {
    plan: &'p Plan,
}

/// The error that hands a line to the full reader (its text is never shown).
fn not_mine<E: de::Error>() -> E {
    E::custom("not a plain sample")
}

impl<'de> Visitor<'de> for Line<'_> {
    type Value = Sample<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a metric sample")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sample<'de>, A::Error> {
        let mut seen = 0u8;
        let (mut t, mut slo, mut value) = (None, None, None);
        let (mut source, mut inject) = (None, None);
        while let Some(key) = map.next_key_seed(KeyOf)? {
            let bit = 1u8 << key as u8;
            if seen & bit != 0 {
                return Err(not_mine());
            }
            seen |= bit;
            match key {
                Key::T => t = Some(map.next_value::<Offset>()?),
                Key::Type => {
                    if map.next_value::<&str>()? != "metric" {
                        return Err(not_mine());
                    }
                }
                Key::Seq => {
                    map.next_value::<Option<u64>>()?;
                }
                Key::Source => source = map.next_value::<Option<&str>>()?,
                Key::Inject => inject = map.next_value::<Option<&str>>()?,
                Key::Slo => {
                    let id = map.next_value::<&str>()?;
                    slo = Some(self.plan.slo(id).ok_or_else(not_mine)?);
                }
                Key::Value => value = Some(map.next_value::<Option<f64>>()?),
            }
        }
        match (t, slo, value) {
            (Some(t), Some(slo), Some(value)) if seen & (1 << Key::Type as u8) != 0 => Ok(Sample {
                t,
                slo,
                value,
                source,
                inject,
            }),
            _ => Err(not_mine()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::BufReader;
    use std::sync::Arc;

    use super::super::fixture::open;
    use super::super::record::{decode, Raw, Strictness};
    use super::*;
    use crate::core::record::{Body, Record};
    use crate::core::sanitize::sanitize;

    /// What the general reader makes of a line: its records, or `None` if it refuses it.
    fn general(
        line: &str,
        plan: &Plan,
        strict: Strictness,
    ) -> Option<(Vec<Record>, Option<String>)> {
        let raw: Raw<'_> = serde_json::from_str(line).ok()?;
        let mut out = Vec::new();
        decode(&raw, plan, strict, |r| out.push(r)).ok()?;
        Some((out, raw.inject.map(std::borrow::Cow::into_owned)))
    }

    fn plan() -> Arc<Plan> {
        let path = "fixtures/trackshift-progressive-delivery.jsonl";
        let file = std::fs::File::open(path).unwrap();
        open(path, BufReader::new(file))
            .unwrap()
            .fixture()
            .plan
            .clone()
    }

    fn slo_id(plan: &Plan) -> String {
        plan.spec.slos[0].id.clone()
    }

    /// Whenever the one-pass reader takes a line, the general reader, strict and lenient,
    /// makes exactly the same single record of it.
    fn agrees(line: &str, plan: &Plan) -> bool {
        let Some(s) = sample(line, plan) else {
            return false;
        };
        let mine = Record {
            t: s.t,
            source: s.source.map(sanitize),
            body: Body::Metric {
                slo: s.slo,
                value: s.value,
            },
        };
        for strict in [Strictness::Strict, Strictness::Lenient] {
            let (records, inject) = general(line, plan, strict)
                .expect("the general reader refuses a line the sample reader took");
            assert_eq!(records, vec![mine.clone()], "{line}");
            assert_eq!(inject.as_deref(), s.inject, "{line}");
        }
        true
    }

    #[test]
    fn every_fixture_sample_reads_as_the_general_reader_reads_it() {
        let mut taken = 0;
        for entry in std::fs::read_dir("fixtures").unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
                continue;
            }
            let name = path.to_str().unwrap().to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let reader = open(&name, BufReader::new(text.as_bytes())).unwrap();
            let plan = reader.fixture().plan.clone();
            for line in text.lines() {
                agrees(line, &plan);
                // The fixtures send their samples together ("values"): each one alone is a
                // plain sample line, and must read as the general reader reads it.
                let Ok(serde_json::Value::Object(mut rec)) = serde_json::from_str(line) else {
                    continue;
                };
                let Some(serde_json::Value::Object(values)) = rec.remove("values") else {
                    continue;
                };
                for (id, v) in values {
                    rec.insert("slo".into(), id.into());
                    rec.insert("value".into(), v);
                    let one = serde_json::Value::Object(rec.clone()).to_string();
                    assert!(agrees(&one, &plan), "not taken: {one}");
                    taken += 1;
                }
            }
        }
        assert!(
            taken > 100,
            "only {taken} fixture lines were read as samples"
        );
    }

    #[test]
    fn plain_samples_are_taken_with_every_common_key() {
        let plan = plan();
        let id = slo_id(&plan);
        for line in [
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}","value":99.5}}"#),
            format!(r#"{{"t":61.25,"type":"metric","slo":"{id}","value":1}}"#),
            format!(r#"{{"t":-3,"type":"metric","slo":"{id}","value":1}}"#),
            format!(r#"{{"t":1.5e1,"type":"metric","slo":"{id}","value":1}}"#),
            format!(r#"{{"t":"T+1\u006d","type":"metric","slo":"{id}","value":1}}"#),
            format!(r#"{{"type":"metric","slo":"{id}","value":null,"t":"T+0s"}}"#),
            format!(
                r#"{{"t":"T+2m","type":"metric","seq":7,"source":"prom","slo":"{id}","value":1}}"#
            ),
            format!(
                r#"{{"t":"T+2m","type":"metric","source":null,"inject":"I-1","slo":"{id}","value":-3e2}}"#
            ),
            format!(
                r#" {{ "t" : "T+3m" , "type" : "metric" , "slo" : "{id}" , "value" : 0.25 }} "#
            ),
        ] {
            assert!(agrees(&line, &plan), "not taken: {line}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_general_reader() {
        let plan = plan();
        let id = slo_id(&plan);
        let escaped: String = id.chars().fold(String::new(), |mut e, c| {
            write!(e, "\\u{:04x}", c as u32).unwrap();
            e
        });
        for line in [
            format!(r#"{{"t":"T+1m","type":"note","slo":"{id}","value":1}}"#),
            r#"{"t":"T+1m","type":"metric","slo":"nope","value":1}"#.to_owned(),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{escaped}","value":1}}"#),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}","slo":"{id}","value":1}}"#),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}","value":1,"by":"x"}}"#),
            r#"{"t":"T+1m","type":"metric","slo":null,"value":1}"#.to_owned(),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}"}}"#),
            format!(r#"{{"t":"T+1m","slo":"{id}","value":1}}"#),
            format!(r#"{{"type":"metric","slo":"{id}","value":1}}"#),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}","value":"1"}}"#),
            format!(r#"{{"t":"T+1m","type":"metric","slo":"{id}","value":1}} x"#),
            format!(r#"{{"t":"T+1m","type":"metric","source":"a\u001bb","slo":"{id}","value":1}}"#),
            format!(r#"[{{"t":"T+1m","type":"metric","slo":"{id}","value":1}}]"#),
            format!(r#"{{"t":"yesterday","type":"metric","slo":"{id}","value":1}}"#),
        ] {
            assert!(sample(&line, &plan).is_none(), "taken: {line}");
        }
    }
}
