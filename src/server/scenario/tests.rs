//! Unit tests of the scenario engine: the demo story, commands, idempotency, metrics.

use std::collections::HashMap;

use super::*;
use crate::core::checklist::ItemStatus;
use crate::core::command::{Action, MAX_ID_BYTES, MAX_NOTE_CHARS, MAX_REASON_CHARS, NOT_STARTED};
use crate::core::record::AlertState;
use crate::core::severity::Severity;
use crate::core::slo::Band;
use crate::core::slo::SloState;
use crate::core::status::Status;
use crate::format::encode;
use crate::format::fixture;
use crate::server::scenario::demo::demo_plan;
use crate::server::scenario::demo::DEMO_BAKES;
use crate::server::scenario::demo::DEMO_FIXTURE;
use std::io::Cursor;

const IC: &str = "Maya Chen (Incident Commander)";

fn observe(plan: &Arc<Plan>, records: &[Record]) -> State {
    let mut s = State::new(
        plan.clone(),
        SourceStatus {
            name: "test".into(),
            link: Link::Connected,
        },
        1000,
    );
    for r in records {
        s.apply(Event::Record(r.clone()));
    }
    s
}

/// Ticks every second from `from` to `to` (inclusive), collecting the records.
fn run(sc: &mut Scenario, from: i64, to: i64, out: &mut Vec<Record>) {
    for s in from..=to {
        out.extend(sc.tick(Offset::from_secs(s)));
    }
}

fn cmd(id: &str, action: Action, wave: Option<&str>, reason: Option<&str>) -> Command {
    Command {
        id: id.into(),
        action,
        actor: IC.into(),
        reason: reason.map(Into::into),
        wave: wave.map(Into::into),
        item: None,
        session: None,
    }
}

/// A command aimed at the state `sc` is in now.
fn aimed(sc: &Scenario, id: &str, action: Action, reason: Option<&str>) -> Command {
    let wave = sc
        .state()
        .current_wave()
        .map_or(NOT_STARTED, |w| sc.plan().spec.waves[w].id.as_str());
    cmd(id, action, Some(wave), reason)
}

fn at(s: i64) -> Offset {
    Offset::from_secs(s)
}

fn samples(plan: &Plan, records: &[Record], slo: &str) -> Vec<(Offset, f64)> {
    let i = plan.slo(slo).unwrap();
    records
        .iter()
        .filter_map(|r| match r.body {
            Body::Metric { slo, value } if slo == i => Some((r.t, value.unwrap())),
            _ => None,
        })
        .collect()
}

fn wave_moves(records: &[Record]) -> Vec<(Offset, usize, WaveStatus)> {
    records
        .iter()
        .filter_map(|r| match r.body {
            Body::Wave { wave, state, .. } => Some((r.t, wave, state)),
            _ => None,
        })
        .collect()
}

fn outcome(records: &[Record]) -> (OutcomeKind, Option<String>) {
    records
        .iter()
        .find_map(|r| match &r.body {
            Body::Outcome { result, reason, .. } => {
                Some((*result, reason.as_deref().map(String::from)))
            }
            _ => None,
        })
        .unwrap()
}

fn statuses(s: &State) -> Vec<WaveStatus> {
    s.waves.iter().map(|w| w.status).collect()
}

fn timeline(s: &State) -> Vec<String> {
    (0..s.timeline.len())
        .filter_map(|i| s.timeline.get(i))
        .map(|e| e.text().to_string())
        .collect()
}

/// The demo up to `to` seconds, ticked every second.
fn demo_to(seed: u64, to: i64) -> (Scenario, Vec<Record>) {
    let mut sc = Scenario::batch_patches_demo(seed);
    let mut recs = Vec::new();
    run(&mut sc, 0, to, &mut recs);
    (sc, recs)
}

#[test]
fn the_demo_plan_is_the_flagship_header_with_short_bakes() {
    let plan = demo_plan().unwrap();
    let p = &plan.spec;
    assert_eq!(p.id, "batch-patches-v1.0.0");
    assert_eq!(
        p.t0,
        crate::core::time::Epoch::parse("2025-02-03T17:00:00Z").unwrap()
    );
    let traffic: Vec<f64> = p.waves.iter().map(|w| w.traffic).collect();
    assert_eq!(traffic, [10.0, 25.0, 50.0, 100.0]);
    let bakes: Vec<Option<Span>> = p.waves.iter().map(|w| w.bake).collect();
    assert_eq!(bakes, DEMO_BAKES.map(|s| Some(Span::from_secs(s))).to_vec());
    assert_eq!(p.sample_interval, Span::from_secs(2));
    let er = &p.slos[plan.slo("error_rate").unwrap()];
    assert_eq!((er.warning, er.critical), (5.0, 10.0));
    assert_eq!(er.triggers[0].above, Some(10.0));
    assert_eq!(er.triggers[0].for_, Span::from_secs(20));
    assert_eq!(p.waves[2].gates[2].label, "Error rate < 5%");
    assert_eq!(plan.item("w1_alarm_tests"), Some((4, 0)));
    assert_eq!(p.slos.len(), 7);
}

