//! The live path with real parts: the control plane on a loopback port, consoles connected
//! over real web sockets, a TCP relay that is cut repeatedly, and a hostile server.
#![allow(clippy::too_many_lines, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use warroom::core::app::App;
use warroom::core::command::Role;
use warroom::core::command::{Action, OutcomeKind};
use warroom::core::input::{Input, PlaneMsg as Feed};
use warroom::core::record::Body;
use warroom::server::net::{self, ControlPlane, Tokens};
use warroom::server::scenario::Scenario;
use warroom::shell::ws_client::{self, Options};

mod common;
use common::console::{command, feed, Console};

/// A loopback address whose port was free a moment ago.
fn free_loopback() -> std::net::SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}").parse().unwrap()
}

/// The demo at speed 20 on `addr` (a fixed port, to be started again after a kill).
async fn demo_on(
    addr: std::net::SocketAddr,
    seed: u64,
) -> (Arc<ControlPlane>, tokio::task::JoinHandle<()>) {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(seed), 20.0, Tokens::default());
    let (_, serving) = net::bind(addr, plane.clone()).await.unwrap();
    (plane, tokio::spawn(serving))
}

async fn plane(speed: f64, tokens: Tokens) -> (Arc<ControlPlane>, String) {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(7), speed, tokens);
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane.clone())
        .await
        .unwrap();
    tokio::spawn(serving);
    (plane, format!("ws://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_round_trips_and_every_console_sees_it() {
    let (_plane, url) = plane(10.0, Tokens::default()).await;
    let mut a = Console::connect(&url, Role::Commander, None);
    let mut b = Console::connect(&url, Role::Commander, None);
    a.until_started().await;
    let wave = a.current_wave();
    a.commands
        .send(command(
            "rb-1",
            Action::Rollback,
            Some(&wave),
            Some("error budget burning"),
        ))
        .await
        .unwrap();
    a.until(10, "the outcome", |c| c.outcome("rb-1").is_some())
        .await;
    assert_eq!(
        a.outcome("rb-1").unwrap().0,
        OutcomeKind::Accepted,
        "{:?}",
        a.outcome("rb-1")
    );
    a.until(10, "the wave rolled back", |c| {
        c.seen.iter().any(|(_, r)| {
            matches!(
                r.body,
                Body::Wave {
                    state: warroom::core::wave::WaveStatus::RolledBack,
                    ..
                }
            )
        })
    })
    .await;
    b.until(10, "the other console sees it", |c| {
        c.outcome("rb-1").is_some()
    })
    .await;
    assert!(
        b.seen
            .iter()
            .any(|(_, r)| matches!(&r.body, Body::Command { id, .. } if **id == *"rb-1")),
        "the command, with who and why, reaches every console"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_advancing_at_once_get_one_accept_and_one_conflict() {
    let (_plane, url) = plane(10.0, Tokens::default()).await;
    let mut a = Console::connect(&url, Role::Commander, None);
    let mut b = Console::connect(&url, Role::Commander, None);
    a.until_started().await;
    b.until_started().await;
    let wave = a.current_wave();
    let (x, y) = (
        command("adv-a", Action::Advance, Some(&wave), None),
        command("adv-b", Action::Advance, Some(&wave), None),
    );
    let (r1, r2) = tokio::join!(a.commands.send(x), b.commands.send(y));
    r1.unwrap();
    r2.unwrap();
    a.until(10, "both outcomes", |c| {
        c.outcome("adv-a").is_some() && c.outcome("adv-b").is_some()
    })
    .await;
    let mut results = [a.outcome("adv-a").unwrap().0, a.outcome("adv-b").unwrap().0];
    results.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        results,
        [OutcomeKind::Accepted, OutcomeKind::Conflict],
        "exactly one is accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_is_refused_by_the_control_plane_too() {
    let tokens = Tokens::parse("cmd-token commander\nobs-token observer\n").unwrap();
    let (plane, url) = plane(10.0, tokens).await;
    // An observer's token caps the seat even when the console asks to command.
    let mut o = Console::connect(&url, Role::Commander, Some("obs-token"));
    o.until(10, "hello", |c| c.role.is_some()).await;
    assert_eq!(o.role, Some(Role::Observer));
    o.commands
        .send(command(
            "obs-1",
            Action::Rollback,
            Some("w1"),
            Some("I should not be able to"),
        ))
        .await
        .unwrap();
    o.until(10, "the refusal", |c| {
        c.problems
            .iter()
            .any(|p| p.contains("observers cannot rollback"))
    })
    .await;
    assert!(
        plane.log_since(0).iter().all(|(_, r)| r["id"] != "obs-1"),
        "nothing was applied"
    );
    // No token, or a wrong one: refused outright.
    let mut x = Console::connect(&url, Role::Commander, Some("nope"));
    x.until(10, "refusal", |c| {
        c.problems
            .iter()
            .any(|p| p.contains("unknown or missing token"))
    })
    .await;
}

/// A relay between console and control plane that can be cut: each cut drops every
/// connection through it, like a network blip or a half-open socket.
async fn relay(
    upstream: std::net::SocketAddr,
) -> (std::net::SocketAddr, tokio::sync::watch::Sender<u32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (cut, _) = tokio::sync::watch::channel(0u32);
    let cuts = cut.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut down, _)) = listener.accept().await else {
                return;
            };
            let mut rx = cuts.subscribe();
            tokio::spawn(async move {
                let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                    _ = rx.changed() => {}
                }
            });
        }
    });
    (addr, cut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_repeatedly_the_console_resumes_with_nothing_lost_or_doubled() {
    let (plane, url) = plane(20.0, Tokens::default()).await;
    let upstream: std::net::SocketAddr = url.trim_start_matches("ws://").parse().unwrap();
    let (addr, cut) = relay(upstream).await;
    let mut c = Console::connect(&format!("ws://{addr}"), Role::Commander, None);
    c.until(10, "first events", |c| c.seen.len() > 20).await;
    for i in 1..=5u32 {
        cut.send_replace(i);
        let before = c.seen.len();
        c.until(15, "events after the cut", |c| c.seen.len() > before + 20)
            .await;
    }
    let newest = c.seen.last().unwrap().0;
    let log = plane.log_since(0);
    let seqs: Vec<u64> = c.seen.iter().map(|(s, _)| *s).collect();
    let mut dedup = seqs.clone();
    dedup.dedup();
    // Records of one event share its seq; no seq may come back after a later one.
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "events out of order");
    let first = c.first.unwrap();
    dedup.retain(|s| *s > first);
    let expected: Vec<u64> = log
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s > first && *s <= newest)
        .collect();
    assert_eq!(dedup, expected, "every event once, in order, across 5 cuts");
}

