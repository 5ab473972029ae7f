//! The Unleash actuator against a real Unleash 8.2.0 with its own Postgres, started on
//! loopback by the harness in `common::unleash` (installed by `scripts/unleash-deps.sh` on
//! first use; if that fails the tests fail, they never skip). What the actuator did is read
//! back through Unleash's own admin API, not through the actuator.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::unleash::{shared_unleash, start_unleash_beside, UnleashServer, ADMIN_TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warroom::core::command::Verb;
use warroom::server::scenario::{Actuated, Actuation};
use warroom::shell::actuator::unleash::Unleash;
use warroom::shell::actuator::Outside;

const FLAG: &str = "batch-patches-v1";
/// Per request, for the tests' own calls and the actuator's (a loaded machine is slow).
const TIMEOUT: Duration = Duration::from_secs(20);

/// One admin API call with `token`: the status and the answer's JSON (`null` if empty).
async fn api(
    server: &UnleashServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", server.url))
        .header("Authorization", token)
        .timeout(TIMEOUT);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status();
    let text = resp
        .text()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn env_path(flag: &str) -> String {
    format!("api/admin/projects/default/features/{flag}/environments/production")
}

async fn create_flag(server: &UnleashServer, flag: &str) {
    let (status, body) = api(
        server,
        ADMIN_TOKEN,
        Method::POST,
        "api/admin/projects/default/features",
        Some(json!({"name": flag, "type": "release"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "creating {flag}: {body}");
}

/// The flag in production as Unleash's API reads it: enabled, and the gradual rollouts'
/// percentages.
async fn read_back(server: &UnleashServer, flag: &str) -> (bool, Vec<String>) {
    let (status, v) = api(server, ADMIN_TOKEN, Method::GET, &env_path(flag), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let rollouts = v["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "flexibleRollout")
        .map(|s| s["parameters"]["rollout"].as_str().unwrap().to_string())
        .collect();
    (v["enabled"].as_bool().unwrap(), rollouts)
}

fn actuator(server: &UnleashServer, flag: &str, timeout: Duration) -> Unleash {
    Unleash::new(
        server.url.parse().unwrap(),
        ADMIN_TOKEN.to_string(),
        "default".into(),
        "production".into(),
        flag.into(),
        timeout,
    )
    .unwrap()
}

fn act(verb: Verb, traffic: f64, previous: f64, complete: bool) -> Actuation {
    Actuation {
        id: format!("cmd-{}-{traffic}", verb.word()).into(),
        verb,
        rollout: "batch-patches".into(),
        wave: Some(("w".into(), "wave".into())),
        traffic,
        previous_traffic: previous,
        actor: "carol".into(),
        reason: None,
        complete,
    }
}

fn applied(answer: Actuated) -> String {
    match answer {
        Actuated::Applied { output } => output,
        other => panic!("expected applied, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advances_to_10_then_25_and_rolls_back_read_back_from_unleash() {
    let server = shared_unleash();
    create_flag(&server, FLAG).await;
    let u = actuator(&server, FLAG, TIMEOUT);

    let out = applied(u.actuate(&act(Verb::Advance, 10.0, 0.0, false)).await);
    assert_eq!(out, "batch-patches-v1 production: on, rollout 10%");
    assert_eq!(read_back(&server, FLAG).await, (true, vec!["10".into()]));

    let out = applied(u.actuate(&act(Verb::Advance, 25.0, 10.0, false)).await);
    assert_eq!(out, "batch-patches-v1 production: on, rollout 25%");
    assert_eq!(
        read_back(&server, FLAG).await,
        (true, vec!["25".into()]),
        "the strategy is updated, not added again"
    );

    // The last wave completes: it stays at its traffic, on.
    let out = applied(u.actuate(&act(Verb::Advance, 25.0, 25.0, true)).await);
    assert_eq!(
        out,
        "batch-patches-v1 production: on, rollout 25%, complete"
    );
    assert_eq!(read_back(&server, FLAG).await, (true, vec!["25".into()]));

    // Pause and resume change nothing in Unleash.
    applied(u.actuate(&act(Verb::Pause, 25.0, 25.0, false)).await);
    assert_eq!(read_back(&server, FLAG).await, (true, vec!["25".into()]));

    let out = applied(u.actuate(&act(Verb::Rollback, 0.0, 25.0, false)).await);
    assert_eq!(out, "batch-patches-v1 production: off (rollout 25% kept)");
    assert_eq!(read_back(&server, FLAG).await, (false, vec!["25".into()]));
    let out = applied(u.actuate(&act(Verb::Rollback, 0.0, 0.0, false)).await);
    assert_eq!(
        out,
        "batch-patches-v1 production: off already (rollout 25% kept)"
    );

    // Advancing again after a rollback turns it back on.
    applied(u.actuate(&act(Verb::Advance, 50.0, 0.0, false)).await);
    assert_eq!(read_back(&server, FLAG).await, (true, vec!["50".into()]));
}

/// Creates user `alice` and returns a personal access token of hers, made after logging in
/// as her (Unleash OSS has no other way to act as a named person through the API).
async fn alice_token(server: &UnleashServer) -> String {
    person_token(server, "alice", "Alice Operator", "alice@example.com").await
}

/// Creates user `username` and returns a personal access token of theirs.
async fn person_token(server: &UnleashServer, username: &str, name: &str, email: &str) -> String {
    let (status, user) = api(
        server,
        ADMIN_TOKEN,
        Method::POST,
        "api/admin/user-admin",
        Some(json!({"username": username, "name": name,
                    "email": email, "rootRole": 1, "sendEmail": false})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_u64().unwrap();
    let password = "War-room-pw1";
    let (status, body) = api(
        server,
        ADMIN_TOKEN,
        Method::POST,
        &format!("api/admin/user-admin/{id}/change-password"),
        Some(json!({ "password": password })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}auth/simple/login", server.url))
        .json(&json!({"username": username, "password": password}))
        .timeout(TIMEOUT)
        .send()
        .await
        .unwrap_or_else(|e| panic!("logging in as {username}: {e}"));
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    // On a loaded machine Unleash has answered the first request with a fresh session's
    // cookie 401 (the session not taken yet), so ask a few times.
    let mut made = None;
    for _ in 0..10 {
        let answer = http
            .post(format!("{}api/admin/user/tokens", server.url))
            .header(reqwest::header::COOKIE, &cookie)
            .json(&json!({"description": "alice at the console",
                          "expiresAt": "2099-12-31T00:00:00Z"}))
            .timeout(TIMEOUT)
            .send()
            .await
            .unwrap_or_else(|e| panic!("making {username}'s token: {e}"));
        if answer.status() != StatusCode::UNAUTHORIZED {
            made = Some(answer);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let made = made.expect("the session is taken within 3 s");
    assert_eq!(made.status(), StatusCode::CREATED);
    let v: Value = made.json().await.unwrap();
    v["secret"].as_str().unwrap().to_string()
}

/// Sets the flag's gradual rollout to `pct` with `token`, as a person would through the API.
async fn set_rollout(server: &UnleashServer, flag: &str, token: &str, pct: &str) {
    let (_, env) = api(server, ADMIN_TOKEN, Method::GET, &env_path(flag), None).await;
    let sid = env["strategies"][0]["id"].as_str().unwrap();
    let (status, body) = api(
        server,
        token,
        Method::PATCH,
        &format!("{}/strategies/{sid}", env_path(flag)),
        Some(json!([{"op": "replace", "path": "/parameters/rollout", "value": pct}])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_changes_made_outside_warroom_with_who_made_them_and_not_its_own() {
    const FLAG: &str = "outside-v1";
    let server = shared_unleash();
    create_flag(&server, FLAG).await;
    let u = actuator(&server, FLAG, TIMEOUT);
    // The first read only sets the starting point: the flag's creation is not news.
    assert_eq!(u.outside_changes().await.unwrap(), vec![]);
    applied(u.actuate(&act(Verb::Advance, 10.0, 0.0, false)).await);
    assert_eq!(
        u.outside_changes().await.unwrap(),
        vec![],
        "warroom's own writes are not outside changes"
    );

    let alice = alice_token(&server).await;
    set_rollout(&server, FLAG, &alice, "40").await;
    // Warroom acts again (it re-reads first: 40 → 25), then alice disables the flag.
    applied(u.actuate(&act(Verb::Advance, 25.0, 10.0, false)).await);
    let (status, body) = api(
        &server,
        &alice,
        Method::POST,
        &format!("{}/off", env_path(FLAG)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = u.outside_changes().await.unwrap();
    let by = seen[0].by.clone().unwrap();
    assert!(by.contains("alice"), "{seen:?}");
    assert_eq!(
        seen,
        vec![
            Outside {
                by: Some(by.clone()),
                text: "rollout 10% → 40% in production".into()
            },
            Outside {
                by: Some(by),
                text: "disabled in production".into()
            },
        ]
    );
    assert_eq!(
        u.outside_changes().await.unwrap(),
        vec![],
        "each change once"
    );

    // A person with the same admin token as warroom is still told apart: by event id.
    set_rollout(&server, FLAG, ADMIN_TOKEN, "30").await;
    applied(u.actuate(&act(Verb::Advance, 50.0, 25.0, false)).await);
    assert_eq!(
        u.outside_changes().await.unwrap(),
        vec![Outside {
            by: Some("admin".into()),
            text: "rollout 25% → 30% in production".into()
        }]
    );
    assert_eq!(read_back(&server, FLAG).await, (true, vec!["50".into()]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_that_does_not_exist_fails_in_unleash_s_words() {
    const FLAG: &str = "refused-v1";
    let server = shared_unleash();
    let u = actuator(&server, "no-such-flag", TIMEOUT);
    for verb in [Verb::Advance, Verb::Rollback] {
        match u.actuate(&act(verb, 10.0, 0.0, false)).await {
            Actuated::Failed { reason } => {
                assert!(
                    reason.contains("no feature named \"no-such-flag\"") && reason.contains("404"),
                    "{reason}"
                );
                assert!(reason.len() < 200, "{reason}");
            }
            other => panic!("{verb:?}: {other:?}"),
        }
    }
    // A flag in another environment than there is.
    create_flag(&server, FLAG).await;
    let elsewhere = Unleash::new(
        server.url.parse().unwrap(),
        ADMIN_TOKEN.to_string(),
        "default".into(),
        "nowhere".into(),
        FLAG.into(),
        TIMEOUT,
    )
    .unwrap();
    let answer = elsewhere
        .actuate(&act(Verb::Advance, 10.0, 0.0, false))
        .await;
    assert!(
        matches!(&answer, Actuated::Failed { reason } if reason.contains("404")),
        "{answer:?}"
    );
    // A wrong token is refused in Unleash's words too.
    let wrong = Unleash::new(
        server.url.parse().unwrap(),
        "*:*.wrong".into(),
        "default".into(),
        "production".into(),
        FLAG.into(),
        TIMEOUT,
    )
    .unwrap();
    let answer = wrong.actuate(&act(Verb::Advance, 10.0, 0.0, false)).await;
    assert!(
        matches!(&answer, Actuated::Failed { reason } if reason.contains("401")),
        "{answer:?}"
    );
    assert!(wrong.outside_changes().await.unwrap_err().contains("401"));
    assert_eq!(read_back(&server, FLAG).await, (false, vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unleash_that_hangs_or_dies_fails_in_time_and_never_hangs() {
    const FLAG: &str = "hang-v1";
    // An Unleash of its own, beside the shared one on the same database.
    let shared = shared_unleash();
    let mut server = start_unleash_beside(&shared);
    create_flag(&server, FLAG).await;
    applied(
        actuator(&server, FLAG, TIMEOUT)
            .actuate(&act(Verb::Advance, 10.0, 0.0, false))
            .await,
    );
    let u = actuator(&server, FLAG, Duration::from_secs(1));

    // Frozen: connections are taken, nothing answers. The first read times out before any
    // write, so nothing changed.
    server.freeze();
    let t = Instant::now();
    let answer = u.actuate(&act(Verb::Advance, 25.0, 10.0, false)).await;
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    match &answer {
        Actuated::Failed { reason } | Actuated::Unknown { reason } => {
            assert!(reason.contains("within 1s"), "{reason}");
        }
        Actuated::Applied { .. } => panic!("{answer:?}"),
    }
    let t = Instant::now();
    assert!(u.outside_changes().await.is_err());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // Dead: the connection is refused before any write.
    server.kill();
    let t = Instant::now();
    let answer = u.actuate(&act(Verb::Rollback, 0.0, 10.0, false)).await;
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        matches!(&answer, Actuated::Failed { reason } if reason.contains("cannot connect")),
        "{answer:?}"
    );
}

/// A stand-in for Unleash on loopback that answers reads (a flag at 10 %, off, no events) but
/// takes writes and never answers them: whether they happened is not known.
async fn swallowing_writes() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = conn.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let body = if head.starts_with("GET /api/admin/search/events") {
                    json!({"events": [], "total": 0})
                } else if head.starts_with("GET ") {
                    json!({"name": FLAG, "environment": "production", "enabled": false,
                           "strategies": [{"id": "s1", "name": "flexibleRollout",
                                           "parameters": {"rollout": "10"}}]})
                } else {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                };
                let body = body.to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_an_answer_is_unknown() {
    let addr = swallowing_writes().await;
    let u = Unleash::new(
        format!("http://{addr}").parse().unwrap(),
        ADMIN_TOKEN.to_string(),
        "default".into(),
        "production".into(),
        FLAG.into(),
        Duration::from_millis(500),
    )
    .unwrap();
    let t = Instant::now();
    let answer = u.actuate(&act(Verb::Advance, 25.0, 10.0, false)).await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(
        matches!(&answer, Actuated::Unknown { reason } if reason.contains("may or may not")),
        "{answer:?}"
    );
}

/// The whole path with real parts: a plan conducted by the control plane against this Unleash,
/// its SLO polled from a real Prometheus, a console over a real web socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_rollout_is_conducted_against_unleash_for_the_room() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use warroom::core::command::{Action, Role};
    use warroom::core::record::Body;
    use warroom::core::wave::WaveStatus;
    use warroom::server::scenario::{ACTUATOR, CONDUCTOR};

    const CONDUCTED: &str = "bp-conducted";
    let server = shared_unleash();
    create_flag(&server, CONDUCTED).await;
    let errors = Arc::new(AtomicU64::new(5)); // 0.5 %
    let scraped = common::serve_gauge("bp_error_ratio", errors.clone()).await;
    let prom = common::start_prometheus(scraped);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("unleash-token");
    std::fs::write(&token_file, ADMIN_TOKEN).unwrap();
    let plan = conducted_plan(&prom.url, &server.url, &token_file, CONDUCTED);
    let file = warroom::config::plan_file::parse("batch-patches.toml", &plan, dir.path()).unwrap();
    let conducted = common::conduct(&file, "127.0.0.1:0".parse().unwrap()).await;
    let mut c = common::console::Console::connect(&conducted.url, Role::Commander, None);
    // Healthy: the conductor starts wave 1, and after its 2-second bake moves to 25 %.
    c.until(60, "wave 2 active", |c| {
        c.app.state.current_wave() == Some(1)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while read_back(&server, CONDUCTED).await != (true, vec!["25".to_string()]) {
        assert!(Instant::now() < deadline, "Unleash never read 25%");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let advances: Vec<_> = c
        .app
        .state
        .commands
        .iter()
        .filter(|k| k.action == Action::Advance && k.by.as_deref() == Some(CONDUCTOR))
        .collect();
    assert_eq!(
        advances.len(),
        2,
        "start and 10% → 25%, both by the conductor"
    );
    // Someone changes the percentage in Unleash by hand: the room sees who and what.
    let dana = person_token(&server, "dana", "Dana Oncall", "dana@example.com").await;
    set_rollout(&server, CONDUCTED, &dana, "40").await;
    c.until(20, "the outside change on the timeline", |c| {
        c.seen.iter().any(|(_, r)| {
            r.source.as_deref() == Some(ACTUATOR)
                && matches!(&r.body, Body::Note { by: Some(by), text }
                    if by.contains("dana") && text.contains("25% → 40%"))
        })
    })
    .await;
    // The error rate jumps: the trigger's rollback disables the flag in Unleash.
    errors.store(120, Ordering::SeqCst);
    c.until(40, "the rollback", |c| {
        c.app.state.waves[1].status == WaveStatus::RolledBack
    })
    .await;
    c.conductor_rollback("Error rate above 5% for 2s");
    let (enabled, _) = read_back(&server, CONDUCTED).await;
    assert!(!enabled, "the rollback disabled the flag in Unleash");
    // warroom's own writes are not reported as outside changes.
    let outside: Vec<String> = c
        .seen
        .iter()
        .filter_map(|(_, r)| match (&r.body, r.source.as_deref()) {
            (Body::Note { by, text }, Some(ACTUATOR)) => Some(format!("{by:?} {text}")),
            _ => None,
        })
        .collect();
    assert_eq!(outside.len(), 1, "{outside:?}");
}

/// Batch Patches on this Unleash: wave 1 auto on its SLO gate, then manual waves; a rollback
/// trigger on the error rate.
fn conducted_plan(prom: &str, unleash: &str, token_file: &std::path::Path, flag: &str) -> String {
    format!(
        r#"
[rollout]
id = "batch-patches"
service = "batch-patches"
from = "v0.9"
to = "v1.0.0"
strategy = "canary"

[[wave]]
id = "w1"
name = "10% of nodes"
traffic = 10
bake = "2s"
approval = "auto"
gates = [{{ slo = "error_rate" }}]

[[wave]]
id = "w2"
name = "25% of nodes"
traffic = 25
bake = "1h"
approval = "manual"

[[wave]]
id = "w3"
name = "All nodes"
traffic = 100
bake = "1h"
approval = "manual"

[prometheus]
url = "{prom}"
interval = "1s"
timeout = "2s"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "100 * max(bp_error_ratio)"
unit = "%"
direction = "lower"
target = 1
warning = 2
critical = 5

[[trigger]]
label = "Error rate above 5% for 2s"
slo = "error_rate"
above = 5
for = "2s"
policy = "rollback"

[actuator]
kind = "unleash"
url = "{unleash}"
token_file = "{token}"
project = "default"
environment = "production"
feature = "{flag}"
poll = "1s"
timeout = "20s"
"#,
        token = token_file.display(),
    )
}

/// After a restart that cut off an actuation, the control plane reads the flag back before
/// anything is called again: an advance or rollback already made reads as done, one not
/// made as not done (and only then is it carried out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_reads_the_flag_back_for_an_actuation_cut_off_by_a_crash() {
    use warroom::shell::actuator::Observed;
    let server = shared_unleash();
    let flag = "journal-observe";
    create_flag(&server, flag).await;
    let u = actuator(&server, flag, TIMEOUT);
    let advance = act(Verb::Advance, 10.0, 0.0, false);
    assert_eq!(
        u.observe(&advance).await,
        Observed::NotDone,
        "not advanced yet"
    );
    applied(u.actuate(&advance).await);
    let Observed::Done { output } = u.observe(&advance).await else {
        panic!("the advance reads back as done");
    };
    assert_eq!(
        output,
        "read back from Unleash: journal-observe production: on, rollout 10%"
    );
    // The next wave's advance is not made by the one before it.
    assert_eq!(
        u.observe(&act(Verb::Advance, 25.0, 10.0, false)).await,
        Observed::NotDone
    );
    let rollback = act(Verb::Rollback, 0.0, 10.0, false);
    assert_eq!(u.observe(&rollback).await, Observed::NotDone, "still on");
    applied(u.actuate(&rollback).await);
    assert!(matches!(u.observe(&rollback).await, Observed::Done { .. }));
    // Unleash down: it cannot tell, and says why.
    let gone = Unleash::new(
        "http://127.0.0.1:9".parse().unwrap(),
        ADMIN_TOKEN.to_string(),
        "default".into(),
        "production".into(),
        flag.into(),
        Duration::from_secs(2),
    )
    .unwrap();
    let Observed::Cannot { reason } = gone.observe(&rollback).await else {
        panic!("unreachable Unleash cannot tell");
    };
    assert!(reason.contains("reading the flag back"), "{reason}");
}

/// The real `warroom serve` conducting through this Unleash, made to abort between asking
/// Unleash and hearing back (and, in the other case, just before asking): started again on
/// its journal, it reads the flag back and never writes it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conductor_crashed_around_an_unleash_write_reads_the_flag_back_once_restarted() {
    let server = shared_unleash();
    for (crash, flag) in [
        ("result", "journal-crash-result"),
        ("intent", "journal-crash-intent"),
    ] {
        create_flag(&server, flag).await;
        let dir = tempfile::tempdir().unwrap();
        let actuator = format!(
            "[actuator]\nkind = \"unleash\"\nurl = \"{}\"\ntoken_env = \"WARROOM_TEST_UNLEASH_TOKEN\"\n\
             feature = \"{flag}\"\npoll = \"1s\"\ntimeout = \"20s\"\n",
            server.url
        );
        let plan = common::crash::plan_with(dir.path(), false, "manual", &actuator);
        let env = [("WARROOM_TEST_UNLEASH_TOKEN", ADMIN_TOKEN)];
        let records = common::crash::crash_and_restart(dir.path(), &plan, crash, &env).await;
        assert_eq!(
            common::crash::outcomes(&records, "go-1"),
            ["accepted"],
            "{crash}"
        );
        assert_eq!(
            read_back(&server, flag).await,
            (true, vec!["10".into()]),
            "{crash}"
        );
        let said: Vec<&str> = records
            .iter()
            .filter(|r| r["source"] == "actuator")
            .filter_map(|r| r["text"].as_str())
            .collect();
        let read_back_done = said
            .iter()
            .any(|t| t.contains("after the restart, read back from Unleash"));
        // After the write, the flag reads as done; before it, the write is made then.
        assert_eq!(read_back_done, crash == "result", "{crash}: {said:?}");
        // Unleash's own log: the rollout strategy was written once.
        let (_, events) = api(
            &server,
            ADMIN_TOKEN,
            Method::GET,
            &format!("api/admin/search/events?feature=IS:{flag}&limit=100"),
            None,
        )
        .await;
        let writes = events["events"].as_array().map_or(0, |e| {
            e.iter()
                .filter(|e| {
                    e["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("feature-strategy-"))
                })
                .count()
        });
        assert_eq!(writes, 1, "{crash}: {events}");
    }
}