#[test]
#[expect(clippy::too_many_lines, reason = "the demo story, step by step")]
fn the_demo_advances_to_wave_3_where_the_fault_holds_it() {
    let (sc, recs) = demo_to(42, 240);
    let plan = sc.plan().clone();
    assert!(recs.windows(2).all(|w| w[0].t <= w[1].t), "time order");
    // The pre-deployment sign-offs come first, then wave 1 at T0.
    let first_wave = recs
        .iter()
        .position(|r| matches!(r.body, Body::Wave { .. }))
        .unwrap();
    assert!(first_wave > 0);
    assert!(recs[..first_wave].iter().all(|r| r.t == Offset::ZERO
        && matches!(
            r.body,
            Body::Check {
                state: ItemStatus::Done,
                ..
            }
        )));
    assert_eq!(
        wave_moves(&recs),
        [
            (at(0), 0, WaveStatus::Active),
            (at(40), 0, WaveStatus::Passed),
            (at(40), 1, WaveStatus::Active),
            (at(100), 1, WaveStatus::Passed),
            (at(100), 2, WaveStatus::Active),
        ]
    );
    // The go/no-go items are ticked just before each move, by their owners.
    let (s, i) = plan.item("w1_alarm_tests").unwrap();
    let tick = recs
        .iter()
        .position(|r| {
            matches!(&r.body, Body::Check { section, item, by, .. }
            if (*section, *item) == (s, i) && by.as_deref() == Some("Development Lead"))
        })
        .unwrap();
    assert_eq!(recs[tick].t, at(40));
    assert!(matches!(
        recs[tick + 2].body,
        Body::Wave {
            wave: 0,
            state: WaveStatus::Passed,
            ..
        }
    ));

    let state = observe(&plan, &recs);
    assert_eq!(
        statuses(&state),
        [
            WaveStatus::Passed,
            WaveStatus::Passed,
            WaveStatus::Active,
            WaveStatus::Pending
        ],
        "wave 4 must not start while the gates block"
    );
    assert!((state.traffic - 50.0).abs() < 1e-9);

    // Samples every 2 s; healthy until the fault shows ~25 s into wave 3 (T+100s).
    let errors = samples(&plan, &recs, "error_rate");
    assert_eq!(errors.len(), 121);
    assert!(errors
        .iter()
        .filter(|(t, _)| *t < at(125))
        .all(|(_, v)| *v < 3.0));
    let first_bad = errors.iter().find(|(_, v)| *v > 5.0).unwrap().0;
    assert!((at(125)..=at(140)).contains(&first_bad), "{first_bad:?}");
    let peak = errors.iter().map(|x| x.1).fold(0.0, f64::max);
    assert!((13.5..=17.0).contains(&peak), "peak error rate {peak}");
    for (slo, calm, climbed) in [("p95_latency", 400.0, 600.0), ("p99_latency", 520.0, 800.0)] {
        let v = samples(&plan, &recs, slo);
        assert!(
            v.iter()
                .filter(|(t, _)| *t < at(125))
                .all(|(_, v)| *v < calm),
            "{slo}"
        );
        assert!(v.iter().any(|(_, v)| *v > climbed), "{slo} climbs");
    }
    let success = samples(&plan, &recs, "success_rate");
    assert!(success
        .iter()
        .zip(&errors)
        .all(|(s, e)| (s.1 + e.1 - 100.0).abs() < 1e-9));

    let er = plan.slo("error_rate").unwrap();
    assert_eq!(state.slos[er].band(), Band::Crit);
    assert!(state.slos[er].breaches[0].fired, "rollback trigger fired");
    let lines = timeline(&state);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ROLLBACK TRIGGER FIRED: Error Rate above 10% for 20s")),
        "{lines:#?}"
    );
    assert!(state.alerts.contains_key("BatchPatchesErrorRateCritical"));
    assert!(state.alerts.contains_key("BatchPatchesErrorRateHigh"));
    assert_eq!(state.status, Status::Critical);
    let gates = state.next_gates();
    for label in ["Zero CRITICAL alerts", "Error rate < 5%"] {
        assert!(
            gates.iter().any(|g| g.label == label && !g.green),
            "{gates:#?}"
        );
    }
    // Its bake done, wave 3 holds and says why, once.
    let holds: Vec<&Record> = recs
        .iter()
        .filter(|r| matches!(&r.body, Body::Note { text, .. } if text.contains("holding")))
        .collect();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].t, at(160));
    assert!(
        matches!(&holds[0].body, Body::Note { text, .. } if text.contains("Error rate < 5% (Error Rate CRIT)")),
        "{:?}",
        holds[0]
    );
    // Wave 3's go/no-go items were not signed off.
    let (s, i) = plan.item("w3_metrics_stable").unwrap();
    assert_eq!(state.checklist.items[s][i].status, ItemStatus::Open);
    // Metrics from the simulation, everything else from the control plane.
    assert!(recs.iter().all(|r| {
        let simulated = matches!(r.body, Body::Metric { .. } | Body::Alert { .. });
        r.source.as_deref() == Some(if simulated { SIMULATION } else { CONTROL_PLANE })
    }));
    // The scenario's own state is what an observer of its records sees.
    assert_eq!(statuses(sc.state()), statuses(&state));
    assert_eq!(sc.state().slos[er].band(), Band::Crit);
}

