//! Helpers for the journal's crash tests: plans with an actuator of each kind, the real
//! `warroom serve` on a state directory, one command over a plain WebSocket, and the
//! journal read back.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// [`exec_plan`] with the first wave's approval, and an `[actuator]` table of its own
/// when `actuator` is not empty.
pub fn plan_with(dir: &Path, observe: bool, approval: &str, actuator: &str) -> PathBuf {
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
    let exec = format!(
        "[actuator]\nkind = \"exec\"\nadvance = [\"./act.sh\"]\npause = [\"./act.sh\"]\nresume = [\"./act.sh\"]\nrollback = [\"./act.sh\"]\n{observe_line}timeout = \"10s\"\n"
    );
    let actuator = if actuator.is_empty() {
        exec.as_str()
    } else {
        actuator
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
approval = "{approval}"

[[wave]]
id = "w2"
name = "Everyone"
traffic = 100

{actuator}
"#
        ),
    )
    .unwrap();
    plan
}

/// Every event in the journal's segments, by sequence number, without its `seq`.
pub fn journal(dir: &Path) -> Vec<(u64, Value)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        for line in std::fs::read_to_string(&p).unwrap().lines().skip(1) {
            if line.starts_with('#') {
                continue;
            }
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

pub fn serve(
    addr: std::net::SocketAddr,
    plan: &Path,
    state: &Path,
    env: &[(&str, &str)],
) -> super::Plane {
    super::Plane::start_with(
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

/// Connects, sends one command (with the session) and stays a moment: the control plane may
/// die on it.
pub async fn send_command(url: &str, id: &str, action: &str, wave: Option<&str>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = json!({"type":"hello","protocol":"2.1","client":"journal test","actor":"ana","role":"commander"});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    let session = loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("no hello")
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "hello" {
            break v["session"].as_str().unwrap().to_string();
        }
    };
    let mut cmd = json!({"type":"command","id":id,"action":action,"actor":"ana","reason":"crash test","session":session});
    if let Some(w) = wave {
        cmd["wave"] = json!(w);
    }
    ws.send(Message::text(cmd.to_string())).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// The journal's records of command `id` (its command, outcomes, and the lines that name it)
/// once an outcome is there, waiting up to 15 s for it.
pub fn settled(state: &Path, id: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let j = journal(state);
        let done = j
            .iter()
            .any(|(_, r)| r["type"] == "outcome" && r["id"] == id);
        if done {
            return j.into_iter().map(|(_, r)| r).collect();
        }
        assert!(
            Instant::now() < deadline,
            "no outcome for {id} in the journal: {j:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn outcomes<'a>(records: &'a [Value], id: &str) -> Vec<&'a str> {
    records
        .iter()
        .filter(|r| r["type"] == "outcome" && r["id"] == id)
        .map(|r| r["result"].as_str().unwrap())
        .collect()
}

/// Starts a control plane that aborts at `crash` for command `go-1`, sends it an advance
/// as `go-1`, checks that it died there, starts it again on the same journal, and returns
/// the journal once the advance has an outcome.
pub async fn crash_and_restart(
    dir: &Path,
    plan: &Path,
    crash: &str,
    env: &[(&str, &str)],
) -> Vec<Value> {
    crash_on(dir, plan, crash, env, "advance").await
}

/// [`crash_and_restart`] with another action; a plan whose first wave starts by itself is
/// given until wave 1 is active before the command goes.
pub async fn crash_on(
    dir: &Path,
    plan: &Path,
    crash: &str,
    env: &[(&str, &str)],
    action: &str,
) -> Vec<Value> {
    let state = dir.join("state");
    let addr = super::free_addr();
    let mut with_crash = env.to_vec();
    let hook = format!("{crash}:go-1");
    with_crash.push(("WARROOM_CRASH_AT", hook.as_str()));
    let mut plane = serve(addr, plan, &state, &with_crash);
    if action != "advance" {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !journal(&state)
            .iter()
            .any(|(_, r)| r["type"] == "wave" && r["wave"] == "w1" && r["state"] == "active")
        {
            assert!(Instant::now() < deadline, "wave 1 never started");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let wave = if action == "advance" {
        "not started"
    } else {
        "w1"
    };
    send_command(&format!("ws://{addr}"), "go-1", action, Some(wave)).await;
    let status = plane
        .exited_within(10)
        .expect("the control plane aborts at the hook");
    assert!(!status.success(), "{status}");
    let before = journal(&state);
    assert!(
        before.iter().any(|(_, r)| r["type"] == "source"
            && r["text"]
                .as_str()
                .is_some_and(|t| t.contains("asking the actuator (command go-1)"))),
        "the intent is in the journal before the actuator is called: {before:#?}"
    );
    assert!(outcomes(
        &before.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        "go-1"
    )
    .is_empty());
    let plane = serve(addr, plan, &state, env);
    let records = settled(&state, "go-1");
    drop(plane);
    records
}
