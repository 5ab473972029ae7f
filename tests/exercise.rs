//! A tabletop exercise over loopback: `warroom serve FIXTURE` with a facilitator, a
//! participant and an observer, each on its own token and its own real WebSocket. The
//! facilitator moves the room's clock and releases an inject early; the others cannot, and
//! the control plane (not their consoles) refuses them.
#![allow(clippy::too_many_lines, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use warroom::core::command::{Action, Command, OutcomeKind, Role};
use warroom::core::record::{Body, Milestone};
use warroom::core::time::Offset;
use warroom::server::exercise::Scripted;
use warroom::server::net::{self, ControlPlane, Tokens};

mod common;
use common::console::{command, Console};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/edgeplug-fleet-rollback-tabletop.jsonl"
);

/// The fixture's records with their injects, as `warroom serve FIXTURE` reads them.
fn script() -> (std::sync::Arc<warroom::core::plan::Plan>, Vec<Scripted>) {
    let mut src = warroom::shell::fixtures::open(FIXTURE).unwrap();
    let mut out = Vec::new();
    let mut line = Vec::new();
    while src.next_records(&mut |r| line.push(r)).unwrap().is_some() {
        let inject: Option<Box<str>> = src.inject().map(Into::into);
        out.extend(line.drain(..).map(|record| Scripted {
            record,
            inject: inject.clone(),
        }));
    }
    (src.fixture().plan.clone(), out)
}

fn exercise_cmd(id: &str, action: Action, item: Option<&str>) -> Command {
    Command {
        item: item.map(String::from),
        ..command(id, action, None, None)
    }
}

