//! The live path with real parts: the control plane on a loopback port, consoles connected
//! over real web sockets, a TCP relay that is cut repeatedly, and a hostile server.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use warroom::core::command::{Command, Role};
use warroom::core::record::{Action, Body, OutcomeKind, Record};
use warroom::server::net::{self, ControlPlane, Tokens};
use warroom::server::scenario::Scenario;
use warroom::shell::live::{self, Feed, Options, Out};

async fn plane(speed: f64, tokens: Tokens) -> (Arc<ControlPlane>, String) {
    let plane = ControlPlane::new(Scenario::batch_patches_demo(7), speed, tokens);
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane.clone())
        .await
        .unwrap();
    tokio::spawn(serving);
    (plane, format!("ws://{addr}"))
}

struct Console {
    feed: mpsc::Receiver<Feed>,
    commands: mpsc::Sender<Command>,
    task: tokio::task::JoinHandle<()>,
    /// Every record received, with its sequence number.
    seen: Vec<(u64, Record)>,
    role: Option<Role>,
    problems: Vec<String>,
    /// The sequence number the first snapshot stood for (events after it arrive one by one).
    first: Option<u64>,
}

impl Console {
    fn connect(url: &str, role: Role, token: Option<&str>) -> Console {
        let (tx, feed) = mpsc::channel(1024);
        let (commands, cmd_rx) = mpsc::channel(16);
        let opts = Options {
            url: url.into(),
            actor: "tester@loopback".into(),
            role,
            token: token.map(String::from),
            seed: 1,
        };
        let task = tokio::spawn(live::run(opts, cmd_rx, Out { tx, wrap: |f| f }));
        Console {
            feed,
            commands,
            task,
            seen: Vec::new(),
            role: None,
            problems: Vec::new(),
            first: None,
        }
    }

    /// Reads feeds until `until` holds for what has been seen (or panics after `secs`).
    async fn until(&mut self, secs: u64, what: &str, until: impl Fn(&Console) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !until(self) {
            match tokio::time::timeout_at(deadline, self.feed.recv()).await {
                Ok(Some(Feed::Hello {
                    role, reset, seq, ..
                })) => {
                    self.role = Some(role);
                    if let Some(records) = reset {
                        // A fresh start: the snapshot stands for everything up to `seq`.
                        self.first.get_or_insert(seq);
                        self.seen.extend(records.into_iter().map(|r| (seq, r)));
                    }
                }
                Ok(Some(Feed::Events { records, seq })) => {
                    self.seen.extend(records.into_iter().map(|r| (seq, r)));
                }
                Ok(Some(Feed::Problem(p) | Feed::Refused(p))) => self.problems.push(p),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!(
                    "timed out waiting for {what}; seen {} records, problems {:?}",
                    self.seen.len(),
                    self.problems
                ),
            }
        }
    }

    /// The id of the wave this console last saw become active.
    fn current_wave(&self) -> String {
        let w = self.seen.iter().rev().find_map(|(_, r)| match r.body {
            Body::Wave {
                wave,
                state: warroom::core::record::WaveStatus::Active,
                ..
            } => Some(wave),
            _ => None,
        });
        format!("w{}", w.unwrap() + 1)
    }

    fn outcome(&self, id: &str) -> Option<(OutcomeKind, Option<String>)> {
        self.seen.iter().find_map(|(_, r)| match &r.body {
            Body::Outcome {
                id: i,
                result,
                reason,
            } if **i == *id => Some((*result, reason.as_deref().map(String::from))),
            _ => None,
        })
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn command(id: &str, action: Action, wave: Option<&str>, reason: Option<&str>) -> Command {
    Command {
        id: id.into(),
        action,
        actor: "tester@loopback".into(),
        reason: reason.map(String::from),
        wave: wave.map(String::from),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_round_trips_and_every_console_sees_it() {
    let (_plane, url) = plane(10.0, Tokens::default()).await;
    let mut a = Console::connect(&url, Role::Commander, None);
    let mut b = Console::connect(&url, Role::Commander, None);
    a.until(10, "wave 1 active", |c| {
        c.seen
            .iter()
            .any(|(_, r)| matches!(r.body, Body::Wave { wave: 0, .. }))
    })
    .await;
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
                    state: warroom::core::record::WaveStatus::RolledBack,
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
    a.until(10, "wave 1 active", |c| {
        c.seen
            .iter()
            .any(|(_, r)| matches!(r.body, Body::Wave { wave: 0, .. }))
    })
    .await;
    b.until(10, "wave 1 active", |c| {
        c.seen
            .iter()
            .any(|(_, r)| matches!(r.body, Body::Wave { wave: 0, .. }))
    })
    .await;
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
