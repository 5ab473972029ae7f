//! The control plane's journal, tried as a crash would try it: the real `warroom serve`
//! binary, killed with SIGKILL at random moments while two consoles (plain WebSocket
//! clients that speak the protocol) stay connected and send commands; crashes injected
//! between asking the actuator and hearing its answer; a torn last line; a full disk.
//! The exec actuator is a shell script that logs every call it gets: that log is how the
//! tests count what was applied.

#![allow(clippy::unwrap_used, clippy::panic, clippy::too_many_lines)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

mod common;

/// A plan whose first wave starts by itself and then bakes for an hour, with an exec
/// actuator for every verb that logs `ID VERB` per call to `$WARROOM_TEST_CALLS`, and an
/// `observe` command that reads that log back.
fn exec_plan(dir: &Path, observe: bool) -> PathBuf {
    let act = dir.join("act.sh");
    std::fs::write(
        &act,
        "#!/bin/sh\nprintf '%s %s\\n' \"$WARROOM_COMMAND_ID\" \"$WARROOM_VERB\" >> \"$WARROOM_TEST_CALLS\"\nsleep 0.05\necho \"done $WARROOM_VERB\"\n",
    )
    .unwrap();
    let obs = dir.join("observe.sh");
    std::fs::write(
        &obs,
        "#!/bin/sh\ngrep -q \"^$WARROOM_COMMAND_ID \" \"$WARROOM_TEST_CALLS\" && { echo \"$WARROOM_COMMAND_ID is in the log\"; exit 0; }\nexit 1\n",
    )
    .unwrap();
    for f in [&act, &obs] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let plan = dir.join("plan.toml");
    let observe_line = if observe {
        "observe = [\"./observe.sh\"]\n"
    } else {
        ""
    };
    std::fs::write(
        &plan,
        format!(
            r#"[rollout]
id = "journal-test"
service = "svc"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "1h"
approval = "auto"

[[wave]]
id = "w2"
name = "Everyone"
traffic = 100

[actuator]
kind = "exec"
advance = ["./act.sh"]
pause = ["./act.sh"]
resume = ["./act.sh"]
rollback = ["./act.sh"]
{observe_line}timeout = "10s"
"#
        ),
    )
    .unwrap();
    plan
}

/// Calls per command id in the actuator's own log.
fn calls(path: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let id = line.split(' ').next().unwrap_or_default().to_string();
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

/// Every event in the journal's segments, by sequence number, without its `seq`.
fn journal(dir: &Path) -> Vec<(u64, Value)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        for line in std::fs::read_to_string(&p).unwrap().lines().skip(1) {
            let mut v: Value = serde_json::from_str(line).unwrap();
            if v["type"] == "snapshot" {
                continue;
            }
            let seq = v.as_object_mut().unwrap().remove("seq").unwrap();
            out.push((seq.as_u64().unwrap(), v));
        }
    }
    out
}

#[derive(Default)]
struct Seen {
    events: Vec<(u64, Value)>,
    /// The hello's mode on every connection after the first.
    modes: Vec<String>,
    session: Option<String>,
    gaps: Vec<String>,
    connections: usize,
    sent: usize,
}

/// A console: connects (again and again), resumes after the last event it holds, answers
/// heartbeats and, with `commands`, sends a pause, resume or note every 150 ms, re-sending
/// one it has seen no outcome for with the same id.
async fn console(
    url: String,
    name: &'static str,
    seen: Arc<Mutex<Seen>>,
    quiet: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let actions = ["pause", "resume", "note"];
    let mut n = 0usize;
    let mut open: Option<(String, &str)> = None;
    while !stop.load(Ordering::Relaxed) {
        let Ok(Ok((mut ws, _))) =
            tokio::time::timeout(Duration::from_secs(1), tokio_tungstenite::connect_async(&url))
                .await
        else {
            tokio::time::sleep(Duration::from_millis(30)).await;
            continue;
        };
        let (after, session) = {
            let s = seen.lock().unwrap();
            (s.events.last().map(|e| e.0), s.session.clone())
        };
        let mut hello = json!({"type":"hello","protocol":"2.1","client":"journal test","actor":name,"role":"commander"});
        if let (Some(a), Some(s)) = (after, session) {
            hello["resume_after"] = json!(a);
            hello["session"] = json!(s);
        }
        if ws.send(Message::text(hello.to_string())).await.is_err() {
            continue;
        }
        let mut every = tokio::time::interval(Duration::from_millis(150));
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            tokio::select! {
                msg = ws.next() => {
                    let Some(Ok(Message::Text(text))) = msg else {
                        if matches!(msg, Some(Ok(_))) { continue }
                        break;
                    };
                    let v: Value = serde_json::from_str(&text).unwrap();
                    let mut s = seen.lock().unwrap();
                    match v["type"].as_str().unwrap() {
                        "hello" => {
                            s.connections += 1;
                            if s.connections > 1 {
                                s.modes.push(v["mode"].as_str().unwrap().to_string());
                            }
                            s.session = Some(v["session"].as_str().unwrap().to_string());
                        }
                        "event" => {
                            let seq = v["seq"].as_u64().unwrap();
                            if let Some((last, _)) = s.events.last() {
                                if seq != last + 1 {
                                    let gap = format!("{name}: seq {seq} after {last}");
                                    s.gaps.push(gap);
                                }
                            }
                            let r = v["record"].clone();
                            if r["type"] == "outcome" {
                                if open.as_ref().is_some_and(|(id, _)| r["id"] == id.as_str()) {
                                    open = None;
                                }
                            }
                            s.events.push((seq, r));
                        }
                        "heartbeat" => {
                            let seq = v["seq"].clone();
                            drop(s);
                            let _ = ws.send(Message::text(json!({"type":"heartbeat","seq":seq}).to_string())).await;
                        }
                        _ => {}
                    }
                }
                _ = every.tick() => {
                    if quiet.load(Ordering::Relaxed) { continue }
                    let session = seen.lock().unwrap().session.clone();
                    let Some(session) = session else { continue };
                    let (id, action) = open.clone().unwrap_or_else(|| {
                        n += 1;
                        (format!("{name}-{n}"), actions[n % actions.len()])
                    });
                    open = Some((id.clone(), action));
                    let cmd = json!({"type":"command","id":id,"action":action,"actor":name,"reason":"journal test","session":session});
                    if ws.send(Message::text(cmd.to_string())).await.is_err() { break }
                    seen.lock().unwrap().sent += 1;
                }
            }
        }
    }
}