fn alert_seen(c: &Console, name: &str) -> Option<Offset> {
    c.seen.iter().find_map(|(_, r)| match &r.body {
        Body::Alert { name: n, .. } if &**n == name => Some(r.t),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facilitator_runs_the_room_clock_and_injects_and_nobody_else_can() {
    let (plan, records) = script();
    let injects: Vec<_> = records.iter().filter(|s| s.inject.is_some()).collect();
    assert!(
        injects.len() >= 2,
        "the tabletop fixture marks its injects ({} found)",
        injects.len()
    );
    let tokens = Tokens::parse(
        "fac-token facilitator dana\npart-token participant erin \"Incident Commander\"\nobs-token observer olga\n",
    )
    .unwrap();
    // Real time: nothing moves unless the facilitator moves it.
    let plane = ControlPlane::from_fixture_in(plan, records, 1.0, tokens, 1, None).unwrap();
    let (addr, serving) = net::bind("127.0.0.1:0".parse().unwrap(), plane.clone())
        .await
        .unwrap();
    tokio::spawn(serving);
    let url = format!("ws://{addr}");
    let mut f = Console::connect(&url, Role::Commander, Some("fac-token"));
    let mut p = Console::connect(&url, Role::Commander, Some("part-token"));
    let mut o = Console::connect(&url, Role::Commander, Some("obs-token"));
    for c in [&mut f, &mut p, &mut o] {
        c.until(10, "the exercise's clock", |c| {
            c.app.live.exercise.is_some()
        })
        .await;
    }
    assert_eq!(
        f.role,
        Some(Role::Facilitator),
        "the token's seat, asked or not"
    );
    assert_eq!(p.role, Some(Role::Commander));
    assert_eq!(o.role, Some(Role::Observer));
    let upcoming: Vec<String> = f
        .app
        .live
        .exercise
        .as_ref()
        .unwrap()
        .injects
        .iter()
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(
        upcoming,
        ["comms-loss", "grid-critical"],
        "the facilitator sees what is to come"
    );
    assert!(
        p.app.live.exercise.as_ref().unwrap().injects.is_empty()
            && o.app.live.exercise.as_ref().unwrap().injects.is_empty(),
        "nobody else is told"
    );

    // The facilitator moves the room to a minute before detection.
    f.commands
        .send(exercise_cmd("f-1", Action::ExerciseSeek, Some("T-1m")))
        .await
        .unwrap();
    p.until(10, "the room at T-1m", |c| {
        c.app.state.now >= Offset(-60_000)
    })
    .await;
    assert_eq!(
        p.app
            .state
            .current_wave()
            .map(|w| p.app.state.plan.spec.waves[w].id.clone())
            .as_deref(),
        Some("batch-3")
    );

    // The facilitator pauses the room: every console's clock stops.
    f.commands
        .send(exercise_cmd("f-2", Action::ExercisePause, None))
        .await
        .unwrap();
    p.until(10, "the pause", |c| {
        c.app.live.exercise.as_ref().is_some_and(|e| e.paused)
    })
    .await;
    o.until(10, "the pause", |c| {
        c.app.live.exercise.as_ref().is_some_and(|e| e.paused)
    })
    .await;
    let held = p.app.state.now;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    p.until(2, "a heartbeat or nothing", |_| true).await;
    assert!(
        plane.now().since(held).millis() < 1_000,
        "paused at {held:?}, the control plane says {:?}",
        plane.now()
    );

    // A participant and an observer cannot touch the clock: refused by the control plane.
    p.commands
        .send(exercise_cmd("p-1", Action::ExerciseResume, None))
        .await
        .unwrap();
    o.commands
        .send(exercise_cmd("o-1", Action::Release, Some("grid-critical")))
        .await
        .unwrap();
    p.until(10, "the participant's refusal", |c| {
        c.problems
            .iter()
            .any(|m| m.contains("only the facilitator's seat may exercise resume"))
    })
    .await;
    o.until(10, "the observer's refusal", |c| {
        c.problems
            .iter()
            .any(|m| m.contains("observers cannot release inject"))
    })
    .await;
    let log = plane.log_since(0);
    assert!(
        log.iter()
            .all(|(_, r)| r["id"] != "p-1" && r["id"] != "o-1"),
        "nothing of theirs was applied"
    );
    assert!(p.app.live.exercise.as_ref().unwrap().paused, "still paused");

    // The facilitator releases an inject early: participants see it only then.
    assert_eq!(alert_seen(&p, "GridStabilityCritical"), None);
    f.commands
        .send(exercise_cmd("f-3", Action::Release, Some("grid-critical")))
        .await
        .unwrap();
    p.until(10, "the released inject", |c| {
        alert_seen(c, "GridStabilityCritical").is_some()
    })
    .await;
    let at = alert_seen(&p, "GridStabilityCritical").unwrap();
    assert!(
        at < Offset(0),
        "released at the room's time ({at:?}), long before its own T+8m10s"
    );
    assert_eq!(
        alert_seen(&p, "DeviceCommunicationLoss"),
        None,
        "the other inject is still hidden"
    );
    f.until(10, "the list without it", |c| {
        c.app.live.exercise.as_ref().unwrap().injects.len() == 1
    })
    .await;
    // Released twice: the first outcome again, and nothing else.
    f.commands
        .send(exercise_cmd("f-3", Action::Release, Some("grid-critical")))
        .await
        .unwrap();
    f.commands
        .send(exercise_cmd("f-4", Action::Release, Some("grid-critical")))
        .await
        .unwrap();
    f.until(10, "the second release's refusal", |c| {
        c.outcome("f-4").is_some()
    })
    .await;
    let (kind, why) = f.outcome("f-4").unwrap();
    assert_eq!(kind, OutcomeKind::Rejected);
    assert!(why.unwrap().contains("still to come: comms-loss"));

    // The room acts while the script plays: a milestone out of order is refused with the
    // reason, a rollback is recorded as the room's decision.
    p.commands
        .send(exercise_cmd("p-2", Action::Milestone, Some("acknowledged")))
        .await
        .unwrap();
    p.commands
        .send(command(
            "p-3",
            Action::Rollback,
            Some("batch-3"),
            Some("safety first"),
        ))
        .await
        .unwrap();
    p.until(10, "the room's outcomes", |c| {
        c.outcome("p-2").is_some() && c.outcome("p-3").is_some()
    })
    .await;
    let (kind, why) = p.outcome("p-2").unwrap();
    assert_eq!(kind, OutcomeKind::Rejected);
    assert!(why.unwrap().contains("out of order: no incident is open"));
    let (kind, why) = p.outcome("p-3").unwrap();
    assert_eq!(kind, OutcomeKind::Accepted);
    assert!(why.unwrap().contains("recorded as the room's decision"));

    // Still paused, the facilitator sets ×20 and moves the room just past detection (T+10s),
    // before the script's own page (T+20s) and acknowledgement (T+45s): the room answers.
    f.commands
        .send(exercise_cmd("f-5", Action::ExerciseSpeed, Some("20")))
        .await
        .unwrap();
    f.commands
        .send(exercise_cmd("f-6", Action::ExerciseSeek, Some("T+12s")))
        .await
        .unwrap();
    p.until(20, "the detection", |c| {
        c.app.state.open_incident().is_some()
    })
    .await;
    f.until(10, "the seek's outcome", |c| c.outcome("f-6").is_some())
        .await;
    assert_eq!(f.outcome("f-6").unwrap().0, OutcomeKind::Accepted);
    assert_eq!(
        plane.now(),
        Offset(12_000),
        "held where the facilitator put it"
    );
    p.commands
        .send(exercise_cmd("p-4", Action::Milestone, Some("ack")))
        .await
        .unwrap();
    p.until(10, "the acknowledgement", |c| {
        c.app.state.open_incident().map(|o| o.reached) == Some(Milestone::Acknowledged)
    })
    .await;
    assert_eq!(
        p.outcome("p-4").unwrap().0,
        OutcomeKind::Accepted,
        "{:?}",
        p.outcome("p-4")
    );
    p.commands
        .send(exercise_cmd("p-5", Action::Milestone, Some("detected")))
        .await
        .unwrap();
    p.until(10, "the second detection's refusal", |c| {
        c.outcome("p-5").is_some()
    })
    .await;
    let (kind, why) = p.outcome("p-5").unwrap();
    assert_eq!(kind, OutcomeKind::Conflict);
    assert!(why.unwrap().contains("an incident is already open"));

    // Every facilitator action is on the timeline, marked as the facilitator's.
    let theirs: Vec<String> = p
        .seen
        .iter()
        .filter(|(_, r)| r.source.as_deref() == Some(net::FACILITATOR))
        .filter_map(|(_, r)| match &r.body {
            Body::Feed { text } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(theirs.len(), 5, "{theirs:#?}");
    assert!(
        theirs.iter().all(|t| t.starts_with("dana (facilitator) ")),
        "{theirs:#?}"
    );
    assert!(theirs[1].contains("paused the exercise clock"));
    assert!(theirs[2].contains("released inject grid-critical"));
    assert!(theirs[4].contains("moved the exercise clock forward"));

    // The participant's recording of the exercise round-trips into a report whose decision
    // latencies are what the room did: the grid alert, released while the clock stood, was
    // answered at once (the refused acknowledgement is the room acting; the facilitator's
    // second release is not); the detection took the 2 s between T+10s and the room's
    // acknowledgement at T+12s. The script itself took 10 s (its page at T+20s).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exercise.jsonl");
    let mut rec = warroom::shell::sinks::Recorder::create(&path).unwrap();
    rec.plan(&p.app.state.plan).unwrap();
    let records: Vec<_> = p.seen.iter().map(|(_, r)| r.clone()).collect();
    rec.records(&records).unwrap();
    drop(rec);
    let ack_at = p
        .seen
        .iter()
        .find_map(|(_, r)| match &r.body {
            Body::Command { id, .. } if &**id == "p-4" => Some(r.t),
            _ => None,
        })
        .expect("the acknowledgement's command on the timeline");
    let detected_at = p
        .seen
        .iter()
        .find_map(|(_, r)| match &r.body {
            Body::Incident {
                milestone: Milestone::Detected,
                ..
            } => Some(r.t),
            _ => None,
        })
        .unwrap();
    assert_eq!((detected_at, ack_at), (Offset(10_000), Offset(12_000)));
    let gather = |f: &str| warroom::mode::gather_report(f).unwrap();
    let mut report = gather(path.to_str().unwrap());
    report.against(&gather(FIXTURE));
    let moment = |key: &str| {
        report
            .moments
            .iter()
            .find(|m| m.key.starts_with(key))
            .unwrap_or_else(|| panic!("{key}: {:#?}", report.moments))
    };
    let detected = moment("incident detected:");
    assert_eq!(detected.t, detected_at);
    assert_eq!(detected.latency(), Some(ack_at.since(detected_at)));
    assert_eq!(
        detected.reference,
        Some(Some(warroom::core::time::Span(10_000)))
    );
    let grid = moment("alert fired:GridStabilityCritical");
    assert_eq!(grid.t, at);
    let (acted, how) = grid.acted.clone().unwrap();
    assert_eq!(acted, at, "answered while the clock stood: {how}");
    assert_eq!(grid.latency(), Some(warroom::core::time::Span(0)));
}