/// A console fed by a live connection through the same path the screen uses, recording to
/// a file and writing an audit log: the recording replays to the same state, and the audit
/// log holds the command and its outcome but never the credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_replays_to_the_same_state_and_the_audit_log_holds_no_credentials() {
    use warroom::core::app::App;
    use warroom::core::intent::Key;
    use warroom::core::outbox::Outbox;
    use warroom::core::plan::Plan;
    use warroom::shell::run::step;
    use warroom::shell::sinks::{Audit, Recorder, Sinks};
    let tokens = Tokens::parse("s3cret-commander-token commander\n").unwrap();
    let (_plane, url) = plane(8.0, tokens).await;
    let dir = tempfile::tempdir().unwrap();
    let (rec_path, audit_path) = (
        dir.path().join("session.jsonl"),
        dir.path().join("audit.jsonl"),
    );
    let (tx, mut rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let opts = Options {
        url: url.clone(),
        actor: "ic@loopback".into(),
        role: Role::Commander,
        token: Some("s3cret-commander-token".into()),
        seed: 5,
    };
    let task = tokio::spawn(ws_client::run(opts, cmd_rx, tx));
    // The console and its sinks, as `warroom connect` builds them.
    let mut screen = App::live(
        Arc::new(Plan::placeholder()),
        Outbox::new(Role::Commander, "ic@loopback".into(), "rec".into()),
        None,
        false,
    );
    let mut sinks = Sinks {
        commands: Some(cmd_tx),
        audit: Some(Audit::open(&audit_path).unwrap()),
        recorder: Some(Recorder::create(&rec_path).unwrap()),
        url,
        ..Sinks::default()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut sent = false;
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(input)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        step(&mut screen, &mut sinks, input);
        if !sent && screen.state.current_wave() == Some(1) {
            // Pause wave 2 through the keys, as a person would.
            for k in [Key::Char('P')]
                .into_iter()
                .chain("holding for the beta feedback".chars().map(Key::Char))
                .chain([Key::Enter])
            {
                step(&mut screen, &mut sinks, Input::Key(k));
            }
            sent = true;
        }
        if sent
            && screen.outbox.pending.is_empty()
            && screen.state.commands.iter().any(|c| c.outcome.is_some())
            && screen.state.applied > 200
        {
            break;
        }
    }
    task.abort();
    drop(sinks);
    assert!(sent, "wave 2 never started");
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert!(
        audit.contains("\"event\":\"sent\"") && audit.contains("\"event\":\"outcome\""),
        "{audit}"
    );
    assert!(audit.contains("holding for the beta feedback"));
    assert!(
        !audit.contains("s3cret"),
        "the audit log must never hold credentials:\n{audit}"
    );
    let recording = std::fs::read_to_string(&rec_path).unwrap();
    assert!(!recording.contains("s3cret"));
    // The recording is a fixture, and replays to the same state.
    let replayed = warroom::shell::fixtures::play_through(
        warroom::shell::fixtures::open(rec_path.to_str().unwrap()).unwrap(),
    )
    .unwrap();
    let a = warroom::format::ndjson::summary(&replayed);
    let b = warroom::format::ndjson::summary(&screen.state);
    let head: Vec<String> = recording
        .lines()
        .take(4)
        .map(|l| l.chars().take(160).collect())
        .collect();
    let tl: Vec<String> = (0..replayed.timeline.len().min(5))
        .filter_map(|i| replayed.timeline.get(i))
        .map(|e| e.text().to_string())
        .collect();
    assert_eq!(
        format!("{:?}{:?}{:?}{}", a.wave, a.slos, a.checklist, a.status),
        format!("{:?}{:?}{:?}{}", b.wave, b.slos, b.checklist, b.status),
        "{head:#?}\n{tl:#?}"
    );
    assert_eq!(replayed.commands.len(), screen.state.commands.len());
}

