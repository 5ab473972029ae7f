//! `warroom serve --plan` as a user runs it: the real binary conducting
//! examples/plans/exec-demo.toml, whose exec actuator (examples/actuators/record.sh) writes a
//! line per call, with two consoles over real web sockets on loopback.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use warroom::core::command::{Action, OutcomeKind, Role};
use warroom::core::record::Body;
use warroom::core::wave::WaveStatus;
use warroom::server::scenario::CONDUCTOR;

mod common;
use common::console::{command, Console};

fn log_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_rollout_moves_through_its_actuator_and_every_console_sees_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("actuator.log");
    let plane = common::Plane::start_with(
        common::free_addr(),
        &["--plan", "examples/plans/exec-demo.toml"],
        &[("WARROOM_ACTUATOR_LOG", log.to_str().unwrap())],
    );
    let mut a = Console::connect(&plane.url(), Role::Commander, None);
    a.until(10, "wave 1 active", |c| {
        c.app.state.current_wave() == Some(0)
    })
    .await;
    // A person pauses wave 1 before its 5-second bake ends: through the actuator too.
    a.commands
        .send(command(
            "p-1",
            Action::Pause,
            Some("w1"),
            Some("holding for the on-call"),
        ))
        .await
        .unwrap();
    a.until(10, "the pause's outcome and effect", |c| {
        c.outcome("p-1").is_some() && c.app.state.waves[0].status != WaveStatus::Active
    })
    .await;
    assert_eq!(a.outcome("p-1").unwrap().0, OutcomeKind::Accepted);
    assert_eq!(a.app.state.waves[0].status, WaveStatus::Paused);
    // Paused, it does not move on by itself, however long it waits.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut b = Console::connect(&plane.url(), Role::Commander, None);
    b.until(10, "the late joiner's state", |c| {
        c.app.state.current_wave() == Some(0)
    })
    .await;
    assert_eq!(b.app.state.waves[0].status, WaveStatus::Paused);
    b.commands
        .send(command(
            "r-1",
            Action::Resume,
            Some("w1"),
            Some("on-call is here"),
        ))
        .await
        .unwrap();
    // Resumed, the conductor finishes the rollout by itself: 5 s more of wave 1, then 5 s
    // each of waves 2 and 3.
    for c in [&mut a, &mut b] {
        c.until(30, "the rollout complete", |c| {
            c.app
                .state
                .waves
                .iter()
                .all(|w| w.status == WaveStatus::Passed)
        })
        .await;
    }
    assert_eq!(
        log_lines(&log),
        vec![
            "advance w1 10",
            "pause w1 10",
            "resume w1 10",
            "advance w2 50",
            "advance w3 100",
            "advance w3 100 complete",
        ]
    );
    // The conductor's moves are commands by it, with their reasons, on both consoles.
    for c in [&a, &b] {
        let by_conductor: Vec<&str> = c
            .app
            .state
            .commands
            .iter()
            .filter(|cmd| cmd.by.as_deref() == Some(CONDUCTOR))
            .map(|cmd| cmd.reason.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(by_conductor.len(), 4, "{by_conductor:?}");
        assert!(
            by_conductor[1..]
                .iter()
                .all(|r| *r == "approval auto: bake 5s done; no gates"),
            "{by_conductor:?}"
        );
        let actuator_lines = c
            .seen
            .iter()
            .filter(|(_, r)| matches!(&r.body, Body::Feed { text } if text.contains("recorded: ")))
            .count();
        assert!(actuator_lines >= 3, "the actuator's words on the timeline");
    }
    assert_eq!(
        a.app.state.commands.len(),
        b.app.state.commands.len(),
        "the same commands on both consoles"
    );
}
