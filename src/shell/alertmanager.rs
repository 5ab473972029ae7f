//! A client for Alertmanager's API v2 (`GET /api/v2/alerts`), and a [`Tracker`] that turns
//! its successive lists into timeline entries. As with the Prometheus client, every failure is
//! a value the screen can show: the server's own words, the HTTP status, a timeout or a
//! refused connection. All text from the server is sanitised before it leaves this module.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::config::Matcher;
use crate::core::record::{AlertState, Body};
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;

/// Most alerts a [`Tracker`] remembers; alerts beyond it are counted, not reported.
pub const MAX_TRACKED: usize = 4096;

/// Longest server text kept in an error, in chars.
const MAX_ERROR_CHARS: usize = 200;

/// Why a poll gave no list. Every case carries what the person at the screen needs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// A non-success HTTP status, with the server's own words (e.g. a refused filter).
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("unreadable answer: {0}")]
    Decode(String),
}

/// One alert as Alertmanager lists it, with every text field sanitised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Alertmanager's hash of the label set: the alert's identity across polls.
    pub fingerprint: String,
    /// The `alertname` label, or `(unnamed)`.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// From the `severity` label (see [`severity_of`]).
    pub severity: Severity,
    /// The `summary` annotation, else the `description` annotation.
    pub summary: Option<String>,
    /// Suppressed by at least one silence.
    pub silenced: bool,
    /// Suppressed by at least one inhibition rule.
    pub inhibited: bool,
    /// As Alertmanager wrote it (RFC 3339).
    pub starts_at: String,
}

#[derive(Deserialize)]
struct WireAlert {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    fingerprint: String,
    #[serde(rename = "startsAt")]
    starts_at: String,
    status: WireStatus,
}

#[derive(Deserialize)]
struct WireStatus {
    state: WireState,
    #[serde(default, rename = "silencedBy")]
    silenced_by: Vec<String>,
    #[serde(default, rename = "inhibitedBy")]
    inhibited_by: Vec<String>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum WireState {
    Unprocessed,
    Active,
    Suppressed,
}

/// The severity named by a `severity` label: `critical`, `page` and `error` are critical,
/// `warning` and `warn` are warnings (any letter case), anything else or no label is info.
#[must_use]
pub fn severity_of(label: Option<&str>) -> Severity {
    let is =
        |words: &[&str]| label.is_some_and(|l| words.iter().any(|w| l.eq_ignore_ascii_case(w)));
    if is(&["critical", "page", "error"]) {
        Severity::Critical
    } else if is(&["warning", "warn"]) {
        Severity::Warning
    } else {
        Severity::Info
    }
}

fn clip(s: &str) -> String {
    sanitize(s).chars().take(MAX_ERROR_CHARS).collect()
}

/// What the server said in an error answer: Alertmanager sends a refused filter's reason as
/// a JSON string, and its request validation writes `{"code": …, "message": …}`; anything
/// else (a proxy's page) is kept as text.
fn server_words(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => match o.get("message").or_else(|| o.get("error")) {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => body.trim().to_string(),
        },
        _ => body.trim().to_string(),
    }
}

/// Reads an answer to `GET /api/v2/alerts` (any HTTP status).
///
/// # Errors
/// [`FetchError::Http`] for a non-success status, [`FetchError::Decode`] naming the place in
/// an answer that is not the API's shape.
pub fn parse(status: u16, body: &str) -> Result<Vec<Alert>, FetchError> {
    if !(200..300).contains(&status) {
        return Err(FetchError::Http {
            status,
            body: clip(&server_words(body)),
        });
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let wire: Vec<WireAlert> = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| FetchError::Decode(clip(&format!("at {}: {}", e.path(), e.inner()))))?;
    Ok(wire.iter().map(Alert::from_wire).collect())
}