#[test]
fn rollback_during_the_fault_recovers_the_error_rate() {
    let (mut sc, mut recs) = demo_to(42, 170);
    let plan = sc.plan().clone();
    let er = plan.slo("error_rate").unwrap();
    assert_eq!(observe(&plan, &recs).slos[er].band(), Band::Crit);
    let out = sc.command(
        &cmd(
            "rb-1",
            Action::Rollback,
            Some("w3"),
            Some("Error rate > 10% for 20s: disable feature flag batch-patches-v1"),
        ),
        at(170),
    );
    assert_eq!(out.len(), 3, "{out:#?}");
    assert!(out.iter().all(|r| r.t == at(170)));
    assert!(
        matches!(&out[0].body, Body::Command { id, action: Action::Rollback, wave: Some(2), by, .. }
        if &**id == "rb-1" && by.as_deref() == Some(IC))
    );
    assert_eq!(
        out[1].body,
        Body::Outcome {
            id: "rb-1".into(),
            result: OutcomeKind::Accepted,
            reason: None
        }
    );
    assert!(matches!(
        out[2].body,
        Body::Wave { wave: 2, state: WaveStatus::RolledBack, traffic: Some(t), .. } if t == 0.0
    ));
    recs.extend(out);
    run(&mut sc, 171, 240, &mut recs);

    let after: Vec<f64> = samples(&plan, &recs, "error_rate")
        .into_iter()
        .filter(|(t, _)| *t > at(170))
        .map(|(_, v)| v)
        .collect();
    let back = after.iter().position(|v| *v < 5.0).unwrap();
    assert!(
        back < 10,
        "back under the warning line after {back} samples: {after:?}"
    );
    assert!(after[back..].iter().all(|v| *v < 5.0), "{after:?}");
    assert!(
        after[after.len() - 5..].iter().all(|v| *v < 2.5),
        "{after:?}"
    );

    let state = observe(&plan, &recs);
    assert_eq!(state.waves[2].status, WaveStatus::RolledBack);
    assert!(state.traffic.abs() < 1e-12);
    assert_eq!(state.waves[3].status, WaveStatus::Pending);
    assert_eq!(state.status, Status::RolledBack);
    assert_eq!(state.slos[er].band(), Band::Pass);
    assert!(!state.slos[er].breaches[0].fired);
    assert_eq!(
        state.firing(Severity::Warning),
        0,
        "{:?}",
        state.alerts.keys()
    );
    assert!(recs.iter().any(|r| matches!(&r.body,
        Body::Alert { name, state: AlertState::Resolved, .. } if &**name == "BatchPatchesErrorRateCritical")));
}

#[test]
fn the_same_command_id_twice_has_one_effect_and_the_same_outcome() {
    let (mut sc, _) = demo_to(3, 10);
    let c = cmd("adv-1", Action::Advance, Some("w1"), Some("all green, go"));
    let first = sc.command(&c, at(10));
    let kinds: Vec<&str> = first
        .iter()
        .map(|r| match r.body {
            Body::Command { .. } => "command",
            Body::Outcome { .. } => "outcome",
            Body::Check { .. } => "check",
            Body::Wave { .. } => "wave",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["command", "outcome", "check", "check", "wave", "wave"]
    );
    assert_eq!(outcome(&first), (OutcomeKind::Accepted, None));
    assert_eq!(
        wave_moves(&first),
        [
            (at(10), 0, WaveStatus::Passed),
            (at(10), 1, WaveStatus::Active)
        ]
    );
    let before = statuses(sc.state());

    let again = sc.command(&c, at(10));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].body, first[1].body);
    // Later, too (after the ticks in between), and however the retry is worded.
    sc.tick(at(30));
    let mut retry = c.clone();
    retry.reason = Some("retrying".into());
    let later = sc.command(&retry, at(30));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].body, first[1].body);
    assert_eq!(later[0].t, at(30));
    assert_eq!(statuses(sc.state()), before);
    assert!((sc.state().traffic - 25.0).abs() < 1e-9);

    // A refusal is remembered as well.
    let bad = cmd("p-1", Action::Pause, None, None);
    let no = sc.command(&bad, at(30));
    let no_again = sc.command(&bad, at(30));
    assert_eq!(no_again.len(), 1);
    assert_eq!(outcome(&no), outcome(&no_again));
    assert_eq!(outcome(&no).0, OutcomeKind::Rejected);
}

#[test]
fn of_two_advances_aimed_at_the_same_wave_the_second_conflicts() {
    let (mut sc, _) = demo_to(5, 10);
    let a = sc.command(&cmd("a", Action::Advance, Some("w1"), None), at(10));
    let b = sc.command(&cmd("b", Action::Advance, Some("w1"), None), at(10));
    assert_eq!(outcome(&a), (OutcomeKind::Accepted, None));
    let (kind, reason) = outcome(&b);
    assert_eq!(kind, OutcomeKind::Conflict);
    assert_eq!(
        reason.as_deref(),
        Some("wave w1 is now passed; current wave is w2 (active)")
    );
    assert_eq!(b.len(), 2, "a conflict changes nothing: {b:#?}");
    assert_eq!(sc.state().current_wave(), Some(1));
    // A command aimed at a wave that has not started conflicts too.
    let c = sc.command(&cmd("c", Action::Pause, Some("w3"), Some("hold")), at(10));
    assert_eq!(
        outcome(&c),
        (
            OutcomeKind::Conflict,
            Some("wave w3 has not started; current wave is w2 (active)".into())
        )
    );
}

