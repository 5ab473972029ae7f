//! The control plane's journal, tried as a crash would try it: the real `warroom serve`
//! binary, killed with SIGKILL at random moments while two consoles (plain WebSocket
//! clients that speak the protocol) stay connected and send commands; crashes injected
//! between asking the actuator and hearing its answer; a torn last line; a full disk.
//! The exec actuator is a shell script that logs every call it gets: that log is how the
//! tests count what was applied.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    clippy::items_after_statements
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::crash::{
    crash_and_restart, crash_on, journal, outcomes, plan_with, send_command, serve,
};

/// A plan whose first wave starts by itself and then bakes for an hour, with an exec
/// actuator for every verb that logs `ID VERB` per call to `$WARROOM_TEST_CALLS`, and an
/// `observe` command that reads that log back.
fn exec_plan(dir: &Path, observe: bool) -> PathBuf {
    plan_with(dir, observe, "auto", "")
}

/// `warroom check` takes the journal segment `path` as a fixture.
fn plays(path: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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

impl Seen {
    /// The wave the events say is current ("not started" before any), which a command is
    /// aimed at.
    fn current_wave(&self) -> String {
        self.events
            .iter()
            .rev()
            .find(|(_, r)| {
                r["type"] == "wave"
                    && ["active", "paused"].contains(&r["state"].as_str().unwrap_or(""))
            })
            .map_or_else(
                || "not started".into(),
                |(_, r)| r["wave"].as_str().unwrap().to_string(),
            )
    }
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
        let Ok(Ok((mut ws, _))) = tokio::time::timeout(
            Duration::from_secs(1),
            tokio_tungstenite::connect_async(&url),
        )
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
                            if r["type"] == "outcome"
                                && open.as_ref().is_some_and(|(id, _)| r["id"] == id.as_str())
                            {
                                open = None;
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
                    let (session, wave) = {
                        let s = seen.lock().unwrap();
                        (s.session.clone(), s.current_wave())
                    };
                    let Some(session) = session else { continue };
                    let (id, action) = open.clone().unwrap_or_else(|| {
                        n += 1;
                        (format!("{name}-{n}"), actions[n % actions.len()])
                    });
                    open = Some((id.clone(), action));
                    let cmd = json!({"type":"command","id":id,"action":action,"actor":name,"reason":"journal test","session":session,"wave":wave});
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_100_times_with_two_consoles_sending_commands_nothing_is_lost_repeated_or_applied_twice(
) {
    let dir = tempfile::tempdir().unwrap();
    let plan = exec_plan(dir.path(), true);
    let state = dir.path().join("state");
    let log = dir.path().join("calls.log");
    let env = [("WARROOM_TEST_CALLS", log.to_str().unwrap())];
    let addr = common::free_addr();
    let url = format!("ws://{addr}");
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = Arc::new(AtomicBool::new(false));
    let (a, b) = (
        Arc::new(Mutex::new(Seen::default())),
        Arc::new(Mutex::new(Seen::default())),
    );
    let ta = tokio::spawn(console(
        url.clone(),
        "ana",
        a.clone(),
        quiet.clone(),
        stop.clone(),
    ));
    let tb = tokio::spawn(console(
        url.clone(),
        "ben",
        b.clone(),
        quiet.clone(),
        stop.clone(),
    ));
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
    // Settled: the same newest seq three looks in a row (an actuation that answers late, on
    // a busy machine, publishes once more), and both consoles hold it.
    let deadline = Instant::now() + Duration::from_secs(15);
    let (mut last, mut same) = (0, 0);
    let newest = loop {
        let seq = newest_seq(addr.port()).unwrap();
        let held = [&a, &b]
            .iter()
            .all(|s| s.lock().unwrap().events.last().is_some_and(|e| e.0 >= seq));
        same = if seq == last { same + 1 } else { 0 };
        if (held && same >= 3) || Instant::now() > deadline {
            break seq;
        }
        last = seq;
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let _ = ta.await;
    let _ = tb.await;
    drop(plane);
    // After 101 starts, the journal is still a fixture warroom plays (time never goes back).
    plays(&state.join("journal-000000000001.ndjson"));
    let journal = journal(&state);
    assert_eq!(
        journal.last().unwrap().0,
        newest,
        "the journal ends at the newest seq"
    );
    for (i, (seq, _)) in journal.iter().enumerate() {
        assert_eq!(
            *seq,
            i as u64 + 1,
            "the journal's seq numbers run 1, 2, 3, …"
        );
    }
    for (name, seen) in [("ana", &a), ("ben", &b)] {
        let s = seen.lock().unwrap();
        assert!(s.gaps.is_empty(), "{name}: {:?}", s.gaps);
        assert!(
            s.modes.iter().all(|m| m == "resume"),
            "{name}: every reconnection resumes, none gets a snapshot: {:?}",
            s.modes
        );
        assert!(
            s.connections >= 50,
            "{name} reconnected only {} times",
            s.connections
        );
        let first = s.events.first().unwrap().0;
        let theirs: Vec<&(u64, Value)> = s.events.iter().collect();
        let ours: Vec<&(u64, Value)> = journal.iter().skip(first as usize - 1).collect();
        assert_eq!(
            theirs.len(),
            ours.len(),
            "{name} holds every event from seq {first} on"
        );
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
        assert_eq!(
            calls.get(*id),
            Some(&1),
            "{id} accepted: the actuator has it once"
        );
    }
    let recovered = journal
        .iter()
        .filter(|(_, r)| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("reading the target back"))
        })
        .count();
    eprintln!(
        "100 kills in {:.1} s: {} events, {} commands sent, {} accepted through the actuator, {} read back after a crash",
        kills.as_secs_f64(),
        journal.len(),
        a.lock().unwrap().sent + b.lock().unwrap().sent,
        external.len(),
        recovered
    );
    assert!(
        external.len() >= 20,
        "only {} commands went through",
        external.len()
    );
}

/// An exec plan (with or without `observe`, its first wave `approval`) crashed at `crash`
/// on command `go-1` (`action`) and started again: the journal and the actuator's calls.
async fn exec_crash(
    observe: bool,
    approval: &str,
    crash: &str,
    action: &str,
) -> (tempfile::TempDir, Vec<Value>, HashMap<String, usize>) {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_with(dir.path(), observe, approval, "");
    let log = dir.path().join("calls.log");
    let env = [("WARROOM_TEST_CALLS", log.to_str().unwrap())];
    let records = crash_on(dir.path(), &plan, crash, &env, action).await;
    let calls = calls(&log);
    (dir, records, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_observe_crashed_after_the_call_reads_back_and_does_not_call_again() {
    let (dir, records, calls_then) = exec_crash(true, "manual", "result", "advance").await;
    assert_eq!(
        calls_then.get("go-1"),
        Some(&1),
        "called once, before the crash"
    );
    assert_eq!(outcomes(&records, "go-1"), ["accepted"]);
    assert!(records.iter().any(|r| r["text"]
        .as_str()
        .is_some_and(|t| t.contains("after the restart, go-1 is in the log"))));
    assert!(records
        .iter()
        .any(|r| r["type"] == "wave" && r["wave"] == "w1" && r["state"] == "active"));
    // The same id again, from a console that never heard the answer: the same outcome, no call.
    let log = dir.path().join("calls.log");
    let state = dir.path().join("state");
    let addr = common::free_addr();
    let plan = dir.path().join("plan.toml");
    let plane = serve(
        addr,
        &plan,
        &state,
        &[("WARROOM_TEST_CALLS", log.to_str().unwrap())],
    );
    send_command(
        &format!("ws://{addr}"),
        "go-1",
        "advance",
        Some("not started"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        let j: Vec<Value> = journal(&state).into_iter().map(|(_, r)| r).collect();
        if outcomes(&j, "go-1").len() == 2 || Instant::now() > deadline {
            break j;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(plane);
    assert_eq!(outcomes(&again, "go-1"), ["accepted", "accepted"]);
    assert_eq!(
        calls(&log).get("go-1"),
        Some(&1),
        "the retry is not carried out again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_with_observe_crashed_before_the_call_reads_back_and_calls_once() {
    let (_dir, records, calls) = exec_crash(true, "manual", "intent", "advance").await;
    assert_eq!(
        calls.get("go-1"),
        Some(&1),
        "called once, after the restart"
    );
    assert_eq!(outcomes(&records, "go-1"), ["accepted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_without_observe_is_outcome_unknown_and_pauses_the_wave_for_a_person() {
    // A pause on the running wave 1: with the actuator at the crash, or never called.
    for (crash, expected_calls) in [("result", Some(&1)), ("intent", None)] {
        let (_dir, records, calls) = exec_crash(false, "auto", crash, "pause").await;
        assert_eq!(
            calls.get("go-1"),
            expected_calls,
            "{crash}: never called blindly again"
        );
        assert_eq!(outcomes(&records, "go-1"), ["unknown"], "{crash}");
        let why = records
            .iter()
            .find(|r| r["type"] == "outcome" && r["id"] == "go-1")
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(why.contains("check the target"), "{why}");
        assert!(
            records.iter().any(|r| r["type"] == "wave"
                && r["wave"] == "w1"
                && r["state"] == "paused"
                && r["by"] == "conductor"),
            "{crash}: the conductor pauses wave 1 for a person"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_crashed_after_the_call_carries_it_out_once_more_in_its_own_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_with(
        dir.path(),
        false,
        "manual",
        "[actuator]\nkind = \"simulate\"\n",
    );
    let records = crash_and_restart(dir.path(), &plan, "result", &[]).await;
    assert_eq!(outcomes(&records, "go-1"), ["accepted"]);
    assert!(records
        .iter()
        .any(|r| r["type"] == "wave" && r["wave"] == "w1" && r["state"] == "active"));
}

/// A webhook receiver that answers 200 to every request and counts them.
fn hook() -> (String, Arc<Mutex<usize>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            use std::io::{Read, Write};
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            s.set_read_timeout(Some(Duration::from_secs(2))).ok();
            // Headers, then the body by its length.
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            *c.lock().unwrap() += 1;
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_crashed_after_the_call_is_outcome_unknown_and_not_posted_again() {
    let dir = tempfile::tempdir().unwrap();
    let (url, posts) = hook();
    let plan = plan_with(
        dir.path(),
        false,
        "manual",
        &format!("[actuator]\nkind = \"webhook\"\nurl = \"{url}\"\ntimeout = \"5s\"\n"),
    );
    let records = crash_and_restart(dir.path(), &plan, "result", &[]).await;
    assert_eq!(*posts.lock().unwrap(), 1, "posted once, before the crash");
    assert_eq!(outcomes(&records, "go-1"), ["unknown"]);
}

fn segments(state: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    names.sort();
    names
}

fn newest_seq(port: u16) -> Option<u64> {
    (0..3).find_map(|i| {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let body = common::get_body(port, "/metrics");
        if body.is_none() {
            eprintln!("GET /metrics on port {port}: no answer (try {})", i + 1);
        }
        body?
            .lines()
            .find_map(|l| l.strip_prefix("warroom_journal_seq ")?.trim().parse().ok())
    })
}

/// Waits until the control plane on `port` has published past `seq`.
fn published_past(port: u16, seq: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = newest_seq(port).unwrap_or(0);
        if now > seq {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "nothing published past seq {seq}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_torn_last_line_is_cut_off_and_reported_and_the_seq_numbers_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let addr = common::free_addr();
    let args = ["--speed", "300", "--state", state.to_str().unwrap()];
    let plane = common::Plane::start(addr, &args);
    let before = published_past(addr.port(), 50);
    plane.kill();
    let seg = segments(&state).pop().unwrap();
    let whole = std::fs::read(&seg).unwrap();
    // A crash in the middle of writing a line.
    let torn = br#"{"seq":999999,"t":"T+1h","type":"me"#;
    std::fs::write(&seg, [whole.as_slice(), torn].concat()).unwrap();
    let plane = common::Plane::start(addr, &args);
    published_past(addr.port(), before + 1);
    drop(plane);
    let text = std::fs::read_to_string(&seg).unwrap();
    assert!(!text.contains("999999"), "the torn line is gone");
    assert!(
        text.starts_with(std::str::from_utf8(&whole).unwrap()),
        "nothing whole was lost"
    );
    let j = journal(&state);
    for (i, (seq, _)) in j.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
    }
    let note = j
        .iter()
        .find_map(|(_, r)| {
            r["text"]
                .as_str()
                .filter(|t| t.contains("control plane restarted in place"))
        })
        .unwrap();
    assert!(
        note.contains("last batch was cut off mid-write (35 bytes, 1 line, the last one partial"),
        "{note}"
    );
    // The segment is still a fixture that warroom plays.
    plays(&seg);
}

#[test]
fn a_damaged_line_before_the_last_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let addr = common::free_addr();
    let args = ["--speed", "300", "--state", state.to_str().unwrap()];
    let plane = common::Plane::start(addr, &args);
    published_past(addr.port(), 20);
    plane.kill();
    let seg = segments(&state).pop().unwrap();
    let text = std::fs::read_to_string(&seg).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[5] = r#"{"seq":5,"t":"T+0s","type":"check","item":"cq_phases","state":"maybe"}"#;
    std::fs::write(&seg, lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .env("XDG_STATE_HOME", dir.path())
        .args(["serve", "--listen", &addr.to_string()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:6:", seg.display())), "{err}");
}

#[test]
fn compaction_keeps_two_segments_counts_what_it_dropped_and_a_restart_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let addr = common::free_addr();
    let args = ["--speed", "1000", "--state", state.to_str().unwrap()];
    let env = [("WARROOM_JOURNAL_SEGMENT_EVENTS", "200")];
    let plane = common::Plane::start_with(addr, &args, &env);
    let seq = published_past(addr.port(), 700);
    let metrics = common::get_body(addr.port(), "/metrics").unwrap();
    plane.kill();
    let segs = segments(&state);
    assert_eq!(segs.len(), 2, "{segs:?}");
    let compacted: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("warroom_journal_compacted_events_total ")?
                .parse()
                .ok()
        })
        .unwrap();
    assert!(compacted >= 200, "{compacted}");
    let first = std::fs::read_to_string(&segs[0]).unwrap();
    let snapshot: Value = serde_json::from_str(first.lines().nth(1).unwrap()).unwrap();
    assert_eq!(snapshot["type"], "snapshot");
    assert!(snapshot["text"]
        .as_str()
        .unwrap()
        .contains("earlier events compacted"));
    // Each segment plays as a fixture: its snapshot, then its events.
    for s in &segs {
        plays(s);
    }
    let t0_of = |p: &Path| -> Value {
        let text = std::fs::read_to_string(p).unwrap();
        let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        header["rollout"]["t0"].clone()
    };
    let t0 = t0_of(&segs[1]);
    // Started again, it compacts on: the new segments keep the rollout's first T0.
    let plane = common::Plane::start_with(addr, &args, &env);
    let after = published_past(addr.port(), seq + 450);
    drop(plane);
    assert!(after > seq);
    for s in segments(&state) {
        assert_eq!(t0_of(&s), t0, "{}", s.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_commands_with_the_reason_and_publishes_nothing_it_cannot_record() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("tiny");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "mounting a 4 MiB tmpfs for the full-disk test needs root"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let state = mnt.join("state");
    let addr = common::free_addr();
    let url = format!("ws://{addr}");
    let plane = common::Plane::start(
        addr,
        &["--speed", "100", "--state", state.to_str().unwrap()],
    );
    published_past(addr.port(), 10);
    // Leave less than the 1 MiB a command needs.
    let filler = mnt.join("filler");
    let free = || {
        let out = std::process::Command::new("df")
            .arg("-B1")
            .arg("--output=avail")
            .arg(&mnt)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    std::fs::write(&filler, vec![0u8; (free() - 512 * 1024) as usize]).unwrap();
    let (error, journaled) = refused(&url, &state, "c-full").await;
    assert!(
        error.contains("unavailable") && error.contains("KiB free"),
        "{error}"
    );
    assert!(
        !journaled,
        "a refused command leaves no trace in the journal"
    );
    // Completely full: what cannot be written is not published; /healthz still answers.
    std::fs::remove_file(&filler).unwrap();
    let _ = std::fs::write(&filler, vec![0u8; free() as usize]);
    let mut more = std::fs::OpenOptions::new()
        .append(true)
        .open(&filler)
        .unwrap();
    let _ = std::io::Write::write_all(&mut more, &vec![0u8; 65536]);
    drop(more);
    let stuck = newest_seq(addr.port()).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let held = newest_seq(addr.port()).unwrap();
    let metrics = common::get_body(addr.port(), "/metrics").unwrap();
    assert!(metrics.contains("warroom_journal_writable 0"), "{metrics}");
    assert!(
        held <= stuck + 3,
        "published {} events it could not write",
        held - stuck
    );
    let on_disk = journal(&state).last().unwrap().0;
    assert_eq!(on_disk, held, "every published event is on disk");
    // Room again: it goes on, in order, and commands are taken.
    std::fs::remove_file(&filler).unwrap();
    published_past(addr.port(), held + 5);
    send_command(&url, "c-ok", "note", None).await;
    drop(plane);
    let j = journal(&state);
    for (i, (seq, _)) in j.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1, "no gap across the full disk");
    }
    assert!(j
        .iter()
        .any(|(_, r)| r["type"] == "outcome" && r["id"] == "c-ok"));
}

/// Sends a command and returns the error message the control plane answered with, and
/// whether the command reached the journal.
async fn refused(url: &str, state: &Path, id: &str) -> (String, bool) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = json!({"type":"hello","protocol":"2.1","client":"journal test","actor":"ana","role":"commander"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    let mut error = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while error.is_empty() && tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_secs(1), ws.next()).await
        else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        match v["type"].as_str().unwrap() {
            "hello" => {
                let session = v["session"].as_str().unwrap().to_string();
                let cmd = json!({"type":"command","id":id,"action":"note","actor":"ana","reason":"full disk","session":session});
                ws.send(Message::text(cmd.to_string())).await.unwrap();
            }
            "error" => error = t.to_string(),
            _ => {}
        }
    }
    let journaled = journal(state).iter().any(|(_, r)| r["id"] == id);
    (error, journaled)
}

/// A bake that ends while the control plane is down is dealt with once it is back: the
/// conductor advances the `auto` wave at once, through the actuator, once.
#[test]
fn a_bake_that_ended_while_down_advances_once_the_conductor_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let log = dir.path().join("actuator.log");
    let addr = common::free_addr();
    let plan = Path::new("examples/plans/exec-demo.toml");
    let env = [("WARROOM_ACTUATOR_LOG", log.to_str().unwrap())];
    let active = |wave: &str| {
        journal(&state)
            .iter()
            .any(|(_, r)| r["type"] == "wave" && r["wave"] == wave && r["state"] == "active")
    };
    let plane = serve(addr, plan, &state, &env);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !active("w1") {
        assert!(Instant::now() < deadline, "wave 1 never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    plane.kill();
    // Wave 1's 5-second bake ends while nothing runs.
    std::thread::sleep(Duration::from_millis(5_500));
    assert!(!active("w2"));
    let plane = serve(addr, plan, &state, &env);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !active("w2") {
        assert!(
            Instant::now() < deadline,
            "wave 2 did not start after the restart"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(plane);
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines, "advance w1 10\nadvance w2 50\n");
}

/// `warroom serve FIXTURE` killed while it plays and started again twice: it plays on from
/// the journal's last record (the fixture's clock is its own), time never goes back in the
/// journal, and every start goes on from the one before.
#[test]
fn a_fixture_killed_while_it_plays_plays_on_from_its_last_record() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let addr = common::free_addr();
    let args = [
        "fixtures/edgeplug-fleet-rollback-tabletop.jsonl",
        "--speed",
        "1000",
        "--state",
        state.to_str().unwrap(),
    ];
    let mut seq = 0;
    for _ in 0..3 {
        let plane = common::Plane::start(addr, &args);
        seq = published_past(addr.port(), seq + 3);
        std::thread::sleep(Duration::from_millis(400));
        plane.kill();
        std::thread::sleep(Duration::from_millis(300));
    }
    let seg = segments(&state).pop().unwrap();
    plays(&seg);
    let j = journal(&state);
    let restarts = j
        .iter()
        .filter(|(_, r)| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("control plane restarted in place"))
        })
        .count();
    assert_eq!(restarts, 2);
    // Each fixture record is published once: none twice across the restarts.
    let texts: Vec<&str> = j
        .iter()
        .filter(|(_, r)| r["type"] == "note" || r["type"] == "incident")
        .filter_map(|(_, r)| r["text"].as_str())
        .collect();
    let mut unique = texts.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), texts.len(), "a fixture record played twice");
}
