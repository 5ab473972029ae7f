//! The console's metric and alert sources against the real Debian `prometheus` and
//! `prometheus-alertmanager`: history written with `promtool tsdb create-blocks-from
//! openmetrics`, `PromQL` with known answers (several series, empty, NaN, errors), burn rates
//! from that history, alerts, and a Prometheus killed mid-run and started again.
#![allow(clippy::too_many_lines, clippy::unwrap_used, clippy::panic)]

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use warroom::config::{self, Config};
use warroom::core::app::App;
use warroom::core::input::{Input, PlaneMsg};
use warroom::core::plan::Plan;
use warroom::core::playback::Mode;
use warroom::core::record::{Body, Record};
use warroom::core::slo::Band;
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, State};
use warroom::core::wave::WaveStatus;
use warroom::shell::metrics_poll;
use warroom::shell::prometheus::Client;

fn unix_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A state on the Batch Patches plan overlaid with `config`, its first wave active, its
/// clock at the wall clock.
fn state_for(config: &Config) -> State {
    let src =
        warroom::shell::fixtures::open("fixtures/batch-patches-wave3-rollback.jsonl").unwrap();
    let plan = src.fixture().plan.spec.clone();
    let (overlaid, notes) = config.overlay().apply(&plan);
    assert!(notes.is_empty(), "{notes:?}");
    let resolved = Arc::new(Plan::new(overlaid).unwrap());
    let mut state = State::new(
        resolved.clone(),
        SourceStatus {
            name: Arc::from("control-plane"),
            link: Link::Connected,
        },
        1000,
    );
    let now = resolved.spec.t0.offset_of_unix_ms(unix_ms());
    state.apply(Event::Clock(now));
    state.apply(Event::Record(Record {
        t: now,
        source: None,
        body: Body::Wave {
            wave: 0,
            state: WaveStatus::Active,
            traffic: None,
            by: None,
            text: None,
        },
    }));
    state
}

/// Starts the sources of `config`; their reports arrive on the receiver.
fn start(config: Config) -> (mpsc::Receiver<Input>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Input>(256);
    let client = Client::new(
        config.prometheus.url.clone(),
        None,
        config.prometheus.timeout.as_duration(),
    )
    .unwrap();
    let task = tokio::spawn(metrics_poll::run(Arc::new(config), client, tx));
    (rx, task)
}

/// Applies reports to `state` until `done` holds or `limit` passes; the state's clock
/// follows the wall clock.
/// Each report goes through the console's reducer, as it does in `warroom connect`.
async fn pump(
    rx: &mut mpsc::Receiver<Input>,
    state: &Arc<Mutex<State>>,
    limit: Duration,
    done: impl Fn(&State) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let input = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
        let mut s = state.lock().unwrap();
        let mut app = App::new(s.clone(), Mode::Live);
        let now = app.state.plan.spec.t0.offset_of_unix_ms(unix_ms());
        app.apply(Input::ControlPlane(PlaneMsg::Clock(now)));
        if let Ok(Some(i @ Input::Metrics(_))) = input {
            app.apply(i);
        }
        *s = app.state;
        if done(&s) {
            return true;
        }
    }
    false
}