/// The demo's plan with no wave started and nothing to start one but a command.
fn not_started() -> Scenario {
    let fresh = State::new(
        demo_plan().unwrap(),
        SourceStatus {
            name: "t".into(),
            link: Link::Replay,
        },
        10,
    );
    Scenario::from_state(&fresh, 1, false)
}

#[test]
fn commands_are_serialised_against_the_state_they_name_even_before_the_start() {
    let mut sc = not_started();
    // Two commanders advance the rollout that has not started: the first starts wave 1,
    // the second was aimed at the state before it and changes nothing.
    let a = sc.command(&cmd("a", Action::Advance, Some(NOT_STARTED), None), at(5));
    let b = sc.command(&cmd("b", Action::Advance, Some(NOT_STARTED), None), at(5));
    assert_eq!(outcome(&a), (OutcomeKind::Accepted, None));
    assert_eq!(
        outcome(&b),
        (
            OutcomeKind::Conflict,
            Some("aimed at the rollout before it started; current wave is w1 (active)".into())
        )
    );
    assert_eq!(b.len(), 2, "{b:#?}");
    assert_eq!(sc.state().current_wave(), Some(0));
    // Without a wave, a rollout action is refused whatever the state; a note needs none.
    for action in [
        Action::Advance,
        Action::Pause,
        Action::Rollback,
        Action::Resume,
    ] {
        let out = sc.command(
            &cmd(&format!("n-{action:?}"), action, None, Some("x")),
            at(6),
        );
        assert_eq!(outcome(&out).0, OutcomeKind::Rejected, "{action:?}");
    }
    assert_eq!(sc.state().current_wave(), Some(0));
    assert_eq!(sc.state().waves[0].status, WaveStatus::Active);
    let note = sc.command(&cmd("n", Action::Note, None, Some("hi")), at(6));
    assert_eq!(outcome(&note).0, OutcomeKind::Accepted);
    // Ids are never cut to fit: two long ids sharing their first 128 bytes are refused, and
    // the longest allowed id comes back byte for byte.
    let long = "k".repeat(MAX_ID_BYTES);
    for id in [format!("{long}-1"), format!("{long}-2")] {
        let c = cmd(&id, Action::Note, None, Some("hi"));
        assert!(c.check_limits().unwrap_err().contains("at most 128"));
        assert!(sc.command(&c, at(7)).is_empty());
    }
    let out = sc.command(&cmd(&long, Action::Note, None, Some("hi")), at(7));
    assert!(
        matches!(&out[1].body, Body::Outcome { id, result: OutcomeKind::Accepted, .. } if **id == *long)
    );
    // No id, or one that could not come back byte for byte: refused as a message by the
    // network edge, so nothing about it is recorded.
    for id in [" ", "a\u{1b}[2J", &"x".repeat(129)] {
        let c = cmd(id, Action::Note, None, Some("hello"));
        assert!(c.check_limits().is_err(), "{id:?}");
        assert!(sc.command(&c, at(7)).is_empty(), "{id:?}");
    }
    // A rollout action must say what it is aimed at.
    let out = sc.command(&cmd("2b", Action::Advance, None, None), at(7));
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Rejected,
            Some("advance must name the wave it is aimed at (`wave`: the current wave's id, or \"not started\")".into())
        )
    );
    // A reason over the limit is refused, not cut.
    let c = cmd(
        "r",
        Action::Pause,
        Some("w1"),
        Some(&"é".repeat(MAX_REASON_CHARS + 1)),
    );
    assert!(c
        .check_limits()
        .unwrap_err()
        .starts_with("`reason` is 513 characters; at most 512"));
    assert!(sc.command(&c, at(7)).is_empty());
}

/// A note's text may be a whole status update (up to 4,096 characters, not the 512 of other
/// reasons): on the timeline whole, and whole again when the journal is read back.
#[test]
fn a_note_holds_a_whole_status_update() {
    let mut sc = not_started();
    let long = "é".repeat(MAX_REASON_CHARS + 1);
    assert_eq!(
        cmd("n", Action::Note, None, Some(&long)).check_limits(),
        Ok(())
    );
    let c = cmd(
        "n2",
        Action::Note,
        None,
        Some(&"é".repeat(MAX_NOTE_CHARS + 1)),
    );
    assert!(c
        .check_limits()
        .unwrap_err()
        .starts_with("`reason` is 4097 characters; at most 4096"));
    let out = sc.command(
        &cmd("status-update", Action::Note, None, Some(&long)),
        Offset::from_secs(7),
    );
    let noted: Vec<&str> = out
        .iter()
        .filter_map(|r| match &r.body {
            Body::Note { text, .. } => Some(&**text),
            _ => None,
        })
        .collect();
    assert_eq!(noted, [long.as_str()], "on the timeline whole");
    // And whole again when the journal or a recording is read back, its command too.
    let plan = sc.plan().clone();
    let mut text = encode::header(&plan.spec).to_string();
    for r in &out {
        text.push('\n');
        text.push_str(&encode::record(r, &plan).to_string());
    }
    let mut rd = fixture::open("journal", Cursor::new(text.as_bytes())).unwrap();
    let mut back = Vec::new();
    while rd.next_records(&mut |r| back.push(r)).unwrap().is_some() {}
    let whole = |r: &Record| match &r.body {
        Body::Note { text, .. } => **text == *long,
        Body::Command { reason, .. } => reason.as_deref() == Some(long.as_str()),
        _ => false,
    };
    assert_eq!(back.iter().filter(|r| whole(r)).count(), 2, "{back:#?}");
}