/// A control plane that misbehaves: garbage, an unknown message, hostile text, an oversized
/// message. The console reports each on its timeline and keeps going; nothing reaches the
/// terminal unsanitised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_hostile_messages_are_reported_not_fatal() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let plan = Scenario::batch_patches_demo(1).plan().spec.clone();
    tokio::spawn(async move {
        let mut connections = 0;
        while let Ok((stream, _)) = listener.accept().await {
            connections += 1;
            let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            let _hello = ws.next().await;
            // On the reconnect, a snapshot standing for everything up to event 5.
            let seq = if connections > 1 { 5 } else { 0 };
            let hello = serde_json::json!({"type":"hello","protocol":"2.0","server":"hostile","session":"s1","role":"commander","rollout":plan,"seq":seq,"now":"T+0s","speed":1.0,"mode":"snapshot"});
            ws.send(Message::text(hello.to_string())).await.unwrap();
            if connections > 1 {
                // After the reconnect: behave, so the test can see the console recovered.
                let ok = serde_json::json!({"type":"event","seq":6,"record":{"t":"T+2s","type":"note","text":"back to normal"}});
                ws.send(Message::text(ok.to_string())).await.unwrap();
                tokio::time::sleep(Duration::from_secs(5)).await;
                return;
            }
            for bad in [
                "this is not json".to_string(),
                serde_json::json!({"type":"gossip","text":"unknown message type"}).to_string(),
                serde_json::json!({"type":"event","seq":1,"record":{"t":"T+1s","type":"note","text":"evil \u{1b}]0;pwned\u{7} \u{1b}[2J text \u{202e}"}}).to_string(),
                serde_json::json!({"type":"event","seq":2,"record":{"t":"T+1s","type":"metric","slo":"no_such_slo","value":1}}).to_string(),
                // A record that does not read at all: reported, and the events after it follow on.
                serde_json::json!({"type":"event","seq":3,"record":{"t":"T+1s","type":"note","text":"x","colour":"red"}}).to_string(),
                serde_json::json!({"type":"event","seq":4,"record":{"t":"T+1s","type":"note","text":"after the refused record"}}).to_string(),
                serde_json::json!({"type":"event","seq":5,"record":{"t":"T+1s","type":"note","text":"x".repeat(2 << 20)}}).to_string(),
            ] {
                let _ = ws.send(Message::text(bad)).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    let mut c = Console::connect(&format!("ws://{addr}"), Role::Commander, None);
    c.until(15, "the console to recover after the oversized message", |c| c.seen.iter().any(|(_, r)| matches!(&r.body, Body::Note { text, .. } if text.contains("back to normal")))).await;
    let problems = c.problems.join("\n");
    assert!(problems.contains("malformed message ignored"), "{problems}");
    assert!(problems.contains("unknown variant `gossip`"), "{problems}");
    assert!(
        problems.contains("event 2 ignored") && problems.contains("no SLO"),
        "{problems}"
    );
    assert!(problems.contains("over the 1 MiB limit"), "{problems}");
    assert!(
        problems.contains("event 3 ignored") && problems.contains("unknown field `colour`"),
        "{problems}"
    );
    assert!(
        c.seen.iter().any(|(_, r)| matches!(&r.body, Body::Note { text, .. } if text.contains("after the refused record"))),
        "the event after a refused record was applied"
    );
    let evil = c.seen.iter().find_map(|(_, r)| match &r.body {
        Body::Note { text, .. } if text.contains("evil") => Some(text.to_string()),
        _ => None,
    });
    let evil = evil.expect("the hostile note was applied, sanitised");
    assert!(
        !evil.chars().any(|ch| ch.is_control() || ch == '\u{202e}'),
        "{evil:?}"
    );
    assert!(!problems.chars().any(|ch| ch == '\u{1b}'));
}

/// A control plane that answers the hello and then falls silent (a half-open connection): the
/// console calls it dead within 15 s — here 12 s of virtual time, in tokio's paused clock —
/// and starts reconnecting with backoff.
#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_called_dead_within_15_seconds() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let plan = Scenario::batch_patches_demo(1).plan().spec.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let plan = plan.clone();
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                let _ = ws.next().await;
                let hello = serde_json::json!({"type":"hello","protocol":"2.0","server":"silent","session":"s","role":"commander","rollout":plan,"seq":0,"now":"T+0s","speed":1.0,"mode":"snapshot"});
                ws.send(Message::text(hello.to_string())).await.unwrap();
                // Never another byte, never a close: half-open.
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
    });
    let (_cmds, cmd_rx) = mpsc::channel(4);
    let opts = Options {
        url: format!("ws://{addr}"),
        actor: "t".into(),
        role: Role::Commander,
        token: None,
        seed: 2,
    };
    let (mut feed, task) = feed(opts, cmd_rx);
    let mut hello_at = None;
    let down = loop {
        match feed.recv().await.unwrap() {
            Feed::Hello { .. } => hello_at = Some(tokio::time::Instant::now()),
            Feed::Link(warroom::core::source::Link::Down { reason, .. }) if hello_at.is_some() => {
                break reason
            }
            _ => {}
        }
    };
    let silent_for = hello_at.unwrap().elapsed();
    assert!(down.contains("no message for 12s"), "{down}");
    assert!(
        silent_for >= Duration::from_secs(12) && silent_for < Duration::from_secs(15),
        "{silent_for:?}"
    );
    task.abort();
}

