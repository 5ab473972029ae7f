//! The conductor of a planned rollout, pure: auto and manual approval, commands that wait for
//! the actuator (applied, failed, unknown), the queue, retries of an id, and triggers that act
//! by their policy. Time is an input: every call names its moment.

#![allow(clippy::too_many_lines)]

use std::path::Path;

use warroom::config::plan_file::{self, PlanFile};
use warroom::core::command::{Action, Command, OutcomeKind, Verb};
use warroom::core::record::{Body, Record};
use warroom::core::time::Offset;
use warroom::core::wave::WaveStatus;
use warroom::server::scenario::{Actuated, Actuation, Scenario, CONDUCTOR};

fn at(s: i64) -> Offset {
    Offset::from_secs(s)
}

fn plan(text: &str) -> PlanFile {
    plan_file::parse("plan.toml", text, Path::new(".")).expect("a valid plan")
}

fn exec_demo() -> PlanFile {
    plan_file::load(Path::new("examples/plans/exec-demo.toml")).expect("the example")
}

fn cmd(id: &str, action: Action, wave: Option<&str>, reason: Option<&str>) -> Command {
    Command {
        id: id.into(),
        action,
        actor: "alice".into(),
        reason: reason.map(Into::into),
        wave: wave.map(Into::into),
        item: None,
        session: None,
    }
}

fn outcomes(records: &[Record]) -> Vec<(String, OutcomeKind, Option<String>)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Outcome { id, result, reason } => {
                Some((id.to_string(), *result, reason.as_deref().map(String::from)))
            }
            _ => None,
        })
        .collect()
}

fn notes(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Note { text, .. } => Some(text.to_string()),
            _ => None,
        })
        .collect()
}

fn one(sc: &mut Scenario) -> Actuation {
    let mut a = sc.take_actuations();
    assert_eq!(a.len(), 1, "exactly one actuation expected: {a:?}");
    a.remove(0)
}

fn applied() -> Actuated {
    Actuated::Applied {
        output: "ok".into(),
    }
}

/// Ticks every second from `from` to `to`, answering every actuation at once with `answer`.
fn run(sc: &mut Scenario, from: i64, to: i64, answer: &Actuated) -> (Vec<Record>, Vec<Actuation>) {
    let (mut recs, mut acts) = (Vec::new(), Vec::new());
    for s in from..=to {
        recs.extend(sc.tick(at(s)));
        for a in sc.take_actuations() {
            recs.extend(sc.actuated(&a.id, answer.clone(), at(s)));
            acts.push(a);
        }
        // What the answer set off (the next wave's advance) is answered on the next tick.
    }
    (recs, acts)
}