#[test]
fn pause_stops_the_bake_clock_and_resume_continues_it() {
    let (mut sc, _) = demo_to(9, 20);
    let plan = sc.plan().clone();
    let p = sc.command(
        &cmd(
            "p",
            Action::Pause,
            Some("w1"),
            Some("DB team checking locks"),
        ),
        at(20),
    );
    assert_eq!(outcome(&p).0, OutcomeKind::Accepted);
    assert_eq!(wave_moves(&p), [(at(20), 0, WaveStatus::Paused)]);
    assert!(
        matches!(&p[2].body, Body::Wave { text: Some(t), .. } if &**t == "DB team checking locks")
    );
    let twice = sc.command(&aimed(&sc, "p2", Action::Pause, Some("again")), at(20));
    assert_eq!(
        outcome(&twice),
        (
            OutcomeKind::Conflict,
            Some("wave w1 is already paused".into())
        )
    );

    let mut recs = Vec::new();
    run(&mut sc, 21, 120, &mut recs);
    assert!(wave_moves(&recs).is_empty(), "no advance while paused");
    assert_eq!(sc.state().waves[0].status, WaveStatus::Paused);
    assert_eq!(sc.state().waves[0].baked(at(120)), Span::from_secs(20));
    // Samples go on while paused.
    assert_eq!(samples(&plan, &recs, "error_rate").len(), 50);

    let r = sc.command(&cmd("r", Action::Resume, Some("w1"), None), at(120));
    assert_eq!(wave_moves(&r), [(at(120), 0, WaveStatus::Active)]);
    let mut recs = Vec::new();
    run(&mut sc, 121, 150, &mut recs);
    // 20 s of bake were left: wave 2 starts at T+140s.
    assert_eq!(
        wave_moves(&recs),
        [
            (at(140), 0, WaveStatus::Passed),
            (at(140), 1, WaveStatus::Active)
        ]
    );
}

#[test]
fn commands_are_judged_on_their_own_and_against_the_state() {
    let (mut sc, _) = demo_to(11, 20);
    let before = statuses(sc.state());
    let judged = |sc: &mut Scenario, c: Command| {
        let out = sc.command(&c, sc.clock());
        (outcome(&out), out)
    };
    // Observer-independent checks: no reason, no id, unknown wave.
    let ((kind, why), out) = judged(&mut sc, cmd("1", Action::Pause, Some("w1"), None));
    assert_eq!(
        (kind, why.as_deref()),
        (OutcomeKind::Rejected, Some("pause needs a reason"))
    );
    assert_eq!(out.len(), 2);
    let ((kind, _), _) = judged(&mut sc, cmd("2", Action::Rollback, None, Some("  ")));
    assert_eq!(kind, OutcomeKind::Rejected);
    let ((kind, why), _) = judged(&mut sc, cmd("3", Action::Advance, Some("w9"), None));
    assert_eq!(
        (kind, why.as_deref()),
        (OutcomeKind::Rejected, Some("no wave \"w9\" in the plan"))
    );
    // Resume when not paused.
    let ((kind, why), _) = {
        let c = aimed(&sc, "4", Action::Resume, None);
        judged(&mut sc, c)
    };
    assert_eq!(
        (kind, why.as_deref()),
        (OutcomeKind::Rejected, Some("wave w1 is active, not paused"))
    );
    // Paused: advance asks for a resume first.
    let c = aimed(&sc, "5", Action::Pause, Some("hold"));
    judged(&mut sc, c);
    let ((kind, why), _) = {
        let c = aimed(&sc, "6", Action::Advance, None);
        judged(&mut sc, c)
    };
    assert_eq!(kind, OutcomeKind::Rejected);
    assert!(why.unwrap().contains("resume"));
    let c = aimed(&sc, "7", Action::Resume, None);
    judged(&mut sc, c);
    assert_eq!(statuses(sc.state()), before);
    // A note is published with its reason as text.
    let ((kind, _), out) = judged(&mut sc, cmd("8", Action::Note, None, Some("coffee's on")));
    assert_eq!(kind, OutcomeKind::Accepted);
    assert_eq!(
        out[2].body,
        Body::Note {
            by: Some(IC.into()),
            text: "coffee's on".into()
        }
    );

    // During the fault, advance is refused with the blocking gates named.
    let (mut sc, _) = demo_to(11, 170);
    let ((kind, why), out) = judged(&mut sc, cmd("9", Action::Advance, Some("w3"), None));
    assert_eq!(kind, OutcomeKind::Rejected);
    let why = why.unwrap();
    assert!(why.starts_with("gates block: "), "{why}");
    assert!(why.contains("Zero CRITICAL alerts ("), "{why}");
    assert!(why.contains("Error rate < 5% (Error Rate CRIT)"), "{why}");
    assert!(
        !why.contains("Monitoring coverage"),
        "open items are signed off, not blockers: {why}"
    );
    assert_eq!(out.len(), 2);
    // After the rollback, nothing is left to roll back or advance: the state moved.
    judged(
        &mut sc,
        cmd("10", Action::Rollback, Some("w3"), Some("trigger")),
    );
    for (id, action) in [("11", Action::Rollback), ("12", Action::Advance)] {
        let ((kind, why), _) = judged(&mut sc, cmd(id, action, Some("w3"), Some("again")));
        assert_eq!(
            (kind, why.as_deref()),
            (OutcomeKind::Conflict, Some("wave w3 is now rolled_back"))
        );
    }
}

