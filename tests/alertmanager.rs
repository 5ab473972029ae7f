//! The Alertmanager client and tracker against a real Alertmanager (Debian's
//! `prometheus-alertmanager` package), started on loopback by the harness in `common`. Alerts
//! and silences go in through Alertmanager's own API, as Prometheus and people would send
//! them; the client reads them back. When the binary is missing the harness installs the
//! package; if that fails the test fails (it never skips).
#![allow(clippy::too_many_lines, clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use warroom::config::{MatchOp, Matcher};
use warroom::core::record::{AlertState, Body, Milestone};
use warroom::core::severity::Severity;
use warroom::shell::alertmanager::{Alert, Client, FetchError, Tracker};

/// Matchers as the configuration file reads them.
fn matchers(written: &[&str]) -> Vec<Matcher> {
    parsed(written).unwrap()
}

/// The configuration's verdict on matchers written in its `[alertmanager]`.
fn parsed(written: &[&str]) -> Result<Vec<Matcher>, warroom::config::ConfigError> {
    let list = written
        .iter()
        .map(|m| format!("'{m}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"
[prometheus]
url = "http://127.0.0.1:9090"

[alertmanager]
url = "http://127.0.0.1:9093"
matchers = [{list}]

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "sum(rate(x[1m]))"
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10
"#
    );
    warroom::config::parse("warroom.toml", &text)
        .map(|c| c.alertmanager.map(|a| a.matchers).unwrap_or_default())
}

fn client(url: &str, timeout: Duration) -> Client {
    Client::new(url.parse().unwrap(), timeout).unwrap()
}

/// RFC 3339, `seconds` from now.
fn at(seconds: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
        .format(&Rfc3339)
        .unwrap()
}

/// `POST` to Alertmanager's API; the answer's JSON (`null` for an empty answer).
async fn post(base: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "POST {path}: {status}: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Polls until the list satisfies `done`; panics with the last list after 15 s.
async fn until(
    c: &Client,
    matchers: &[Matcher],
    what: &str,
    done: impl Fn(&[Alert]) -> bool,
) -> Vec<Alert> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(15);
    loop {
        let last = c.alerts(matchers).await;
        if let Ok(list) = &last {
            if done(list) {
                eprintln!("{what}: after {:?}", started.elapsed());
                return list.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 15 s; last answer {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn by_name<'a>(list: &'a [Alert], name: &str) -> &'a Alert {
    list.iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no {name} in {list:?}"))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_fire_are_silenced_and_resolve_once_each() {
    let am = common::start_alertmanager();
    let c = client(&am.url, Duration::from_secs(5));
    let wanted = matchers(&[
        r#"service="batch-patches""#,
        r#"severity=~"critical|warning""#,
    ]);
    let high = json!({
        "labels": {"alertname": "HighErrorRate", "service": "batch-patches", "severity": "critical"},
        "annotations": {"summary": "Error rate \u{1b}]0;pwned\u{7} above 10 %"},
    });
    let slow = json!({
        "labels": {"alertname": "SlowP99", "service": "batch-patches", "severity": "warning"},
        "annotations": {"description": "p99 above 800 ms"},
    });
    let other = json!({
        "labels": {"alertname": "DiskFull", "service": "billing", "severity": "critical"},
        "annotations": {"summary": "disk 95 % full"},
    });
    post(&am.url, "api/v2/alerts", &json!([high, slow, other])).await;

    // Every posted alert is there without filters; the matchers keep the two.
    until(&c, &[], "all three listed", |l| l.len() == 3).await;
    let listed = until(&c, &wanted, "the two batch-patches alerts", |l| {
        l.len() == 2
    })
    .await;
    let h = by_name(&listed, "HighErrorRate");
    let s = by_name(&listed, "SlowP99");
    assert_eq!(
        (h.severity, s.severity),
        (Severity::Critical, Severity::Warning)
    );
    let summary = h.summary.as_deref().unwrap();
    assert!(
        !summary.contains('\u{1b}') && !summary.contains('\u{7}'),
        "{summary:?}"
    );
    assert!(
        summary.starts_with("Error rate ") && summary.ends_with(" above 10 %"),
        "{summary:?}"
    );
    assert_eq!(
        s.summary.as_deref(),
        Some("p99 above 800 ms"),
        "the description stands in"
    );
    for a in [h, s] {
        assert_eq!(a.fingerprint.len(), 16, "{a:?}");
        assert!(
            a.fingerprint.chars().all(|c| c.is_ascii_hexdigit()),
            "{a:?}"
        );
        assert_eq!(a.labels["service"], "batch-patches");
        assert!(!a.silenced && !a.inhibited, "{a:?}");
        assert!(
            OffsetDateTime::parse(&a.starts_at, &Rfc3339).is_ok(),
            "{a:?}"
        );
    }
    assert_ne!(h.fingerprint, s.fingerprint);
    let (high_id, slow_id) = (
        format!("am:{}", h.fingerprint),
        format!("am:{}", s.fingerprint),
    );

    // Two alerts fire, once; the control plane that hears them opens the incident.
    let mut tracker = Tracker::new();
    let fired = tracker.update(&listed);
    let mut plane = Plane::new();
    assert_eq!(
        plane.hear(&fired),
        [(Milestone::Detected, "HighErrorRate firing".into())]
    );
    let mut want = vec![
        (high_id.clone(), AlertState::Firing),
        (slow_id.clone(), AlertState::Firing),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(states(&fired), want);
    assert!(fired.iter().any(|b| matches!(b,
        Body::Alert { name, severity: Severity::Critical, summary: Some(text), .. }
            if &**name == "HighErrorRate" && !text.contains('\u{1b}'))));
    assert!(tracker.update(&c.alerts(&wanted).await.unwrap()).is_empty());
    assert_eq!((tracker.firing(), tracker.critical()), (2, 1));

    // A silence on the critical one: listed as silenced, reported once as such.
    let silence = post(
        &am.url,
        "api/v2/silences",
        &json!({
            "matchers": [{"name": "alertname", "value": "HighErrorRate", "isRegex": false, "isEqual": true}],
            "startsAt": at(0),
            "endsAt": at(3600),
            "createdBy": "warroom tests",
            "comment": "known: patch rollout",
        }),
    )
    .await;
    assert!(silence["silenceID"].is_string(), "{silence}");
    let listed = until(&c, &wanted, "the silence applied", |l| {
        l.len() == 2 && l.iter().any(|a| a.name == "HighErrorRate" && a.silenced)
    })
    .await;
    assert!(!by_name(&listed, "SlowP99").silenced);
    let silenced = tracker.update(&listed);
    assert_eq!(states(&silenced), [(high_id.clone(), AlertState::Silenced)]);
    assert_eq!(
        plane.hear(&silenced),
        [(
            Milestone::Acknowledged,
            "HighErrorRate silenced in Alertmanager".into()
        )],
        "a silence is the acknowledgement"
    );
    assert!(tracker.update(&c.alerts(&wanted).await.unwrap()).is_empty());
    assert_eq!((tracker.firing(), tracker.critical()), (1, 0));

    // The warning ends (re-sent with an end in the past): it leaves the list, resolved once.
    let mut ended = slow.clone();
    ended["endsAt"] = json!(at(-60));
    post(&am.url, "api/v2/alerts", &json!([ended])).await;
    let listed = until(&c, &wanted, "the resolved alert gone", |l| l.len() == 1).await;
    assert_eq!(listed[0].name, "HighErrorRate");
    let resolved = tracker.update(&listed);
    assert_eq!(
        resolved,
        [Body::Alert {
            id: slow_id.into(),
            name: "SlowP99".into(),
            state: AlertState::Resolved,
            severity: Severity::Warning,
            summary: Some("p99 above 800 ms".into()),
        }]
    );
    assert!(
        plane.hear(&resolved).is_empty(),
        "a warning is not the incident"
    );
    assert!(tracker.update(&c.alerts(&wanted).await.unwrap()).is_empty());
    assert_eq!((tracker.firing(), tracker.critical()), (0, 0));

    // The critical one ends too: nothing critical is left, the incident is mitigated.
    let mut ended = high.clone();
    ended["endsAt"] = json!(at(-60));
    post(&am.url, "api/v2/alerts", &json!([ended])).await;
    until(&c, &wanted, "every alert gone", <[Alert]>::is_empty).await;
    let resolved = tracker.update(&[]);
    assert_eq!(states(&resolved), [(high_id, AlertState::Resolved)]);
    assert_eq!(
        plane.hear(&resolved),
        [(
            Milestone::Mitigated,
            "HighErrorRate resolved: no critical alert firing".into()
        )]
    );
}

/// A control plane's scenario on the Batch Patches plan, hearing Alertmanager as it polls
/// it: what it makes of the incident.
struct Plane {
    scenario: warroom::server::scenario::Scenario,
    at: i64,
}

impl Plane {
    fn new() -> Plane {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/batch-patches-wave3-rollback.jsonl"
        );
        let src = warroom::shell::fixtures::open(path).unwrap();
        let state = warroom::core::state::State::new(
            src.fixture().plan.clone(),
            warroom::core::source::SourceStatus {
                name: "test".into(),
                link: warroom::core::source::Link::Connected,
            },
            100,
        );
        Plane {
            scenario: warroom::server::scenario::Scenario::from_state(&state, 1, false),
            at: 0,
        }
    }

    /// The milestones the scenario marks on hearing `bodies`.
    fn hear(&mut self, bodies: &[Body]) -> Vec<(Milestone, String)> {
        self.at += 1;
        let t = warroom::core::time::Offset::from_secs(self.at);
        let records = bodies
            .iter()
            .map(|b| warroom::core::record::Record {
                t,
                source: Some(warroom::core::source::ALERTMANAGER.into()),
                body: b.clone(),
            })
            .collect();
        self.scenario
            .observe(records, t)
            .into_iter()
            .filter_map(|r| match r.body {
                Body::Incident {
                    milestone, text, ..
                } => Some((milestone, text.unwrap_or_default().to_string())),
                _ => None,
            })
            .collect()
    }
}

/// A matcher as it is sent, without the configuration's checks.
fn regex_matcher(value: &str) -> Matcher {
    Matcher {
        name: "severity".into(),
        op: MatchOp::Regex,
        value: value.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_the_server_refuses_comes_back_in_its_words() {
    let am = common::start_alertmanager();
    let c = client(&am.url, Duration::from_secs(5));
    // The configuration refuses this regex before any poll; sent anyway, the server's
    // refusal is what the client reports.
    let bad = vec![regex_matcher("(")];
    match c.alerts(&bad).await {
        Err(FetchError::Http { status: 400, body }) => {
            assert!(body.contains("error parsing regexp"), "{body}");
            assert!(!body.starts_with('"'), "the words, not their JSON: {body}");
        }
        other => panic!("{other:?}"),
    }
}

/// `warroom config check` judges a `=~` value as Alertmanager does: the regexes it refuses
/// are the ones the real server refuses, and the ones it lets through the server takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_refuses_the_regexes_alertmanager_refuses() {
    let am = common::start_alertmanager();
    let c = client(&am.url, Duration::from_secs(5));
    for value in [
        "critical|warning",
        "crit.*",
        "(?i)CRIT",
        r"\p{Greek}+",
        "a)(?:b",
        "(",
        "[",
        "a{2,1}",
        "*",
        "(?P<x",
    ] {
        let written = format!(r#"severity=~"{value}""#);
        let config = parsed(&[&written]).is_ok();
        let server = match c.alerts(&[regex_matcher(value)]).await {
            Ok(_) => true,
            Err(FetchError::Http { status: 400, .. }) => false,
            Err(other) => panic!("{value}: {other:?}"),
        };
        assert_eq!(
            config,
            server,
            "{value:?}: the config {} it, Alertmanager {} it",
            if config { "accepts" } else { "refuses" },
            if server { "accepts" } else { "refuses" }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_prefix_is_kept_with_or_without_the_slash() {
    let am = common::start_alertmanager_under("/am");
    assert!(am.url.ends_with("/am/"), "{}", am.url);
    post(
        &am.url,
        "api/v2/alerts",
        &json!([{"labels": {"alertname": "Prefixed"}}]),
    )
    .await;
    for url in [am.url.clone(), am.url.trim_end_matches('/').to_string()] {
        let c = client(&url, Duration::from_secs(5));
        let listed = until(&c, &[], &format!("listed through {url}"), |l| l.len() == 1).await;
        assert_eq!(listed[0].name, "Prefixed");
        assert_eq!(listed[0].severity, Severity::Info);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_and_hanging_servers_are_errors_not_waits() {
    // Nothing listening.
    let port = common::free_port();
    let err = client(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(2))
        .alerts(&[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Connect(_)), "{err:?}");
    // Accepts, then never answers: the client's own timeout ends it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let err = client(&format!("http://{addr}/"), Duration::from_millis(800))
        .alerts(&[])
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout(Duration::from_millis(800)));
    assert!(started.elapsed() < Duration::from_secs(3));
}
