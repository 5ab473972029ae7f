//! The `exec` and `webhook` actuators against real processes and a real HTTP receiver on
//! loopback: the context they pass, exit statuses and answers mapped to applied / failed /
//! unknown, timeouts that kill, hostile output that never reaches a terminal, signatures and
//! idempotency keys across retries.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use warroom::config::plan_file;
use warroom::core::command::{Action, Command, Verb};
use warroom::core::record::Body;
use warroom::core::time::{Offset, Span};
use warroom::server::scenario::{Actuated, Actuation, Scenario};
use warroom::shell::actuator::exec::Exec;
use warroom::shell::actuator::webhook::Webhook;
use warroom::shell::actuator::Actuate as _;

fn actuation(verb: Verb) -> Actuation {
    Actuation {
        id: "cmd-7".into(),
        verb,
        rollout: "batch-patches".into(),
        wave: Some(("w2".into(), "25% of nodes".into())),
        traffic: 25.0,
        previous_traffic: 10.0,
        actor: "alice".into(),
        reason: Some("bake done; it's green".into()),
        complete: false,
    }
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&p, perm).unwrap();
    p
}

fn exec(verb: Verb, argv: &[&str], timeout: Span, dir: &Path) -> Exec {
    let mut verbs = BTreeMap::new();
    verbs.insert(verb, argv.iter().map(ToString::to_string).collect());
    Exec::new(verbs, timeout, dir.to_path_buf())
}

#[tokio::test]
async fn exec_passes_the_context_in_the_environment_and_exit_0_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "env.sh", "env | grep '^WARROOM_' | sort");
    // A relative path with a `/` is the plan directory's.
    let e = exec(
        Verb::Advance,
        &["./env.sh"],
        Span::from_secs(10),
        dir.path(),
    );
    let Actuated::Applied { output } = e.actuate(&actuation(Verb::Advance)).await else {
        panic!("applied expected");
    };
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines,
        vec![
            "WARROOM_ACTOR=alice",
            "WARROOM_COMMAND_ID=cmd-7",
            "WARROOM_COMPLETE=0",
            "WARROOM_PREVIOUS_TRAFFIC=10",
            "WARROOM_REASON=bake done; it's green",
            "WARROOM_ROLLOUT=batch-patches",
            "WARROOM_TRAFFIC=25",
            "WARROOM_VERB=advance",
            "WARROOM_WAVE=w2",
            "WARROOM_WAVE_NAME=25% of nodes",
        ]
    );
    // A verb without a command is the conductor's alone.
    assert_eq!(
        e.actuate(&actuation(Verb::Pause)).await,
        Actuated::Applied {
            output: String::new()
        }
    );
}

#[tokio::test]
async fn exec_failure_carries_what_it_said_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "no.sh",
        "echo 'progress: talking to the cluster'\necho 'Error: rollouts.argoproj.io \"x\" not found' >&2\nexit 3",
    );
    let e = exec(Verb::Advance, &["./no.sh"], Span::from_secs(10), dir.path());
    assert_eq!(
        e.actuate(&actuation(Verb::Advance)).await,
        Actuated::Failed {
            reason: "exit status 3: Error: rollouts.argoproj.io \"x\" not found".into()
        }
    );
    let missing = exec(
        Verb::Advance,
        &["./not-there.sh"],
        Span::from_secs(10),
        dir.path(),
    );
    let Actuated::Failed { reason } = missing.actuate(&actuation(Verb::Advance)).await else {
        panic!("failed expected");
    };
    assert!(
        reason.starts_with("cannot run ") && reason.contains("not-there.sh"),
        "{reason}"
    );
}

#[tokio::test]
async fn exec_timeout_kills_the_whole_process_group_and_the_outcome_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    script(
        dir.path(),
        "hang.sh",
        &format!(
            "sleep 300 &\necho $! > {}\necho 'waiting for the cluster'\nsleep 300",
            pids.display()
        ),
    );
    let e = exec(Verb::Rollback, &["./hang.sh"], Span(700), dir.path());
    let started = Instant::now();
    let answer = e.actuate(&actuation(Verb::Rollback)).await;
    let took = started.elapsed();
    assert_eq!(
        answer,
        Actuated::Unknown {
            reason: "no answer within 700ms (killed): waiting for the cluster".into()
        }
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The background child went with the group.
    let child: i32 = std::fs::read_to_string(&pids)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        std::fs::read_to_string(format!("/proc/{child}/stat"))
            .map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"))
    });
    assert!(gone, "pid {child} outlived the timeout");
}