#[test]
fn the_last_wave_and_a_rollout_not_started_refuse_what_cannot_apply() {
    let judged = |sc: &mut Scenario, c: Command| {
        let out = sc.command(&c, sc.clock());
        (outcome(&out), out)
    };
    let mut last = Scenario::batch_patches_demo(1);
    last.tick(at(0));
    for (n, w) in ["w1", "w2", "w3"].iter().enumerate() {
        let c = cmd(&format!("go-{n}"), Action::Advance, Some(w), None);
        assert_eq!(outcome(&last.command(&c, at(1))).0, OutcomeKind::Accepted);
    }
    let ((kind, why), _) = judged(&mut last, cmd("end", Action::Advance, Some("w4"), None));
    assert_eq!(
        (kind, why.as_deref()),
        (
            OutcomeKind::Rejected,
            Some("wave w4 is the last wave: there is nothing to advance to")
        )
    );
    // Before the start nothing is on the new version.
    let mut idle = not_started();
    let ((kind, why), _) = judged(
        &mut idle,
        cmd(
            "rb",
            Action::Rollback,
            Some(NOT_STARTED),
            Some("just in case"),
        ),
    );
    assert_eq!(kind, OutcomeKind::Rejected);
    assert!(why.unwrap().starts_with("nothing is on the new version"));
}

/// A run with a pause, a resume and a rollback, as JSON lines.
fn scripted(seed: u64) -> Vec<String> {
    let mut sc = Scenario::batch_patches_demo(seed);
    let plan = sc.plan().clone();
    let mut recs = Vec::new();
    for s in 0..=200 {
        recs.extend(sc.tick(at(s)));
        match s {
            30 => recs.extend(sc.command(&aimed(&sc, "p", Action::Pause, Some("look")), at(s))),
            50 => recs.extend(sc.command(&aimed(&sc, "r", Action::Resume, None), at(s))),
            180 => recs.extend(sc.command(
                &cmd("rb", Action::Rollback, Some("w3"), Some("errors")),
                at(s),
            )),
            _ => {}
        }
    }
    recs.iter()
        .map(|r| encode::record(r, &plan).to_string())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_records_and_another_seed_other_values() {
    let a = scripted(7);
    assert_eq!(a, scripted(7));
    let b = scripted(8);
    let metrics = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.contains("\"type\":\"metric\""))
            .cloned()
            .collect()
    };
    assert_eq!(metrics(&a).len(), metrics(&b).len());
    assert_ne!(metrics(&a), metrics(&b));
    // The story is the same: same wave moves at the same times.
    let waves = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.contains("\"type\":\"wave\""))
            .cloned()
            .collect()
    };
    assert_eq!(waves(&a), waves(&b));
    // The tick cadence does not change what happens.
    let mut coarse = Scenario::batch_patches_demo(7);
    let plan = coarse.plan().clone();
    let mut recs = coarse.tick(at(30));
    recs.extend(coarse.command(&aimed(&coarse, "p", Action::Pause, Some("look")), at(30)));
    recs.extend(coarse.tick(at(50)));
    recs.extend(coarse.command(&aimed(&coarse, "r", Action::Resume, None), at(50)));
    recs.extend(coarse.tick(at(180)));
    recs.extend(coarse.command(
        &cmd("rb", Action::Rollback, Some("w3"), Some("errors")),
        at(180),
    ));
    recs.extend(coarse.tick(at(200)));
    let coarse: Vec<String> = recs
        .iter()
        .map(|r| encode::record(r, &plan).to_string())
        .collect();
    assert_eq!(coarse, a);
}

/// One sample line of the exposition: name, labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// A small parser of the Prometheus text format that insists on its shapes.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let valid_name = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut types: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name, what) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            assert!(valid_name(name), "{line}");
            match kw {
                "HELP" => assert!(!what.is_empty()),
                "TYPE" => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&what),
                        "{line}"
                    );
                    assert!(
                        types.insert(name.into(), what.into()).is_none(),
                        "one TYPE per family"
                    );
                }
                _ => panic!("unexpected comment {line}"),
            }
            continue;
        }
        let end = line.find(['{', ' ']).unwrap();
        let name = &line[..end];
        assert!(valid_name(name), "{line}");
        let mut rest = &line[end..];
        let mut labels = Vec::new();
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices();
            loop {
                let mut key = String::new();
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert!(valid_name(&key), "{line}");
                assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line}");
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next().unwrap().1 {
                            'n' => value.push('\n'),
                            c @ ('\\' | '"') => value.push(c),
                            c => panic!("bad escape \\{c} in {line}"),
                        },
                        '"' => break,
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                match chars.next() {
                    Some((_, ',')) => {}
                    Some((i, '}')) => {
                        rest = &body[i + 1..];
                        break;
                    }
                    other => panic!("{other:?} in {line}"),
                }
            }
        }
        let value = rest.strip_prefix(' ').unwrap();
        assert!(!value.contains(' '), "no timestamps here: {line}");
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "TYPE before samples: {line}");
        out.push((name.to_string(), labels, v));
    }
    out
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && l.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
        })
        .unwrap_or_else(|| panic!("no {name} {labels:?}"))
        .2
}