/// Three hours of history at one sample a minute, ending a minute ago: version "a" fails
/// 20 % of requests, version "b" 0.1 %.
fn write_history(dir: &std::path::Path) -> std::path::PathBuf {
    let end = unix_ms() / 1000 - 60;
    let mut om = String::from(
        "# HELP warroom_test_error_ratio Share of failed requests.\n# TYPE warroom_test_error_ratio gauge\n",
    );
    for k in (0..=180).rev() {
        let t = end - k * 60;
        let _ = write!(
            om,
            "warroom_test_error_ratio{{version=\"a\"}} 0.2 {t}\nwarroom_test_error_ratio{{version=\"b\"}} 0.001 {t}\n"
        );
    }
    om.push_str("# EOF\n");
    let file = dir.join("history.om");
    std::fs::write(&file, om).unwrap();
    let data = dir.join("data");
    let promtool = common::ensure("promtool", "prometheus");
    let out = std::process::Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

fn config_text(prom: &str, am: Option<&str>) -> String {
    let mut s = format!(
        r#"
[prometheus]
url = "{prom}"
interval = "1s"
timeout = "3s"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = '100 * warroom_test_error_ratio{{version="a"}}'
unit = "%"
direction = "lower"
target = 1
warning = 5
critical = 10
triggers = [{{ above = 10, for = "3s" }}]
objective = 0.99
period = "30d"

[[slo]]
id = "by_version"
name = "Errors"
query = '100 * warroom_test_error_ratio'
unit = "%"
direction = "lower"
target = 1
warning = 5
critical = 10
series = "each"

[[slo]]
id = "p95_latency"
name = "Nothing here"
query = 'warroom_no_such_metric'
unit = "ms"
direction = "lower"
target = 1
warning = 2
critical = 3

[[slo]]
id = "broken"
name = "Broken"
query = 'rate('
unit = "ms"
direction = "lower"
target = 1
warning = 2
critical = 3

[[slo]]
id = "nan"
name = "Zero by zero"
query = 'vector(0) / 0'
unit = "%"
direction = "lower"
target = 1
warning = 2
critical = 3

[[slo]]
id = "both"
name = "Two series"
query = 'warroom_test_error_ratio'
unit = ""
direction = "lower"
target = 1
warning = 2
critical = 3

[gates]
w1 = ["error_rate"]
"#
    );
    if let Some(am) = am {
        let _ = write!(
            s,
            "\n[alertmanager]\nurl = \"{am}\"\nmatchers = ['service=\"batch-patches\"']\n"
        );
    }
    s
}

async fn post_alert(am: &str, name: &str, service: &str, ends: Option<&str>) {
    let mut alert = serde_json::json!({
        "labels": {"alertname": name, "service": service, "severity": "critical"},
        "annotations": {"summary": format!("{name} \u{1b}]0;pwned\u{7} on {service}")},
    });
    if let Some(e) = ends {
        alert["endsAt"] = serde_json::Value::from(e);
    }
    let r = reqwest::Client::new()
        .post(format!("{am}api/v2/alerts"))
        .json(&serde_json::json!([alert]))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_known_answers_burn_rates_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_history(dir.path());
    let prom = common::start_prometheus_with(
        "127.0.0.1:9".parse().unwrap(),
        &[
            format!("--storage.tsdb.path={}", data.display()),
            "--storage.tsdb.retention.time=100y".into(),
        ],
    );
    let am = common::start_alertmanager();
    post_alert(&am.url, "HighErrorRate", "batch-patches", None).await;
    post_alert(&am.url, "Elsewhere", "billing", None).await;
    let config = config::parse("test.toml", &config_text(&prom.url, Some(&am.url))).unwrap();
    let state = Arc::new(Mutex::new(state_for(&config)));
    let ready = |s: &State| {
        let Some(i) = s.plan.slo("error_rate") else {
            return false;
        };
        s.slos[i].history.len() >= 100
            && s.slos[i].burn.as_ref().is_some_and(|b| b.firing.is_some())
            && s.trigger_fires > 0
            && s.plan.spec.slos.len() >= 7
            && s.firing(warroom::core::severity::Severity::Critical) == 1
            && ["broken", "both"]
                .iter()
                .all(|id| s.plan.slo(id).is_some_and(|i| s.slos[i].error.is_some()))
    };
    let (mut rx, task) = start(config);
    let ok = pump(&mut rx, &state, Duration::from_secs(60), ready).await;
    {
        let s = state.lock().unwrap();
        let slo = |id: &str| {
            let i = s.plan.slo(id).unwrap_or_else(|| panic!("no gauge {id}"));
            (&s.plan.spec.slos[i], &s.slos[i])
        };
        assert!(ok, "not ready within 60 s: {:#?}", s.slos);
        // History: the sparkline is full from the range queries, the value is 20 %.
        let (_, er) = slo("error_rate");
        assert_eq!(er.last.unwrap().value, Some(20.0));
        assert_eq!(er.band(), Band::Crit);
        // Burn: 20 % errors against a 1 % budget is 20× over both page windows; three hours of
        // it spent 20 × 3 h / 720 h = 8.3 % of the 30-day budget.
        let b = er.burn.as_deref().unwrap();
        assert!(b.pages(), "{b:?}");
        let close =
            |x: Option<f64>, want: f64, tol: f64| x.is_some_and(|v| (v - want).abs() <= tol);
        assert!(close(b.long, 20.0, 0.2), "1h burn {:?}", b.long);
        assert!(close(b.short, 20.0, 0.2), "5m burn {:?}", b.short);
        assert!(
            close(b.remaining, 1.0 - 20.0 * 3.0 / 720.0, 0.01),
            "{:?}",
            b.remaining
        );
        // The burn gate and the SLO gate both block the next wave, with their reasons.
        let gates = s.next_gates();
        let why: Vec<String> = gates.iter().filter_map(|g| g.why.clone()).collect();
        assert!(
            why.iter()
                .any(|w| w.contains("budget burning at PAGE level")),
            "{why:?}"
        );
        assert!(why.iter().any(|w| w == "Error Rate CRIT"), "{why:?}");
        assert!(
            why.iter().any(|w| w == "1 crit alert firing"),
            "the alert gate: {why:?}"
        );
        // The trigger fired on sample time.
        let lines: Vec<String> = (0..s.timeline.len())
            .filter_map(|i| s.timeline.get(i))
            .map(|e| e.text().to_string())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("ROLLBACK TRIGGER FIRED: Error Rate above 10% for 3s")),
            "{lines:#?}"
        );
        // Several series, one gauge each.
        assert_eq!(
            slo("by_version{version=a}").1.last.unwrap().value,
            Some(20.0)
        );
        assert_eq!(
            slo("by_version{version=b}").1.last.unwrap().value,
            Some(0.1)
        );
        assert_eq!(slo("by_version{version=b}").0.name, "Errors b");
        // Empty is no data, NaN is no data, never PASS.
        for id in ["p95_latency", "nan"] {
            let (_, st) = slo(id);
            assert_eq!(st.band(), Band::NoData, "{id}");
            assert!(st.last.is_some_and(|l| l.value.is_none()), "{id}");
        }
        // Errors in the server's own words, on the gauge and in the header's source status.
        let (_, broken) = slo("broken");
        assert!(
            broken
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("bad_data: ") && e.contains("parse error")),
            "{:?}",
            broken.error
        );
        let (_, both) = slo("both");
        assert!(
            both.error
                .as_deref()
                .is_some_and(|e| e.starts_with("2 series where one was expected")),
            "{:?}",
            both.error
        );
        let prom_status = s
            .upstreams
            .iter()
            .find(|u| &*u.name == "prometheus")
            .unwrap();
        assert!(
            matches!(&prom_status.link, Link::Down { reason, .. } if reason.starts_with("2 of 6 queries failing")),
            "{prom_status:?}"
        );
        // The alert that matches, sanitised; the other service's is not listed.
        assert!(
            lines.iter().any(
                |l| l.starts_with("HighErrorRate FIRING (crit): HighErrorRate")
                    && !l.contains('\u{1b}')
            ),
            "{lines:#?}"
        );
        assert!(!lines.iter().any(|l| l.contains("Elsewhere")));
    }

    // Resolved in Alertmanager: out of the header and onto the timeline once.
    post_alert(
        &am.url,
        "HighErrorRate",
        "batch-patches",
        Some("2020-01-01T00:00:00Z"),
    )
    .await;
    let resolved = |s: &State| s.firing(warroom::core::severity::Severity::Critical) == 0;
    assert!(pump(&mut rx, &state, Duration::from_secs(30), resolved).await);
    task.abort();
    let s = state.lock().unwrap();
    let n = (0..s.timeline.len())
        .filter_map(|i| s.timeline.get(i))
        .filter(|e| e.text().starts_with("HighErrorRate resolved"))
        .count();
    assert_eq!(n, 1);
}