#[test]
fn auto_waves_advance_through_the_actuator_as_the_conductors_commands() {
    let file = exec_demo();
    let mut sc = Scenario::planned(&file);
    let first = sc.tick(at(0));
    // The start is a command by the conductor, and waits for the actuator: no outcome yet.
    let started: Vec<_> = first
        .iter()
        .filter_map(|r| match &r.body {
            Body::Command {
                by, action, reason, ..
            } => Some((by.clone(), *action, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 1, "{first:?}");
    assert_eq!(started[0].0.as_deref(), Some(CONDUCTOR));
    assert_eq!(started[0].1, Action::Advance);
    assert!(
        outcomes(&first).is_empty(),
        "no outcome before the actuator answers"
    );
    assert!(sc.state().current_wave().is_none());
    let a = one(&mut sc);
    assert_eq!(a.verb, Verb::Advance);
    assert_eq!(a.wave, Some(("w1".into(), "Canary".into())));
    assert_eq!((a.traffic, a.previous_traffic), (10.0, 0.0));
    assert_eq!(&*a.actor, CONDUCTOR);
    let answered = sc.actuated(&a.id, applied(), at(0));
    assert_eq!(
        outcomes(&answered),
        vec![(a.id.to_string(), OutcomeKind::Accepted, None)]
    );
    assert_eq!(sc.state().current_wave(), Some(0));
    assert!((sc.state().traffic - 10.0).abs() < f64::EPSILON);

    // 5-second bakes: w2 at 5 s, w3 at 10 s, complete at 15 s.
    let (recs, acts) = run(&mut sc, 1, 16, &applied());
    let moves: Vec<(Option<String>, f64, f64)> = acts
        .iter()
        .map(|a| (a.wave.clone().map(|w| w.0), a.previous_traffic, a.traffic))
        .collect();
    assert_eq!(
        moves,
        vec![
            (Some("w2".into()), 10.0, 50.0),
            (Some("w3".into()), 50.0, 100.0),
            (Some("w3".into()), 100.0, 100.0),
        ]
    );
    let completes: Vec<bool> = acts.iter().map(|a| a.complete).collect();
    assert_eq!(completes, vec![false, false, true]);
    let reasons: Vec<String> = recs
        .iter()
        .filter_map(|r| match &r.body {
            Body::Command {
                reason: Some(r), ..
            } => Some(r.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons[0], "approval auto: bake 5s done; no gates");
    let w = &sc.state().waves;
    assert!(w.iter().all(|w| w.status == WaveStatus::Passed), "{w:?}");
}

#[test]
fn a_failed_actuator_leaves_the_state_and_is_not_retried_by_itself() {
    let mut sc = Scenario::planned(&exec_demo());
    sc.tick(at(0));
    let a = one(&mut sc);
    let recs = sc.actuated(
        &a.id,
        Actuated::Failed {
            reason: "exit status 1: Error: rollout 'trackshift' not found".into(),
        },
        at(1),
    );
    assert_eq!(
        outcomes(&recs),
        vec![(
            a.id.to_string(),
            OutcomeKind::Failed,
            Some("advance failed: exit status 1: Error: rollout 'trackshift' not found".into())
        )]
    );
    assert!(sc.state().current_wave().is_none(), "nothing moved");
    assert_eq!(
        notes(&recs),
        vec!["The automatic start failed; waiting for a commander to start the rollout"]
    );
    let (later, acts) = run(&mut sc, 2, 30, &applied());
    assert!(acts.is_empty(), "no automatic retry: {acts:?}");
    assert!(notes(&later).is_empty(), "said once: {later:?}");
    // A person may try again; that goes through the actuator.
    sc.command(
        &cmd("p-1", Action::Advance, Some("not started"), None),
        at(31),
    );
    let a = one(&mut sc);
    sc.actuated(&a.id, applied(), at(31));
    assert_eq!(sc.state().current_wave(), Some(0));
}

#[test]
fn an_actuator_that_does_not_answer_pauses_the_rollout_with_outcome_unknown() {
    let mut sc = Scenario::planned(&exec_demo());
    sc.tick(at(0));
    let a = one(&mut sc);
    sc.actuated(&a.id, applied(), at(0));
    sc.tick(at(5));
    let a = one(&mut sc);
    let recs = sc.actuated(
        &a.id,
        Actuated::Unknown {
            reason: "no answer within 10s (killed)".into(),
        },
        at(15),
    );
    let o = outcomes(&recs);
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].1, OutcomeKind::Unknown);
    assert!(
        o[0].2
            .as_deref()
            .unwrap_or_default()
            .starts_with("advance: no answer within 10s (killed)"),
        "{o:?}"
    );
    assert_eq!(sc.state().current_wave(), Some(0));
    assert_eq!(sc.state().waves[0].status, WaveStatus::Paused);
    let (_, acts) = run(&mut sc, 16, 40, &applied());
    assert!(acts.is_empty(), "a paused wave does not move on: {acts:?}");
}

#[test]
fn commands_wait_their_turn_and_a_retried_id_is_not_applied_twice() {
    let mut sc = Scenario::planned(&exec_demo());
    sc.tick(at(0));
    let start = one(&mut sc);
    // While the start is with the actuator, a pause and a note arrive.
    let r1 = sc.command(
        &cmd("p-1", Action::Pause, Some("w1"), Some("hold on")),
        at(0),
    );
    let r2 = sc.command(&cmd("n-1", Action::Note, None, Some("watching")), at(0));
    assert!(
        outcomes(&r1).is_empty() && outcomes(&r2).is_empty(),
        "queued, not judged yet"
    );
    // The same id again while queued: nothing new.
    assert!(sc
        .command(
            &cmd("p-1", Action::Pause, Some("w1"), Some("hold on")),
            at(0)
        )
        .is_empty());
    let recs = sc.actuated(&start.id, applied(), at(1));
    // The start is applied, then the pause is judged against the new state and goes to the
    // actuator; the note waits behind it.
    assert_eq!(
        outcomes(&recs),
        vec![(start.id.to_string(), OutcomeKind::Accepted, None)]
    );
    let pause = one(&mut sc);
    assert_eq!(pause.verb, Verb::Pause);
    assert_eq!(&*pause.id, "p-1");
    let recs = sc.actuated("p-1", applied(), at(2));
    let o = outcomes(&recs);
    assert_eq!(o[0], ("p-1".into(), OutcomeKind::Accepted, None));
    assert_eq!(o[1], ("n-1".into(), OutcomeKind::Accepted, None));
    assert_eq!(sc.state().waves[0].status, WaveStatus::Paused);
    // A retry after the outcome gets the same outcome and no second actuation.
    let again = sc.command(
        &cmd("p-1", Action::Pause, Some("w1"), Some("hold on")),
        at(3),
    );
    assert_eq!(
        outcomes(&again),
        vec![("p-1".into(), OutcomeKind::Accepted, None)]
    );
    assert!(sc.take_actuations().is_empty());
    // An answer for a command that is not in flight changes nothing.
    assert!(outcomes(&sc.actuated("nope", applied(), at(4))).is_empty());
}

const MANUAL: &str = r#"
[rollout]
id = "r"
service = "s"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "10s"
approval = "manual"
gates = [{ check = "w1_ok" }]

[[wave]]
id = "w2"
name = "All"
traffic = 100

[[checklist]]
id = "pre"
title = "Pre-deployment"

[[checklist.item]]
id = "backup"
text = "Backup verified"
owner = "DBA"

[[checklist]]
id = "gonogo"
title = "Go/no-go"

[[checklist.item]]
id = "w1_ok"
text = "Canary looks good"

[actuator]
kind = "exec"
advance = ["true"]
rollback = ["true"]
"#;

#[test]
fn manual_waves_wait_for_approval_and_open_items_block() {
    let mut sc = Scenario::planned(&plan(MANUAL));
    let first = sc.tick(at(0));
    assert_eq!(
        notes(&first),
        vec!["Not starting: pre-deployment item \"Backup verified\" open"]
    );
    assert!(sc.take_actuations().is_empty());
    let refused = sc.command(
        &cmd("a-1", Action::Advance, Some("not started"), None),
        at(1),
    );
    let o = outcomes(&refused);
    assert_eq!(o[0].1, OutcomeKind::Rejected);
    assert_eq!(
        o[0].2.as_deref(),
        Some("gates block: pre-deployment item \"Backup verified\" open")
    );
    assert!(
        sc.take_actuations().is_empty(),
        "a refused command never reaches the actuator"
    );
}

const TRIGGERED: &str = r#"
[rollout]
id = "r"
service = "s"
from = "v1"
to = "v2"
strategy = "canary"

[[wave]]
id = "w1"
name = "Canary"
traffic = 10
bake = "1h"
approval = "auto"

[prometheus]
url = "http://127.0.0.1:9"
interval = "5s"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "x"
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10

[[trigger]]
slo = "error_rate"
above = 10
for = "20s"
policy = "rollback"

[actuator]
kind = "exec"
advance = ["true"]
rollback = ["true"]
"#;

fn sample(t: i64, value: f64) -> Record {
    Record {
        t: at(t),
        source: Some("prometheus".into()),
        body: Body::Metric {
            slo: 0,
            value: Some(value),
        },
    }
}

#[test]
fn a_fired_trigger_rolls_back_through_the_actuator_once() {
    let mut sc = Scenario::planned(&plan(TRIGGERED));
    // No automatic start before the service's health is known.
    let first = sc.tick(at(0));
    assert!(sc.take_actuations().is_empty());
    assert_eq!(
        notes(&first),
        vec!["Not starting: no data yet from Error Rate"]
    );
    sc.observe(vec![sample(0, 1.0)], at(0));
    let a = one(&mut sc);
    sc.actuated(&a.id, applied(), at(0));
    assert_eq!(sc.state().current_wave(), Some(0));
    let mut acts = Vec::new();
    for (t, v) in [(5, 3.0), (10, 12.0), (15, 13.0), (20, 14.0), (25, 15.0)] {
        sc.observe(vec![sample(t, v)], at(t));
        acts.extend(sc.take_actuations());
    }
    assert!(acts.is_empty(), "breached for 15 s only: {acts:?}");
    let recs = sc.observe(vec![sample(30, 16.0)], at(30));
    let rb = one(&mut sc);
    assert_eq!(rb.verb, Verb::Rollback);
    assert_eq!((rb.previous_traffic, rb.traffic), (10.0, 0.0));
    assert_eq!(&*rb.actor, CONDUCTOR);
    assert_eq!(
        rb.reason.as_deref(),
        Some("trigger \"Error Rate > 10% for 20s\" fired: Error Rate now 16%")
    );
    assert!(recs.iter().any(|r| matches!(
        &r.body,
        Body::Command {
            action: Action::Rollback,
            ..
        }
    )));
    let recs = sc.actuated(&rb.id, applied(), at(31));
    assert_eq!(outcomes(&recs)[0].1, OutcomeKind::Accepted);
    assert_eq!(sc.state().waves[0].status, WaveStatus::RolledBack);
    // Still breached: the trigger does not fire again.
    sc.observe(vec![sample(35, 17.0)], at(35));
    assert!(sc.take_actuations().is_empty());
}