#[test]
fn metrics_parse_as_prometheus_text_and_counters_only_go_up() {
    let (mut sc, _) = demo_to(4, 50);
    let first = parse_exposition(&sc.metrics_text(at(50)));
    let share = |s: &[Sample], v: &str| value(s, "warroom_traffic_share", &[("version", v)]);
    assert!((share(&first, "v1.0.0") - 0.25).abs() < 1e-9);
    assert!((share(&first, "legacy") - 0.75).abs() < 1e-9);
    let total = value(&first, "warroom_requests_total", &[("version", "legacy")])
        + value(&first, "warroom_requests_total", &[("version", "v1.0.0")]);
    assert!((total - sli::REQUEST_RATE * 50.0).abs() <= 2.0, "{total}");
    for v in ["legacy", "v1.0.0"] {
        let buckets: Vec<f64> = first
            .iter()
            .filter(|(n, l, _)| n == "warroom_request_duration_seconds_bucket" && l[0].1 == v)
            .map(|x| x.2)
            .collect();
        assert_eq!(buckets.len(), sli::BUCKETS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
        let count = value(
            &first,
            "warroom_request_duration_seconds_count",
            &[("version", v)],
        );
        assert!((buckets[buckets.len() - 1] - count).abs() < 1e-9);
        assert!(value(&first, "warroom_request_errors_total", &[("version", v)]) <= count);
    }
    // Asking past the clock counts no further than the clock.
    assert_eq!(sc.metrics_text(at(10_000)), sc.metrics_text(at(50)));

    let mut during = Vec::new();
    for (t, s) in [(120, 0), (150, 0), (170, 0)] {
        let _ = s;
        sc.tick(at(t));
        during.push(parse_exposition(&sc.metrics_text(at(t))));
    }
    let mut prev = &first;
    for now in &during {
        for (name, labels, v) in now.iter().filter(|(n, _, _)| {
            n.ends_with("_total")
                || n.ends_with("_bucket")
                || n.ends_with("_count")
                || n.ends_with("_sum")
        }) {
            let l: Vec<(&str, &str)> = labels
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let before = value(prev, name, &l);
            assert!(*v >= before, "{name} {labels:?} went from {before} to {v}");
        }
        let grew = |n: &str| {
            value(now, n, &[("version", "v1.0.0")]) > value(prev, n, &[("version", "v1.0.0")])
        };
        assert!(grew("warroom_requests_total"));
        prev = now;
    }
    // The fault shows in the new version's errors: ~28 % of its requests at full strength.
    let errors = |s: &[Sample]| value(s, "warroom_request_errors_total", &[("version", "v1.0.0")]);
    let requests = |s: &[Sample]| value(s, "warroom_requests_total", &[("version", "v1.0.0")]);
    let ratio =
        (errors(&during[2]) - errors(&during[1])) / (requests(&during[2]) - requests(&during[1]));
    assert!(ratio > 0.2, "{ratio}");
    let slo = value(&during[2], "warroom_slo_sample", &[("slo", "error_rate")]);
    assert!(slo > 10.0, "{slo}");

    // After the rollback the router sends nothing to the new version.
    sc.command(&aimed(&sc, "rb", Action::Rollback, Some("errors")), at(170));
    sc.tick(at(180));
    let after = parse_exposition(&sc.metrics_text(at(180)));
    assert!(share(&after, "v1.0.0").abs() < 1e-12);
    assert!((share(&after, "legacy") - 1.0).abs() < 1e-12);
    // Connections drain within seconds: the new version's count all but stops.
    sc.tick(at(240));
    let later = parse_exposition(&sc.metrics_text(at(240)));
    assert!(requests(&later) - requests(&after) < 5.0);
}

/// The flagship fixture played to its end.
fn fixture_end() -> State {
    let mut rd = fixture::open("f", Cursor::new(DEMO_FIXTURE.as_bytes())).unwrap();
    let plan = rd.fixture().plan.clone();
    let mut state = State::new(
        plan,
        SourceStatus {
            name: "f".into(),
            link: Link::Replay,
        },
        1000,
    );
    while rd
        .next_records(&mut |r| {
            state.apply(Event::Record(r));
        })
        .unwrap()
        .is_some()
    {}
    state
}

#[test]
fn a_fixture_played_to_its_end_answers_commands_and_keeps_sampling() {
    let state = fixture_end();
    let end = state.now;
    let mut sc = Scenario::from_state(&state, 1, false);
    assert_eq!(sc.clock(), end);
    let recs = sc.tick(end.saturating_add(Span::from_secs(3600)));
    let plan = sc.plan().clone();
    // Every 15 minutes, on the plan's grid, healthy like the fixture's last samples.
    let errors = samples(&plan, &recs, "error_rate");
    assert_eq!(errors.len(), 4);
    assert!(errors.iter().all(|(t, _)| t.0 % 900_000 == 0));
    assert!(wave_moves(&recs).is_empty());
    let mut seen = state.clone();
    for r in &recs {
        seen.apply(Event::Record(r.clone()));
    }
    assert!(
        seen.slos.iter().all(|s| s.band() == Band::Pass),
        "{:?}",
        seen.slos.iter().map(SloState::band).collect::<Vec<_>>()
    );
    assert_eq!(seen.firing(Severity::Warning), 0);

    let now = sc.clock();
    let out = sc.command(&aimed(&sc, "x", Action::Advance, Some("try")), now);
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Conflict,
            Some("wave w3 is now rolled_back".into())
        )
    );
    // The fixture's own command ids are known: a retry gets the fixture's outcome.
    let out = sc.command(
        &cmd("cmd-4", Action::Rollback, Some("w3"), Some("retry")),
        now,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Accepted,
            Some("./deploy_tools/disable-feature-flag.sh batch-patches-v1 completed in 18s".into())
        )
    );
}