/// The control plane killed and started again on the same port: the console reconnects by
/// itself, takes the new session's snapshot (and says so on its timeline), and from then on
/// applies every event of the new session once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_control_plane_is_rejoined_with_a_snapshot() {
    let addr = free_loopback();
    let start = || demo_on(addr, 3);
    let (_first, mut serving) = start().await;
    let mut c = Console::connect(&format!("ws://{addr}"), Role::Commander, None);
    c.until(10, "events from the first run", |c| c.seen.len() > 30)
        .await;
    for round in 0..3 {
        serving.abort();
        let _ = (&mut serving).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (plane, next) = start().await;
        serving = next;
        let old = c.hellos.last().unwrap().0.clone();
        c.until(10, "the hello of the new session", |c| {
            c.hellos.last().is_some_and(|h| h.0 != old && h.2)
        })
        .await;
        let (from, mark) = (c.hellos.last().unwrap().1, c.hellos.last().unwrap().3);
        c.until(10, "new events", |c| {
            c.seen[mark..].last().is_some_and(|(s, _)| *s > from + 20)
        })
        .await;
        // The console says so on its timeline, and kept what it showed before.
        let tl = &c.app.state.timeline;
        let lines: Vec<String> = (0..tl.len())
            .filter_map(|i| tl.get(i))
            .map(|e| e.text().to_string())
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("control plane restarted: new session")),
            "round {round}: {lines:?}"
        );
        let mut got: Vec<u64> = c.seen[mark..]
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| *s > from)
            .collect();
        got.dedup();
        let newest = *got.last().unwrap();
        let expected: Vec<u64> = plane
            .log_since(from)
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| *s <= newest)
            .collect();
        assert_eq!(
            got, expected,
            "round {round}: every event of the new session, once, in order"
        );
    }
    serving.abort();
}