/// A tiny generator, so that the kill moments differ from run to run of the loop but not
/// between runs of the test.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn serve(addr: std::net::SocketAddr, plan: &Path, state: &Path, env: &[(&str, &str)]) -> common::Plane {
    common::Plane::start_with(
        addr,
        &[
            "--plan",
            plan.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ],
        env,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_100_times_with_two_consoles_sending_commands_nothing_is_lost_repeated_or_applied_twice() {
    let dir = tempfile::tempdir().unwrap();
    let plan = exec_plan(dir.path(), true);
    let state = dir.path().join("state");
    let log = dir.path().join("calls.log");
    let env = [("WARROOM_TEST_CALLS", log.to_str().unwrap())];
    let addr = common::free_addr();
    let url = format!("ws://{addr}");
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = Arc::new(AtomicBool::new(false));
    let (a, b) = (Arc::new(Mutex::new(Seen::default())), Arc::new(Mutex::new(Seen::default())));
    let ta = tokio::spawn(console(url.clone(), "ana", a.clone(), quiet.clone(), stop.clone()));
    let tb = tokio::spawn(console(url.clone(), "ben", b.clone(), quiet.clone(), stop.clone()));
    let mut rng = Lcg(0x5eed);
    let started = Instant::now();
    for _ in 0..100 {
        let plane = serve(addr, &plan, &state, &env);
        tokio::time::sleep(Duration::from_millis(30 + rng.below(350))).await;
        plane.kill();
    }
    let kills = started.elapsed();
    // A last run, left alone until both consoles hold everything it published.
    let plane = serve(addr, &plan, &state, &env);
    tokio::time::sleep(Duration::from_millis(600)).await;
    quiet.store(true, Ordering::Relaxed);
    // Nothing more is published once no commands come (the bake takes an hour), once the
    // last command's actuation has answered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let newest = loop {
        let seq = common::get_body(addr.port(), "/metrics")
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("warroom_journal_seq ")?.trim().parse::<u64>().ok())
            })
            .unwrap();
        let done = [&a, &b]
            .iter()
            .all(|s| s.lock().unwrap().events.last().is_some_and(|e| e.0 >= seq));
        if done || Instant::now() > deadline {
            break seq;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let _ = ta.await;
    let _ = tb.await;
    drop(plane);
    let journal = journal(&state);
    assert_eq!(journal.last().unwrap().0, newest, "the journal ends at the newest seq");
    for (i, (seq, _)) in journal.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1, "the journal's seq numbers run 1, 2, 3, …");
    }
    for (name, seen) in [("ana", &a), ("ben", &b)] {
        let s = seen.lock().unwrap();
        assert!(s.gaps.is_empty(), "{name}: {:?}", s.gaps);
        assert!(
            s.modes.iter().all(|m| m == "resume"),
            "{name}: every reconnection resumes, none gets a snapshot: {:?}",
            s.modes
        );
        assert!(s.connections >= 50, "{name} reconnected only {} times", s.connections);
        let first = s.events.first().unwrap().0;
        let theirs: Vec<&(u64, Value)> = s.events.iter().collect();
        let ours: Vec<&(u64, Value)> = journal.iter().skip(first as usize - 1).collect();
        assert_eq!(theirs.len(), ours.len(), "{name} holds every event from seq {first} on");
        for (t, o) in theirs.iter().zip(&ours) {
            assert_eq!(t, o, "{name}: the console's event equals the journal's");
        }
        assert!(s.sent > 100, "{name} sent only {} commands", s.sent);
    }
    // Every command the actuator was asked to carry out was carried out once.
    let calls = calls(&log);
    let twice: Vec<_> = calls.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "applied more than once: {twice:?}");
    let accepted: Vec<String> = journal
        .iter()
        .filter(|(_, r)| r["type"] == "outcome" && r["result"] == "accepted")
        .map(|(_, r)| r["id"].as_str().unwrap().to_string())
        .collect();
    let external: Vec<&String> = accepted
        .iter()
        .filter(|id| {
            journal.iter().any(|(_, r)| {
                r["type"] == "command"
                    && r["id"] == id.as_str()
                    && ["pause", "resume", "advance"].contains(&r["action"].as_str().unwrap())
            })
        })
        .collect();
    for id in &external {
        assert_eq!(calls.get(*id), Some(&1), "{id} accepted: the actuator has it once");
    }
    let recovered = journal
        .iter()
        .filter(|(_, r)| r["text"].as_str().is_some_and(|t| t.contains("reading the target back")))
        .count();
    eprintln!(
        "100 kills in {:.1} s: {} events, {} commands sent, {} accepted through the actuator, {} read back after a crash",
        kills.as_secs_f64(),
        journal.len(),
        a.lock().unwrap().sent + b.lock().unwrap().sent,
        external.len(),
        recovered
    );
    assert!(external.len() >= 20, "only {} commands went through", external.len());
}