impl Alert {
    fn from_wire(w: &WireAlert) -> Alert {
        let text = |s: &str| String::from(sanitize(s));
        let labels: BTreeMap<String, String> =
            w.labels.iter().map(|(k, v)| (text(k), text(v))).collect();
        let name = labels
            .get("alertname")
            .filter(|n| !n.trim().is_empty())
            .map_or_else(|| "(unnamed)".to_string(), Clone::clone);
        let severity = severity_of(labels.get("severity").map(String::as_str));
        let summary = ["summary", "description"]
            .iter()
            .filter_map(|k| w.annotations.get(*k))
            .find(|s| !s.trim().is_empty())
            .map(|s| text(s));
        let suppressed = w.status.state == WireState::Suppressed;
        Alert {
            fingerprint: text(&w.fingerprint),
            name,
            labels,
            severity,
            summary,
            silenced: suppressed && !w.status.silenced_by.is_empty(),
            inhibited: suppressed && !w.status.inhibited_by.is_empty(),
            starts_at: text(&w.starts_at),
        }
    }
}

/// An Alertmanager server.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `<base>/api/v2/alerts`.
    alerts: reqwest::Url,
    timeout: Duration,
}

impl Client {
    /// A client for the Alertmanager at `base`, which may have a path prefix (with or without
    /// a trailing slash: `http://host/am` and `http://host/am/` both mean `/am/api/v2/…`).
    /// Every request ends after `timeout`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (TLS set-up), or `base` cannot have paths under it.
    pub fn new(base: reqwest::Url, timeout: Duration) -> Result<Client, FetchError> {
        let http = crate::shell::http_client()
            .timeout(timeout)
            .build()
            .map_err(|e| FetchError::Connect(e.to_string()))?;
        let mut base = base;
        if !base.path().ends_with('/') {
            let dir = format!("{}/", base.path());
            base.set_path(&dir);
        }
        let alerts = base
            .join("api/v2/alerts")
            .map_err(|e| FetchError::Connect(e.to_string()))?;
        Ok(Client {
            http,
            alerts,
            timeout,
        })
    }

    /// `GET /api/v2/alerts` with one `filter` per matcher (all must match), listing active,
    /// silenced, inhibited and unprocessed alerts alike. Resolved alerts are not listed.
    ///
    /// # Errors
    /// See [`FetchError`].
    pub async fn alerts(&self, matchers: &[Matcher]) -> Result<Vec<Alert>, FetchError> {
        let mut params: Vec<(&str, String)> = ["active", "silenced", "inhibited", "unprocessed"]
            .into_iter()
            .map(|k| (k, "true".to_string()))
            .collect();
        params.extend(matchers.iter().map(|m| ("filter", m.to_string())));
        let resp = self
            .http
            .get(self.alerts.clone())
            .query(&params)
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| self.transport(&e))?;
        parse(status, &body)
    }

    fn transport(&self, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            FetchError::Connect(super::prometheus::error_chain(e))
        }
    }
}

/// What a [`Tracker`] last reported for one alert.
#[derive(Clone, Debug)]
struct Reported {
    silenced: bool,
    name: Box<str>,
    severity: Severity,
    summary: Option<Box<str>>,
}

/// Remembers which alerts have entered the timeline, and in which state, so that each poll's
/// list becomes only the changes: an alert enters once when it fires, once more each time it
/// is silenced or unsilenced, and once when it leaves the list (resolved). No I/O.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    reported: BTreeMap<String, Reported>,
    dropped: usize,
}