const HOSTILE_PLAN: &str = r#"
[rollout]
id = "hostile"
service = "svc"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "One"
traffic = 10
bake = "1m"
approval = "manual"

[[wave]]
id = "w2"
name = "All"
traffic = 100
bake = "1m"
approval = "manual"

[actuator]
kind = "exec"
advance = ["./hostile.sh"]
rollback = ["./hostile.sh"]
"#;

#[tokio::test]
async fn hostile_output_reaches_the_timeline_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "hostile.sh",
        r"printf 'ok \033]0;pwned\007\033[2J\033[31mred\033[0m done\r\n'",
    );
    let file = plan_file::parse("plan.toml", HOSTILE_PLAN, dir.path()).unwrap();
    let actuator = warroom::shell::actuator::Actuator::from_spec(&file.actuator).unwrap();
    let mut sc = Scenario::planned(&file);
    sc.tick(Offset::ZERO);
    sc.command(
        &Command {
            id: "a-1".into(),
            action: Action::Advance,
            actor: "alice".into(),
            reason: None,
            wave: Some(warroom::core::command::NOT_STARTED.into()),
            item: None,
            session: None,
        },
        Offset::from_secs(1),
    );
    let a = sc.take_actuations().pop().unwrap();
    let answer = actuator.actuate(&a).await;
    let records = sc.actuated(&a.id, answer, Offset::from_secs(2));
    let feed: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Feed { text } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(feed.len(), 1, "{records:?}");
    assert!(
        !feed[0].chars().any(char::is_control),
        "control characters reached the timeline: {:?}",
        feed[0]
    );
    assert!(
        feed[0].starts_with("advance: ok") && feed[0].ends_with("done"),
        "{:?}",
        feed[0]
    );
    assert_eq!(sc.state().current_wave(), Some(0));
}

// ---- webhook

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the receiver does with the n-th request: answer with a status (applying the command
/// first when `applies`), or never answer.
#[derive(Clone, Copy)]
enum Reply {
    Status { code: u16, applies: bool },
    Silent,
}

/// A real HTTP/1.1 receiver on loopback that applies each idempotency key once.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    applied: Arc<Mutex<Vec<String>>>,
}

async fn receiver(replies: Vec<Reply>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/warroom", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let applied = Arc::new(Mutex::new(Vec::<String>::new()));
    let (s, a) = (seen.clone(), applied.clone());
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let reply = replies.get(n).copied().unwrap_or(Reply::Status {
                code: 200,
                applies: true,
            });
            n += 1;
            let (s, a) = (s.clone(), a.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let k = stream.read(&mut chunk).await.unwrap_or(0);
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let headers: Vec<(String, String)> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                while buf.len() < head_end + len {
                    let k = stream.read(&mut chunk).await.unwrap_or(0);
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                }
                let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
                let seen = Seen { headers, body };
                let key = seen.header("idempotency-key").unwrap_or("").to_string();
                s.lock().unwrap().push(seen);
                match reply {
                    Reply::Silent => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    Reply::Status { code, applies } => {
                        let text = {
                            let mut done = a.lock().unwrap();
                            if done.contains(&key) {
                                "already applied"
                            } else if applies {
                                done.push(key);
                                "applied"
                            } else {
                                "not applied"
                            }
                        };
                        let resp = format!(
                            "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                            text.len()
                        );
                        let _ = stream.write_all(resp.as_bytes()).await;
                        let _ = stream.shutdown().await;
                    }
                }
            });
        }
    });
    Receiver { url, seen, applied }
}

fn webhook(url: &str, timeout: Span, retries: u32) -> Webhook {
    let mut w = Webhook::new(
        url.parse().unwrap(),
        Some("s3cret".into()),
        timeout,
        retries,
    )
    .unwrap();
    w.backoff = Duration::from_millis(50);
    w
}

#[tokio::test]
async fn webhook_signs_the_body_and_a_503_then_200_applies_once() {
    // The first attempt is taken in but answered 503 after applying (as a receiver whose
    // answer failed would); the retry carries the same key and is not applied again.
    let r = receiver(vec![
        Reply::Status {
            code: 503,
            applies: true,
        },
        Reply::Status {
            code: 200,
            applies: true,
        },
    ])
    .await;
    let w = webhook(&r.url, Span::from_secs(5), 3);
    let answer = w.actuate(&actuation(Verb::Advance)).await;
    assert_eq!(
        answer,
        Actuated::Applied {
            output: "already applied".into()
        }
    );
    let seen = r.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(*r.applied.lock().unwrap(), vec!["cmd-7".to_string()]);
    for s in &seen {
        assert_eq!(s.header("idempotency-key"), Some("cmd-7"));
        assert_eq!(s.header("content-type"), Some("application/json"));
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"s3cret").unwrap();
        mac.update(s.body.as_bytes());
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(s.header("x-warroom-signature"), Some(want.as_str()));
        let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(v["verb"], "advance");
        assert_eq!(v["command_id"], "cmd-7");
        assert_eq!(v["wave"], "w2");
        assert_eq!(v["traffic"], 25.0);
        assert_eq!(v["previous_traffic"], 10.0);
        assert_eq!(v["actor"], "alice");
        assert_eq!(v["complete"], false);
    }
    assert_eq!(seen[0].body, seen[1].body, "the same body on every attempt");
}