/// `warroom serve FIXTURE`: the fixture plays in real time (times the speed) to every
/// console; a note while it plays is the room's, and after it has ended the control plane
/// answers commands from the state it left.
/// `GET /metrics` and `GET /healthz` answer on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_fixture_plays_then_answers_commands_and_metrics_are_scraped() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/edgeplug-fleet-rollback-tabletop.jsonl"
    );
    let mut src = warroom::shell::fixtures::open(path).unwrap();
    let mut records = Vec::new();
    while src
        .next_records(&mut |r| records.push(r))
        .unwrap()
        .is_some()
    {}
    let plan = src.fixture().plan.clone();
    let n = records.len();
    let span = records.last().unwrap().t.since(records[0].t).millis() as f64 / 1000.0;
    // The whole fixture (about four days) in about three seconds.
    let plane = ControlPlane::from_fixture(plan, records, span / 3.0, Tokens::default(), 1);
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane.clone())
        .await
        .unwrap();
    tokio::spawn(serving);
    let mut c = Console::connect(&format!("ws://{addr}"), Role::Commander, None);
    c.until(5, "hello", |c| c.role.is_some()).await;
    c.commands
        .send(command("early", Action::Note, None, Some("too early")))
        .await
        .unwrap();
    c.until(5, "the early command's outcome", |c| {
        c.outcome("early").is_some()
    })
    .await;
    // While the fixture plays the room acts as in an exercise: the note is on the timeline
    // at once, judged against what the fixture has shown so far.
    assert_eq!(
        c.outcome("early").unwrap().0,
        OutcomeKind::Accepted,
        "{:?}",
        c.outcome("early")
    );
    c.until(5, "the early note", |c| {
        c.seen
            .iter()
            .any(|(_, r)| matches!(&r.body, Body::Note { text, .. } if &**text == "too early"))
    })
    .await;
    c.until(15, "the whole fixture", |c| {
        c.seen.iter().filter(|(s, _)| *s > 0).count() >= n
    })
    .await;
    c.commands
        .send(command(
            "late",
            Action::Note,
            None,
            Some("post-incident review at 16:00"),
        ))
        .await
        .unwrap();
    c.until(10, "the late command's outcome", |c| {
        c.outcome("late").is_some()
    })
    .await;
    assert_eq!(
        c.outcome("late").unwrap().0,
        OutcomeKind::Accepted,
        "{:?}",
        c.outcome("late")
    );

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let metrics = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = metrics.text().await.unwrap();
    for family in [
        "warroom_requests_total",
        "warroom_request_errors_total",
        "warroom_request_duration_seconds_bucket",
        "warroom_traffic_share",
    ] {
        assert!(text.contains(family), "{family} missing from:\n{text}");
    }
    assert_eq!(
        client
            .get(format!("http://{addr}/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// Nobody listening: attempts follow the capped, full-jitter backoff schedule (in tokio's
/// paused clock: the n-th wait is at most min(5 s, 100 ms · 2ⁿ)), and the console keeps
/// its clock running between them so that data from the dead source goes stale.
#[tokio::test(start_paused = true)]
async fn reconnect_attempts_follow_the_backoff_schedule() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_cmds, cmd_rx) = mpsc::channel(4);
    let opts = Options {
        url: format!("ws://127.0.0.1:{port}"),
        actor: "t".into(),
        role: Role::Commander,
        token: None,
        seed: 11,
    };
    let (mut feed, task) = feed(opts, cmd_rx);
    let mut attempts = Vec::new();
    while attempts.len() < 9 {
        if let Feed::Link(warroom::core::source::Link::Connecting { .. }) =
            feed.recv().await.unwrap()
        {
            attempts.push(tokio::time::Instant::now());
        }
    }
    task.abort();
    let gaps: Vec<u128> = attempts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    let ceilings = [100u128, 200, 400, 800, 1600, 3200, 5000, 5000];
    for (i, (gap, cap)) in gaps.iter().zip(ceilings).enumerate() {
        assert!(
            *gap <= cap + 5,
            "wait {i} was {gap} ms, over its ceiling {cap} ms ({gaps:?})"
        );
    }
    assert!(
        gaps.iter().sum::<u128>() > 1000,
        "full jitter, not zero waits: {gaps:?}"
    );
}

/// Everyone in the room sees the same state: a console that joins after a rollback trigger
/// fired shows exactly what a console that watched from the start shows, part for part —
/// trigger state and breach clocks, bands, histories and sparklines, alerts, checklist ticks
/// with who and when, every timeline entry with its own source — once both have applied the
/// same events and read the same clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_shows_exactly_what_a_watcher_shows() {
    let (plane, url) = plane(20.0, Tokens::default()).await;
    let mut early = Console::connect(&url, Role::Observer, None);
    early
        .until(40, "a rollback trigger fired", |c| {
            c.app.state.trigger_fires > 0
        })
        .await;
    let mut late = Console::connect(&url, Role::Observer, None);
    late.until(10, "the late joiner's hello", |c| !c.hellos.is_empty())
        .await;
    assert!(
        late.hellos[0].2,
        "a late joiner gets the state, not a replay"
    );
    // Both at the same event, then the same clock.
    let target = plane.seq().max(late.app.live.seq);
    for c in [&mut early, &mut late] {
        c.until(10, "the same event", |c| c.app.live.seq >= target)
            .await;
    }
    let now = early.app.state.now.max(late.app.state.now);
    for c in [&mut early, &mut late] {
        c.app.apply(Input::ControlPlane(Feed::Clock(now)));
    }
    if early.app.live.seq != late.app.live.seq {
        let target = early.app.live.seq.max(late.app.live.seq);
        for c in [&mut early, &mut late] {
            c.until(10, "the same event", |c| c.app.live.seq >= target)
                .await;
        }
    }
    // Apart from the lines of their own connections, and the late joiner's one line saying
    // that it joined.
    let strip = |c: &Console| {
        let mut i = c.app.state.image();
        i.timeline
            .retain(|e| !e.local && !e.text.starts_with("joined the control plane"));
        i
    };
    let (a, b) = (strip(&early), strip(&late));
    assert!(a.trigger_fires > 0 && b.trigger_fires == a.trigger_fires);
    assert_eq!(
        a.slos, b.slos,
        "bands, breach clocks, histories and sparklines"
    );
    assert_eq!(a.alerts, b.alerts, "alert states");
    assert_eq!(
        a.checklist, b.checklist,
        "checklist ticks with who and when"
    );
    assert!(
        b.timeline.iter().all(|e| &*e.source != "snapshot"),
        "every entry keeps its own source"
    );
    assert_eq!(a.timeline, b.timeline, "the same timeline");
    assert_eq!(a, b, "the same state");
}