impl Tracker {
    #[must_use]
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// The timeline entries for one poll's list, sorted by fingerprint: `Firing` or
    /// `Silenced` for an alert that is new or whose silence changed, `Resolved` for one
    /// reported before that is no longer listed. Ids are `am:<fingerprint>`. Alerts that
    /// would take the tracked set past [`MAX_TRACKED`] are left out and counted in
    /// [`Tracker::dropped`]; they are reported by a later poll once there is room.
    pub fn update(&mut self, alerts: &[Alert]) -> Vec<Body> {
        let listed: BTreeMap<&str, &Alert> =
            alerts.iter().map(|a| (a.fingerprint.as_str(), a)).collect();
        let gone: Vec<String> = self
            .reported
            .keys()
            .filter(|f| !listed.contains_key(f.as_str()))
            .cloned()
            .collect();
        let mut out: Vec<(String, Body)> = Vec::new();
        for fingerprint in gone {
            if let Some(r) = self.reported.remove(&fingerprint) {
                let body = Body::Alert {
                    id: format!("am:{fingerprint}").into(),
                    name: r.name,
                    state: AlertState::Resolved,
                    severity: r.severity,
                    summary: r.summary,
                };
                out.push((fingerprint, body));
            }
        }
        self.dropped = 0;
        for (fingerprint, a) in listed {
            let full = self.reported.len() >= MAX_TRACKED;
            match self.reported.get_mut(fingerprint) {
                Some(r) if r.silenced == a.silenced => continue,
                Some(r) => r.silenced = a.silenced,
                None if full => {
                    self.dropped += 1;
                    continue;
                }
                None => {
                    self.reported.insert(
                        fingerprint.to_string(),
                        Reported {
                            silenced: a.silenced,
                            name: a.name.as_str().into(),
                            severity: a.severity,
                            summary: a.summary.as_deref().map(Into::into),
                        },
                    );
                }
            }
            let state = if a.silenced {
                AlertState::Silenced
            } else {
                AlertState::Firing
            };
            let body = Body::Alert {
                id: format!("am:{fingerprint}").into(),
                name: a.name.as_str().into(),
                state,
                severity: a.severity,
                summary: a.summary.as_deref().map(Into::into),
            };
            out.push((fingerprint.to_string(), body));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter().map(|(_, body)| body).collect()
    }

    /// Alerts reported and still listed that are not silenced.
    #[must_use]
    pub fn firing(&self) -> usize {
        self.reported.values().filter(|r| !r.silenced).count()
    }

    /// Of those, the critical ones.
    #[must_use]
    pub fn critical(&self) -> usize {
        self.reported
            .values()
            .filter(|r| !r.silenced && r.severity == Severity::Critical)
            .count()
    }

    /// Alerts in the last poll's list that were left out because [`MAX_TRACKED`] alerts were
    /// already tracked.
    #[must_use]
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as Alertmanager 0.25 writes it: one active, one silenced, one inhibited
    /// alert, and fields this client does not read.
    const ANSWER: &str = r#"[
      {"annotations":{"summary":"Error rate \u001b]0;pwned\u0007 above 10 %","runbook":"x"},
       "endsAt":"2026-01-01T10:05:00.000Z","fingerprint":"5c900abe8fb9838b",
       "receivers":[{"name":"null"}],"startsAt":"2026-01-01T10:00:00.000Z",
       "status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},
       "updatedAt":"2026-01-01T10:00:00.000Z","generatorURL":"http://prom/graph",
       "labels":{"alertname":"HighErrorRate","service":"batch-patches","severity":"critical"}},
      {"annotations":{"description":"p99 above 800 ms"},
       "endsAt":"2026-01-01T10:05:00.000Z","fingerprint":"8ef18f1731f41e9a",
       "receivers":[{"name":"null"}],"startsAt":"2026-01-01T10:01:00.000Z",
       "status":{"inhibitedBy":[],"silencedBy":["8020b96f-ef3e-4661-b786-f6696250d296"],"state":"suppressed"},
       "updatedAt":"2026-01-01T10:01:00.000Z",
       "labels":{"alertname":"SlowP99","service":"batch-patches","severity":"warning"}},
      {"annotations":{},"endsAt":"2026-01-01T10:05:00.000Z","fingerprint":"0a1b2c3d4e5f6071",
       "receivers":[{"name":"null"}],"startsAt":"2026-01-01T10:02:00.000Z",
       "status":{"inhibitedBy":["5c900abe8fb9838b"],"silencedBy":[],"state":"suppressed"},
       "updatedAt":"2026-01-01T10:02:00.000Z","labels":{"service":"batch-patches"}}
    ]"#;

    fn alert(fingerprint: &str, severity: Severity, silenced: bool) -> Alert {
        Alert {
            fingerprint: fingerprint.into(),
            name: format!("Alert{fingerprint}"),
            labels: BTreeMap::new(),
            severity,
            summary: Some(format!("summary of {fingerprint}")),
            silenced,
            inhibited: false,
            starts_at: "2026-01-01T10:00:00Z".into(),
        }
    }