#[tokio::test]
async fn webhook_4xx_is_failed_with_the_answer_and_not_tried_again() {
    let r = receiver(vec![Reply::Status {
        code: 422,
        applies: false,
    }])
    .await;
    let w = webhook(&r.url, Span::from_secs(5), 3);
    assert_eq!(
        w.actuate(&actuation(Verb::Rollback)).await,
        Actuated::Failed {
            reason: "HTTP 422 Unprocessable Entity: not applied".into()
        }
    );
    assert_eq!(r.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn webhook_that_never_answers_is_unknown_after_its_retries() {
    let r = receiver(vec![Reply::Silent, Reply::Silent]).await;
    let w = webhook(&r.url, Span(300), 1);
    let started = Instant::now();
    let Actuated::Unknown { reason } = w.actuate(&actuation(Verb::Advance)).await else {
        panic!("unknown expected");
    };
    assert!(
        reason.starts_with("no answer from ")
            && reason.ends_with("within 300ms (after 2 attempts)"),
        "{reason}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(r.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn webhook_to_a_closed_port_is_failed() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let w = webhook(&format!("http://127.0.0.1:{port}/x"), Span::from_secs(2), 2);
    let Actuated::Failed { reason } = w.actuate(&actuation(Verb::Advance)).await else {
        panic!("failed expected");
    };
    assert!(
        reason.contains("cannot reach") && reason.ends_with("(after 3 attempts)"),
        "{reason}"
    );
}

/// The Trackshift plan's own verbs, run by the exec actuator against a stand-in `kubectl`
/// (tests/fakes/kubectl: no cluster here) that prints what the Argo Rollouts plugin and
/// `kubectl patch` print and fails as they do.
#[tokio::test]
async fn the_trackshift_plans_kubectl_verbs_through_the_exec_actuator() {
    let file = plan_file::load(Path::new("examples/plans/trackshift-argo.toml")).unwrap();
    let warroom::config::plan_file::ActuatorSpec::Exec { verbs, .. } = &file.actuator else {
        panic!("an exec plan");
    };
    let fake = std::fs::canonicalize("tests/fakes/kubectl").unwrap();
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("rollout");
    // Every verb that calls kubectl directly, with kubectl replaced by the stand-in; `env`
    // hands it its state file.
    let mut direct = BTreeMap::new();
    for (verb, argv) in verbs {
        if argv[0] == "kubectl" {
            let mut v = vec![
                "/usr/bin/env".to_string(),
                format!("FAKE_KUBECTL_STATE={}", state_file.display()),
                fake.display().to_string(),
            ];
            v.extend(argv[1..].iter().cloned());
            direct.insert(*verb, v);
        }
    }
    assert!(direct.contains_key(&Verb::Pause) && direct.contains_key(&Verb::Resume));
    let e = Exec::new(direct, Span::from_secs(10), PathBuf::from("examples/plans"));
    assert_eq!(
        e.actuate(&actuation(Verb::Pause)).await,
        Actuated::Applied {
            output: "rollout 'trackshift-gateway' paused".into()
        }
    );
    assert_eq!(
        e.actuate(&actuation(Verb::Resume)).await,
        Actuated::Applied {
            output: "rollout.argoproj.io/trackshift-gateway patched".into()
        }
    );
    std::fs::write(&state_file, "missing\n").unwrap();
    assert_eq!(
        e.actuate(&actuation(Verb::Pause)).await,
        Actuated::Failed {
            reason: "exit status 1: Error: rollouts.argoproj.io \"trackshift-gateway\" not found"
                .into()
        }
    );
    let calls = std::fs::read_to_string(state.path().join("rollout.calls")).unwrap();
    assert_eq!(
        calls,
        "argo rollouts pause trackshift-gateway -n trackshift\n\
         patch rollout trackshift-gateway -n trackshift --type merge -p {\"spec\":{\"paused\":false}}\n\
         argo rollouts pause trackshift-gateway -n trackshift\n"
    );
}