/// `--record` across a control plane's restart: the recording stays a fixture (one header,
/// time never going back), and `warroom replay` of it ends in the state the live console
/// showed, the restart included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_across_a_restart_replays_to_what_the_console_showed() {
    use warroom::core::plan::Plan;
    use warroom::shell::run::step;
    use warroom::shell::sinks::{Recorder, Sinks};
    let addr = free_loopback();
    let start = || demo_on(addr, 4);
    let dir = tempfile::tempdir().unwrap();
    let rec_path = dir.path().join("session.jsonl");
    let (tx, mut rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (_first, mut serving) = start().await;
    let task = tokio::spawn(ws_client::run(
        Options {
            url: format!("ws://{addr}"),
            actor: "ic@loopback".into(),
            role: Role::Commander,
            token: None,
            seed: 9,
        },
        cmd_rx,
        tx,
    ));
    let mut app = App::live(
        Arc::new(Plan::placeholder()),
        warroom::core::outbox::Outbox::new(Role::Commander, "ic@loopback".into(), "r".into()),
        None,
        false,
    );
    let mut sinks = Sinks {
        commands: Some(cmd_tx),
        recorder: Some(Recorder::create(&rec_path).unwrap()),
        ..Sinks::default()
    };
    let pump = |app: &mut App,
                sinks: &mut Sinks,
                rx: &mut mpsc::Receiver<Input>,
                secs,
                until: &dyn Fn(&App) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        while !until(app) {
            assert!(std::time::Instant::now() < deadline, "timed out");
            match rx.try_recv() {
                Ok(input) => {
                    step(app, sinks, input);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    };
    pump(&mut app, &mut sinks, &mut rx, 20, &|a| {
        a.state.current_wave() == Some(1)
    });
    let first = app.live.session.clone();
    serving.abort();
    let _ = (&mut serving).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_second, next) = start().await;
    serving = next;
    pump(&mut app, &mut sinks, &mut rx, 20, &|a| {
        a.live.session.is_some() && a.live.session != first && a.state.current_wave() == Some(1)
    });
    task.abort();
    serving.abort();
    drop(sinks);
    let recording = std::fs::read_to_string(&rec_path).unwrap();
    assert_eq!(
        recording
            .lines()
            .filter(|l| l.contains("\"warroom\""))
            .count(),
        1,
        "one header"
    );
    assert!(recording.contains("\"type\":\"snapshot\""));
    let replayed = warroom::shell::fixtures::play_through(
        warroom::shell::fixtures::open(rec_path.to_str().unwrap()).unwrap(),
    )
    .unwrap();
    let (a, b) = (
        warroom::format::ndjson::summary(&replayed),
        warroom::format::ndjson::summary(&app.state),
    );
    assert_eq!(
        format!("{:?}{:?}{:?}{}", a.wave, a.slos, a.checklist, a.status),
        format!("{:?}{:?}{:?}{}", b.wave, b.slos, b.checklist, b.status)
    );
    let feed = |s: &warroom::core::state::State| -> Vec<String> {
        (0..s.timeline.len())
            .filter_map(|i| s.timeline.get(i))
            .filter(|e| !e.local)
            .map(|e| format!("{} {} {}", e.t.t_label(), e.source, e.text()))
            .collect()
    };
    let (lines_a, lines_b) = (feed(&replayed), feed(&app.state));
    assert!(
        lines_b
            .iter()
            .any(|l| l.contains("control plane restarted")),
        "{lines_b:#?}"
    );
    assert_eq!(lines_a, lines_b, "the same timeline, the boundary included");
}

/// A plan whose canary waits for the SRE on call, served to consoles whose tokens name who
/// sits at them: alice, the SRE on call; bob, the release manager; carol, the incident
/// commander.
async fn ticking_plane() -> String {
    const HEADER: &str = r#"{"warroom":"1.2","rollout":{"id":"ticks","service":"svc","from":"v1","to":"v2","strategy":"canary","t0":"2025-02-03T09:00:00Z","sample_interval":"1m",
"waves":[{"id":"w1","name":"Canary","traffic":10,"bake":"10m","gates":[{"label":"Canary smoke checked","check":"sb_canary"}]},{"id":"w2","name":"Everyone","traffic":100}],
"slos":[{"id":"err","name":"Error rate","unit":"%","direction":"lower","target":2,"warning":5,"critical":10}],
"checklist":[{"id":"pre","title":"Pre-deployment","items":[{"id":"notes","text":"Release notes ready"}]},
{"id":"canary","title":"Canary","items":[{"id":"sb_canary","text":"Smoke tests pass on canary","owner":"SRE on-call"},{"id":"sb_dash","text":"Canary dashboards watched","owner":"SRE on-call"}]}]}}"#;
    let plan = warroom::format::fixture::open("ticks", std::io::Cursor::new(HEADER.as_bytes()))
        .unwrap()
        .fixture()
        .plan
        .clone();
    let state = warroom::core::state::State::new(
        plan,
        warroom::core::source::SourceStatus {
            name: "control-plane".into(),
            link: warroom::core::source::Link::Connected,
        },
        256,
    );
    let tokens = Tokens::parse(
        "# token seat name roles\n\
         alice-token commander alice \"SRE on-call\"\n\
         bob-token commander bob \"Release Manager\"\n\
         carol-token commander carol \"Incident Commander\"\n",
    )
    .unwrap();
    let plane = ControlPlane::new(Scenario::from_state(&state, 3, false), 10.0, tokens);
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane.clone())
        .await
        .unwrap();
    tokio::spawn(serving);
    format!("ws://{addr}")
}