    fn states(bodies: &[Body]) -> Vec<(String, AlertState)> {
        bodies
            .iter()
            .map(|b| match b {
                Body::Alert { id, state, .. } => (id.to_string(), *state),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn reads_a_real_answer() {
        let alerts = parse(200, ANSWER).unwrap();
        assert_eq!(alerts.len(), 3);
        let [high, slow, unnamed] = &alerts[..] else {
            panic!("{alerts:?}")
        };
        assert_eq!(high.fingerprint, "5c900abe8fb9838b");
        assert_eq!(high.name, "HighErrorRate");
        assert_eq!(high.severity, Severity::Critical);
        assert_eq!(high.labels["service"], "batch-patches");
        assert_eq!(high.starts_at, "2026-01-01T10:00:00.000Z");
        let summary = high.summary.as_deref().unwrap();
        assert!(!summary.chars().any(char::is_control), "{summary:?}");
        assert!(summary.starts_with("Error rate ") && summary.ends_with(" above 10 %"));
        assert!(!high.silenced && !high.inhibited);
        assert_eq!(slow.summary.as_deref(), Some("p99 above 800 ms"));
        assert_eq!(slow.severity, Severity::Warning);
        assert!(slow.silenced && !slow.inhibited);
        assert_eq!(unnamed.name, "(unnamed)");
        assert_eq!(unnamed.severity, Severity::Info);
        assert_eq!(unnamed.summary, None);
        assert!(!unnamed.silenced && unnamed.inhibited);
        assert_eq!(parse(200, "[]").unwrap(), vec![]);
    }

    #[test]
    fn malformed_answers_name_what_is_wrong() {
        let e = parse(200, r#"[{"labels":{},"fingerprint":"a","startsAt":"x"}]"#).unwrap_err();
        assert!(
            matches!(&e, FetchError::Decode(m) if m.contains("[0]") && m.contains("status")),
            "{e}"
        );
        let e = parse(
            200,
            r#"[{"labels":{},"fingerprint":"a","startsAt":"x","status":{"state":"sleeping"}}]"#,
        )
        .unwrap_err();
        assert!(
            matches!(&e, FetchError::Decode(m) if m.contains("[0].status.state") && m.contains("sleeping")),
            "{e}"
        );
        assert!(matches!(
            parse(200, r#"{"status":"success"}"#),
            Err(FetchError::Decode(_))
        ));
        assert!(matches!(parse(200, ""), Err(FetchError::Decode(_))));
    }

    #[test]
    fn severity_labels_map_to_three_levels() {
        for (label, want) in [
            (Some("critical"), Severity::Critical),
            (Some("page"), Severity::Critical),
            (Some("error"), Severity::Critical),
            (Some("CRITICAL"), Severity::Critical),
            (Some("warning"), Severity::Warning),
            (Some("warn"), Severity::Warning),
            (Some("info"), Severity::Info),
            (Some("none"), Severity::Info),
            (Some(""), Severity::Info),
            (None, Severity::Info),
        ] {
            assert_eq!(severity_of(label), want, "{label:?}");
        }
    }

    #[test]
    fn each_state_enters_the_timeline_once() {
        let mut t = Tracker::new();
        let b = alert("b", Severity::Critical, false);
        let a = alert("a", Severity::Warning, false);
        let fired = t.update(&[b.clone(), a.clone()]);
        assert_eq!(
            states(&fired),
            [
                ("am:a".into(), AlertState::Firing),
                ("am:b".into(), AlertState::Firing)
            ]
        );
        assert_eq!(
            fired[1],
            Body::Alert {
                id: "am:b".into(),
                name: "Alertb".into(),
                state: AlertState::Firing,
                severity: Severity::Critical,
                summary: Some("summary of b".into()),
            }
        );
        assert_eq!((t.firing(), t.critical()), (2, 1));
        assert!(
            t.update(&[a.clone(), b.clone()]).is_empty(),
            "same list again"
        );
        let silenced_b = Alert {
            silenced: true,
            ..b.clone()
        };
        assert_eq!(
            states(&t.update(&[a.clone(), silenced_b.clone()])),
            [("am:b".into(), AlertState::Silenced)]
        );
        assert_eq!((t.firing(), t.critical()), (1, 0));
        assert!(t.update(&[a.clone(), silenced_b]).is_empty());
        assert_eq!(
            states(&t.update(&[a.clone(), b.clone()])),
            [("am:b".into(), AlertState::Firing)]
        );
        let gone = t.update(std::slice::from_ref(&a));
        assert_eq!(
            gone,
            [Body::Alert {
                id: "am:b".into(),
                name: "Alertb".into(),
                state: AlertState::Resolved,
                severity: Severity::Critical,
                summary: Some("summary of b".into()),
            }]
        );
        assert!(t.update(&[a]).is_empty(), "resolved once");
        assert_eq!(
            states(&t.update(&[])),
            [("am:a".into(), AlertState::Resolved)]
        );
        assert_eq!((t.firing(), t.critical(), t.dropped()), (0, 0, 0));
    }

    #[test]
    fn output_is_sorted_by_fingerprint_across_kinds() {
        let mut t = Tracker::new();
        t.update(&[
            alert("b", Severity::Info, false),
            alert("d", Severity::Info, false),
        ]);
        let out = t.update(&[
            alert("d", Severity::Info, true),
            alert("c", Severity::Info, false),
            alert("a", Severity::Info, false),
        ]);
        assert_eq!(
            states(&out),
            [
                ("am:a".into(), AlertState::Firing),
                ("am:b".into(), AlertState::Resolved),
                ("am:c".into(), AlertState::Firing),
                ("am:d".into(), AlertState::Silenced),
            ]
        );
    }

    #[test]
    fn a_flood_is_counted_not_kept() {
        let mut t = Tracker::new();
        let flood: Vec<Alert> = (0..MAX_TRACKED + 10)
            .map(|i| alert(&format!("{i:06}"), Severity::Info, false))
            .collect();
        assert_eq!(t.update(&flood).len(), MAX_TRACKED);
        assert_eq!((t.firing(), t.dropped()), (MAX_TRACKED, 10));
        assert!(t.update(&flood).is_empty());
        assert_eq!(t.dropped(), 10, "counted per poll, not added up");
        // Room again: the ones left out enter the timeline now.
        let out = t.update(&flood[10..]);
        assert_eq!(out.len(), 20, "10 resolved, 10 fired");
        assert_eq!(t.dropped(), 0);
    }

    #[test]
    fn errors_keep_the_servers_words() {
        let e = parse(
            400,
            "\"error parsing regexp: missing closing ): `^(?:()$`\"\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 400: error parsing regexp: missing closing ): `^(?:()$`"
        );
        let e = parse(
            422,
            r#"{"code":602,"message":"active in query must be of type boolean: \"x\""}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 422: active in query must be of type boolean: \"x\""
        );
        let e = parse(502, "<html>Bad \x1b[2J Gateway</html>\n").unwrap_err();
        assert_eq!(
            e,
            FetchError::Http {
                status: 502,
                body: "<html>Bad \u{FFFD}[2J Gateway</html>".into()
            }
        );
        let FetchError::Http { body, .. } = parse(500, &"x".repeat(5000)).unwrap_err() else {
            panic!()
        };
        assert_eq!(body.chars().count(), 200);
        assert_eq!(
            FetchError::Timeout(Duration::from_millis(800)).to_string(),
            "no answer within 800ms"
        );
        assert_eq!(
            FetchError::Connect("connection refused".into()).to_string(),
            "cannot connect: connection refused"
        );
        assert_eq!(
            FetchError::Decode("at [0]: missing field `status`".into()).to_string(),
            "unreadable answer: at [0]: missing field `status`"
        );
    }

    #[test]
    fn base_paths_keep_their_prefix() {
        for base in ["http://127.0.0.1:9093", "http://127.0.0.1:9093/"] {
            let c = Client::new(base.parse().unwrap(), Duration::from_secs(1)).unwrap();
            assert_eq!(c.alerts.as_str(), "http://127.0.0.1:9093/api/v2/alerts");
        }
        for base in ["http://127.0.0.1:9093/am", "http://127.0.0.1:9093/am/"] {
            let c = Client::new(base.parse().unwrap(), Duration::from_secs(1)).unwrap();
            assert_eq!(c.alerts.as_str(), "http://127.0.0.1:9093/am/api/v2/alerts");
        }
    }
}