#[test]
fn from_state_with_auto_advance_starts_and_advances_any_plan() {
    let text = format!("{}\n", crate::shell::generate::HEADER);
    let rd = fixture::open("synthetic", Cursor::new(text.as_bytes())).unwrap();
    let plan = rd.fixture().plan.clone();
    let fresh = State::new(
        plan.clone(),
        SourceStatus {
            name: "t".into(),
            link: Link::Replay,
        },
        10,
    );
    let mut sc = Scenario::from_state(&fresh, 2, true);
    let mut recs = sc.tick(Offset::ZERO);
    assert_eq!(wave_moves(&recs), [(Offset::ZERO, 0, WaveStatus::Active)]);
    recs.extend(sc.tick(at(6 * 3600 + 5)));
    let state = observe(&plan, &recs);
    assert_eq!(
        statuses(&state)[..2],
        [WaveStatus::Passed, WaveStatus::Active],
        "wave 1 bakes 6h, then advances"
    );
    assert_eq!(wave_moves(&recs)[1].0, at(6 * 3600));
    assert!(state.slos.iter().all(|s| s.band() == Band::Pass));
    let invariants = samples(&plan, &recs, "invariants");
    assert!(invariants
        .iter()
        .all(|(_, v)| v.fract() == 0.0 && *v >= 0.0));
    assert!(state.alerts.is_empty());
}

#[test]
fn a_scenario_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<Scenario>();
}

#[test]
fn a_long_gap_in_ticks_is_caught_up_within_bounds() {
    let mut sc = Scenario::batch_patches_demo(1);
    let recs = sc.tick(at(100_000));
    let plan = sc.plan().clone();
    let n = samples(&plan, &recs, "error_rate").len();
    assert!(n <= usize::try_from(MAX_CATCH_UP).unwrap() + 2, "{n}");
    assert!(recs.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(sc.tick(at(50)).is_empty(), "time does not go back");
}

#[test]
fn alertmanager_detects_acknowledges_and_mitigates_the_incident() {
    use crate::core::record::Milestone;
    use crate::core::source::ALERTMANAGER;
    let mut sc = not_started();
    let alert = |id: &str, state: AlertState, severity: Severity| Record {
        t: Offset::ZERO,
        source: Some(ALERTMANAGER.into()),
        body: Body::Alert {
            id: id.into(),
            name: format!("Alert{id}").into(),
            state,
            severity,
            summary: None,
        },
    };
    let milestones = |out: &[Record]| -> Vec<(Milestone, String)> {
        out.iter()
            .filter_map(|r| match &r.body {
                Body::Incident {
                    milestone, text, ..
                } => Some((*milestone, text.as_deref().unwrap_or("").to_string())),
                _ => None,
            })
            .collect()
    };
    let mut at = 0;
    let mut step = |sc: &mut Scenario, r: Record| {
        at += 1;
        milestones(&sc.observe(vec![r], Offset::from_secs(at)))
    };
    // A warning does not page; a critical alert opens the incident, once.
    assert!(step(&mut sc, alert("w", AlertState::Firing, Severity::Warning)).is_empty());
    assert_eq!(
        step(&mut sc, alert("1", AlertState::Firing, Severity::Critical)),
        [(Milestone::Detected, "Alert1 firing".to_string())]
    );
    let open = sc.state().open_incident().unwrap();
    assert_eq!(open.severity, Severity::Critical);
    assert!(step(&mut sc, alert("2", AlertState::Firing, Severity::Critical)).is_empty());
    // A silence acknowledges it.
    assert_eq!(
        step(
            &mut sc,
            alert("1", AlertState::Silenced, Severity::Critical)
        ),
        [(
            Milestone::Acknowledged,
            "Alert1 silenced in Alertmanager".to_string()
        )]
    );
    // Mitigated only when no critical alert is left, silenced ones included.
    assert!(step(
        &mut sc,
        alert("2", AlertState::Resolved, Severity::Critical)
    )
    .is_empty());
    assert_eq!(
        step(
            &mut sc,
            alert("1", AlertState::Resolved, Severity::Critical)
        ),
        [(
            Milestone::Mitigated,
            "Alert1 resolved: no critical alert firing".to_string()
        )]
    );
    // Resolution is a person's: a new critical alert while mitigated opens nothing new.
    assert!(step(&mut sc, alert("3", AlertState::Firing, Severity::Critical)).is_empty());
    assert_eq!(
        sc.state().open_incident().map(|o| o.reached),
        Some(Milestone::Mitigated)
    );
}