fn item_of(c: &Console, id: &str) -> (warroom::core::checklist::ItemStatus, Option<String>) {
    let (s, i) = c.app.state.plan.item(id).unwrap();
    let st = &c.app.state.checklist.items[s][i];
    (st.status, st.by.as_deref().map(String::from))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_ticks_every_console_sees_who_and_others_are_refused_with_the_reason() {
    use common::console::check;
    use warroom::core::checklist::ItemStatus;
    let url = ticking_plane().await;
    let mut alice = Console::connect(&url, Role::Commander, Some("alice-token"));
    let mut bob = Console::connect(&url, Role::Commander, Some("bob-token"));
    for c in [&mut alice, &mut bob] {
        c.until(10, "hello", |c| c.role == Some(Role::Commander))
            .await;
    }
    alice
        .commands
        .send(check(
            "al-1",
            Action::Tick,
            "sb_canary",
            Some("checked the canary tenants"),
        ))
        .await
        .unwrap();
    alice
        .until(10, "the tick's outcome", |c| c.outcome("al-1").is_some())
        .await;
    assert_eq!(alice.outcome("al-1"), Some((OutcomeKind::Accepted, None)));
    // The other console sees who ticked it (the tokens file's name, not the console's
    // claimed actor), and the gate is green there too.
    bob.until(10, "the tick", |c| {
        item_of(c, "sb_canary").0 == ItemStatus::Done
    })
    .await;
    assert_eq!(
        item_of(&bob, "sb_canary"),
        (ItemStatus::Done, Some("alice".into()))
    );
    let (s, i) = bob.app.state.plan.item("sb_canary").unwrap();
    assert_eq!(
        bob.app.state.checklist.items[s][i].note.as_deref(),
        Some("checked the canary tenants")
    );
    assert!(bob.seen.iter().any(|(_, r)| matches!(
        &r.body,
        Body::Command { action: Action::Tick, by: Some(by), item: Some(item), .. }
            if &**by == "alice" && &**item == "sb_canary"
    )));
    // Bob holds no role that owns the canary's items.
    bob.commands
        .send(check("bo-1", Action::Tick, "sb_dash", None))
        .await
        .unwrap();
    bob.until(10, "the refusal", |c| c.outcome("bo-1").is_some())
        .await;
    assert_eq!(
        bob.outcome("bo-1"),
        Some((
            OutcomeKind::Rejected,
            Some(
                "item \"sb_dash\" is owned by SRE on-call; bob (Release Manager) cannot tick it"
                    .into()
            )
        ))
    );
    assert_eq!(item_of(&bob, "sb_dash").0, ItemStatus::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_ticking_the_same_item_at_once_get_one_acceptance_and_one_conflict() {
    use common::console::check;
    let url = ticking_plane().await;
    let mut alice = Console::connect(&url, Role::Commander, Some("alice-token"));
    let mut carol = Console::connect(&url, Role::Commander, Some("carol-token"));
    for c in [&mut alice, &mut carol] {
        c.until(10, "hello", |c| c.role == Some(Role::Commander))
            .await;
    }
    let (a, b) = tokio::join!(
        alice
            .commands
            .send(check("al-1", Action::Tick, "notes", None)),
        carol
            .commands
            .send(check("ca-1", Action::Tick, "notes", None)),
    );
    a.unwrap();
    b.unwrap();
    alice
        .until(10, "both outcomes", |c| {
            c.outcome("al-1").is_some() && c.outcome("ca-1").is_some()
        })
        .await;
    let (first, second) = (
        alice.outcome("al-1").unwrap(),
        alice.outcome("ca-1").unwrap(),
    );
    let mut results = [first.0, second.0];
    results.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        results,
        [OutcomeKind::Accepted, OutcomeKind::Conflict],
        "exactly one is accepted"
    );
    let (winner, why) = if first.0 == OutcomeKind::Conflict {
        ("carol", first.1)
    } else {
        ("alice", second.1)
    };
    let why = why.unwrap();
    assert!(
        why.starts_with(&format!(
            "item \"notes\" is already ticked by {winner} at T+"
        )),
        "{why}"
    );
}