/// A TCP relay to whichever address `target` holds: the console keeps one Prometheus URL
/// while the server behind it is killed and started again on another port.
async fn relay(target: Arc<Mutex<std::net::SocketAddr>>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let to = *target.lock().unwrap();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    addr
}

fn addr_of(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_prometheus_goes_stale_and_recovers() {
    use warroom::server::net::{self, ControlPlane, Tokens};
    use warroom::server::scenario::Scenario;
    let plane = ControlPlane::new(Scenario::batch_patches_demo(4), 5.0, Tokens::default());
    let (target, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane)
        .await
        .unwrap();
    tokio::spawn(serving);
    let dir = tempfile::tempdir().unwrap();
    let storage = [format!(
        "--storage.tsdb.path={}",
        dir.path().join("data").display()
    )];
    let prom = common::start_prometheus_with(target, &storage);
    let behind = Arc::new(Mutex::new(addr_of(&prom.url)));
    let front = relay(behind.clone()).await;
    let text = format!(
        r#"
[prometheus]
url = "http://{front}/"
interval = "1s"
timeout = "1s"

[[slo]]
id = "error_rate"
name = "Traffic shares"
query = 'sum(warroom_traffic_share)'
unit = ""
direction = "lower"
target = 2
warning = 3
critical = 4
"#
    );
    let config = config::parse("test.toml", &text).unwrap();
    let state = Arc::new(Mutex::new(state_for(&config)));
    let (mut rx, task) = start(config);
    let healthy = |s: &State| {
        s.slos[0].band() == Band::Pass
            && s.slos[0].error.is_none()
            && s.upstreams
                .iter()
                .any(|u| &*u.name == "prometheus" && u.link == Link::Connected)
    };
    // Wait on the data (the first scrape comes a few seconds in), not on readiness.
    assert!(
        pump(&mut rx, &state, Duration::from_secs(60), healthy).await,
        "no data within 60 s: {:?}",
        state.lock().unwrap().slos[0]
    );
    assert!(
        (state.lock().unwrap().slos[0].last.unwrap().value.unwrap() - 1.0).abs() < 1e-9,
        "the traffic shares add up to 1"
    );

    drop(prom); // killed
    let down = |s: &State| {
        s.slos[0].stale
            && s.slos[0].band() == Band::NoData
            && s.slos[0].error.is_some()
            && s.upstreams
                .iter()
                .any(|u| &*u.name == "prometheus" && matches!(u.link, Link::Down { .. }))
    };
    let killed_at = Instant::now();
    assert!(
        pump(&mut rx, &state, Duration::from_secs(20), down).await,
        "not stale within 20 s of the kill: {:?} {:?}",
        state.lock().unwrap().slos[0],
        state.lock().unwrap().upstreams
    );
    // Stale after two missed 1 s intervals, give or take one poll and one timeout.
    assert!(
        killed_at.elapsed() < Duration::from_secs(6),
        "{:?}",
        killed_at.elapsed()
    );

    let prom = common::start_prometheus_with(target, &storage);
    *behind.lock().unwrap() = addr_of(&prom.url);
    assert!(
        pump(&mut rx, &state, Duration::from_secs(60), healthy).await,
        "no recovery within 60 s of the restart: {:?}",
        state.lock().unwrap().slos[0]
    );
    let s = state.lock().unwrap();
    let lines: Vec<String> = (0..s.timeline.len())
        .filter_map(|i| s.timeline.get(i))
        .map(|e| e.text().to_string())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("prometheus: failing: 1 of 1 queries failing")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Traffic shares: no data since")),
        "{lines:#?}"
    );
    task.abort();
}
