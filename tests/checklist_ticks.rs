//! Ticking the checklist from a console, judged by the control plane's scenario: who may tick
//! what (the seat from the tokens file), conflicts that name who ticked an item and when,
//! unknown items, idempotent ids, gates that turn green at once, conducted rollouts that
//! carry ticks out while the actuator is busy, and state images a 2.0 console still reads.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use warroom::config::plan_file;
use warroom::core::checklist::ItemStatus;
use warroom::core::command::{Action, Command, OutcomeKind, Verb};
use warroom::core::plan::Plan;
use warroom::core::record::{Body, Record};
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, Image, State};
use warroom::core::time::Offset;
use warroom::format::fixture;
use warroom::server::scenario::Scenario;
use warroom::server::tokens::{Seat, Tokens};

/// A canary whose first wave waits for the SRE on call to check the canary.
const HEADER: &str = r#"{"warroom":"1.2","rollout":{"id":"ticks","service":"svc","from":"v1","to":"v2","strategy":"canary","t0":"2025-02-03T09:00:00Z","sample_interval":"1m",
"waves":[{"id":"w1","name":"Canary","traffic":10,"bake":"10m","gates":[{"label":"Canary smoke checked","check":"sb_canary"}]},{"id":"w2","name":"Everyone","traffic":100}],
"slos":[{"id":"err","name":"Error rate","unit":"%","direction":"lower","target":2,"warning":5,"critical":10}],
"checklist":[{"id":"pre","title":"Pre-deployment","items":[{"id":"backup","text":"Backups verified","owner":"DBA"},{"id":"notes","text":"Release notes ready"}]},
{"id":"canary","title":"Canary","items":[{"id":"sb_canary","text":"Smoke tests pass on canary","owner":"SRE on-call"}]}]}}"#;

fn at(s: i64) -> Offset {
    Offset::from_secs(s)
}

fn plan() -> Arc<Plan> {
    fixture::open("ticks", Cursor::new(HEADER.as_bytes()))
        .unwrap()
        .fixture()
        .plan
        .clone()
}

fn fresh_state() -> State {
    State::new(
        plan(),
        SourceStatus {
            name: "control-plane".into(),
            link: Link::Connected,
        },
        256,
    )
}

fn scenario() -> Scenario {
    Scenario::from_state(&fresh_state(), 1, false)
}

fn seat(line: &str) -> Seat {
    let tokens = Tokens::parse(&format!("t {line}\n")).unwrap();
    tokens
        .grant(Some("t"), warroom::core::command::Role::Commander)
        .unwrap()
        .seat
}

fn alice() -> Seat {
    seat("commander alice \"SRE on-call\"")
}

fn bob() -> Seat {
    seat("commander bob \"Release Manager\"")
}

fn tick(id: &str, item: &str, note: Option<&str>) -> Command {
    Command::check(
        id.into(),
        Action::Tick,
        "someone@laptop".into(),
        item.into(),
        note.map(String::from),
    )
}

fn untick(id: &str, item: &str) -> Command {
    Command::check(
        id.into(),
        Action::Untick,
        "someone@laptop".into(),
        item.into(),
        None,
    )
}

/// The records a command made (the scenario's own samples left out).
fn answered(records: &[Record]) -> Vec<&Body> {
    records
        .iter()
        .map(|r| &r.body)
        .filter(|b| {
            matches!(
                b,
                Body::Command { .. } | Body::Outcome { .. } | Body::Check { .. }
            )
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
        .expect("an outcome")
}

fn item_state(sc: &Scenario, id: &str) -> (ItemStatus, Option<String>, Option<Offset>) {
    let (s, i) = sc.plan().item(id).unwrap();
    let st = &sc.state().checklist.items[s][i];
    (st.status, st.by.as_deref().map(String::from), st.at)
}

#[test]
fn a_tick_publishes_the_command_its_outcome_and_the_check_by_the_seats_name() {
    let mut sc = scenario();
    let out = sc.command_from(
        &tick("a-1", "sb_canary", Some("checked the canary tenants")),
        &alice(),
        at(300),
    );
    let bodies = answered(&out);
    assert_eq!(bodies.len(), 3, "{out:?}");
    assert!(
        matches!(bodies[0], Body::Command { id, action: Action::Tick, by: Some(by), item: Some(item), wave: None, reason: Some(r) }
            if &**id == "a-1" && &**by == "alice" && &**item == "sb_canary" && &**r == "checked the canary tenants"),
        "the tokens file's name, not what the console claimed: {:?}",
        bodies[0]
    );
    assert!(matches!(
        bodies[1],
        Body::Outcome {
            result: OutcomeKind::Accepted,
            reason: None,
            ..
        }
    ));
    assert!(
        matches!(bodies[2], Body::Check { state: ItemStatus::Done, by: Some(by), text: Some(t), .. }
            if &**by == "alice" && &**t == "checked the canary tenants"),
        "{:?}",
        bodies[2]
    );
    assert_eq!(
        item_state(&sc, "sb_canary"),
        (ItemStatus::Done, Some("alice".into()), Some(at(300)))
    );
    // Unticked: open again, by whoever reopened it.
    let out = sc.command_from(&untick("a-2", "sb_canary"), &alice(), at(310));
    assert_eq!(outcome(&out).0, OutcomeKind::Accepted);
    assert_eq!(item_state(&sc, "sb_canary").0, ItemStatus::Open);
}

#[test]
fn unknown_items_are_rejected_and_nothing_moves() {
    let mut sc = scenario();
    let out = sc.command_from(&tick("x-1", "nope", None), &Seat::Open, at(10));
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Rejected,
            Some("no checklist item \"nope\" in the plan".into())
        )
    );
    assert!(!out.iter().any(|r| matches!(r.body, Body::Check { .. })));
    // The command record still says what was asked.
    assert!(out
        .iter()
        .any(|r| matches!(&r.body, Body::Command { item: Some(i), .. } if &**i == "nope")));
    // A tick that names no item at all is rejected too, with an outcome like any command.
    let mut bare = tick("x-2", "", None);
    bare.wave = None;
    assert_eq!(
        outcome(&sc.command_from(&bare, &Seat::Open, at(11))),
        (
            OutcomeKind::Rejected,
            Some("tick needs a checklist item".into())
        )
    );
}

#[test]
fn a_second_tick_is_a_conflict_naming_who_ticked_it_and_when() {
    let mut sc = scenario();
    sc.command_from(&tick("a-1", "notes", None), &alice(), at(312));
    let out = sc.command_from(&tick("b-1", "notes", None), &bob(), at(400));
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Conflict,
            Some("item \"notes\" is already ticked by alice at T+5m12s".into())
        )
    );
    assert_eq!(
        item_state(&sc, "notes"),
        (ItemStatus::Done, Some("alice".into()), Some(at(312))),
        "the first tick stands"
    );
    // Unticking an item that is open is a conflict too.
    let out = sc.command_from(&untick("b-2", "backup"), &Seat::Open, at(401));
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Conflict,
            Some("item \"backup\" is open: there is nothing to untick".into())
        )
    );
    sc.command_from(&untick("a-2", "notes"), &alice(), at(402));
    let out = sc.command_from(&untick("b-3", "notes"), &bob(), at(403));
    assert_eq!(
        outcome(&out).1.as_deref(),
        Some(
            "item \"notes\" is already open (reopened by alice at T+6m42s): there is nothing to \
             untick"
        )
    );
}

#[test]
fn an_owned_item_takes_the_owners_role_or_the_incident_commanders() {
    let mut sc = scenario();
    let out = sc.command_from(&tick("b-1", "sb_canary", None), &bob(), at(10));
    assert_eq!(
        outcome(&out),
        (
            OutcomeKind::Rejected,
            Some(
                "item \"sb_canary\" is owned by SRE on-call; bob (Release Manager) cannot tick it"
                    .into()
            )
        )
    );
    assert_eq!(item_state(&sc, "sb_canary").0, ItemStatus::Open);
    // The owner's role, in any case.
    let sre = seat("commander erin \"sre ON-CALL\"");
    assert_eq!(
        outcome(&sc.command_from(&tick("e-1", "sb_canary", None), &sre, at(11))).0,
        OutcomeKind::Accepted
    );
    // The Incident Commander may tick anything.
    let ic = seat("commander carol \"Incident Commander\"");
    assert_eq!(
        outcome(&sc.command_from(&tick("c-1", "backup", None), &ic, at(12))).0,
        OutcomeKind::Accepted
    );
    // A name without roles: only items nobody owns.
    let dave = seat("commander dave");
    assert_eq!(
        outcome(&sc.command_from(&tick("d-1", "notes", None), &dave, at(13))).0,
        OutcomeKind::Accepted
    );
    assert_eq!(
        outcome(&sc.command_from(&untick("d-2", "backup"), &dave, at(14))).1,
        Some("item \"backup\" is owned by DBA; dave (no role) cannot untick it".into())
    );
    // A two-word line of an older tokens file: no name, so the console's actor, and no role.
    let old = seat("commander");
    let out = sc.command_from(&untick("o-1", "sb_canary"), &old, at(15));
    assert_eq!(
        outcome(&out).1.as_deref(),
        Some(
            "item \"sb_canary\" is owned by SRE on-call; someone@laptop (no role) cannot untick it"
        )
    );
    // Without a tokens file anyone may tick anything; `Scenario::command` is that seat.
    let out = sc.command(&untick("n-1", "sb_canary"), at(16));
    assert_eq!(outcome(&out).0, OutcomeKind::Accepted);
    assert!(out.iter().any(
        |r| matches!(&r.body, Body::Check { by: Some(by), state: ItemStatus::Open, .. } if &**by == "someone@laptop")
    ));
}

#[test]
fn the_same_id_again_gets_the_first_outcome_and_changes_nothing() {
    let mut sc = scenario();
    let first = sc.command_from(&tick("a-1", "notes", Some("ready")), &alice(), at(10));
    assert_eq!(outcome(&first).0, OutcomeKind::Accepted);
    sc.command_from(&untick("a-2", "notes"), &alice(), at(20));
    let again = sc.command_from(&tick("a-1", "notes", Some("ready")), &alice(), at(30));
    assert_eq!(answered(&again).len(), 1, "only an outcome: {again:?}");
    assert_eq!(outcome(&again), (OutcomeKind::Accepted, None));
    assert_eq!(
        item_state(&sc, "notes").0,
        ItemStatus::Open,
        "the retry did not tick it a second time"
    );
    // A refusal is remembered the same way.
    let no = sc.command_from(&tick("b-1", "sb_canary", None), &bob(), at(40));
    let no_again = sc.command_from(&tick("b-1", "sb_canary", None), &alice(), at(41));
    assert_eq!(outcome(&no), outcome(&no_again));
    assert_eq!(item_state(&sc, "sb_canary").0, ItemStatus::Open);
}

#[test]
fn a_tick_turns_its_gate_green_at_once() {
    let mut sc = scenario();
    let start = start_command();
    assert_eq!(outcome(&sc.command(&start, at(0))).0, OutcomeKind::Accepted);
    let gate = |sc: &Scenario| {
        sc.state()
            .next_gates()
            .into_iter()
            .find(|g| g.label == "Canary smoke checked")
            .unwrap()
            .green
    };
    assert!(!gate(&sc));
    let blocking = sc.state().tally().blocking;
    sc.command_from(&tick("a-1", "sb_canary", None), &alice(), at(5));
    assert!(
        gate(&sc),
        "green in the same call, before any tick of the clock"
    );
    assert_eq!(sc.state().tally().blocking, blocking - 1);
}

#[test]
fn a_failed_item_may_be_ticked_but_not_unticked() {
    let mut state = fresh_state();
    let (s, i) = state.plan.item("backup").unwrap();
    state.apply(Event::Record(Record {
        t: at(5),
        source: None,
        body: Body::Check {
            section: s,
            item: i,
            state: ItemStatus::Failed,
            by: Some("Ana (DBA)".into()),
            text: Some("restore failed".into()),
        },
    }));
    let mut sc = Scenario::from_state(&state, 1, false);
    let out = sc.command_from(&untick("u-1", "backup"), &Seat::Open, at(10));
    assert_eq!(
        outcome(&out).1.as_deref(),
        Some(
            "item \"backup\" is FAILED by Ana (DBA) at T+5s, not done: there is nothing to untick"
        )
    );
    let out = sc.command_from(
        &tick("t-1", "backup", Some("restore passes now")),
        &Seat::Open,
        at(20),
    );
    assert_eq!(outcome(&out).0, OutcomeKind::Accepted);
    assert_eq!(item_state(&sc, "backup").0, ItemStatus::Done);
}

const CONDUCTED: &str = r#"
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
fn in_a_conducted_rollout_ticks_never_reach_the_actuator_and_do_not_wait_for_it() {
    assert_eq!(Verb::of(Action::Tick), None);
    assert_eq!(Verb::of(Action::Untick), None);
    let file = plan_file::parse("plan.toml", CONDUCTED, Path::new(".")).unwrap();
    let mut sc = Scenario::planned(&file);
    sc.tick(at(0));
    // Start the rollout: the actuator is asked, and does not answer yet.
    let start = start_command();
    sc.command(&start, at(1));
    let work = sc.take_actuations();
    assert_eq!(work.len(), 1);
    assert_eq!(sc.in_flight(), Some("go"));
    // A tick meanwhile is carried out at once: outcome and check in the same call.
    let out = sc.command_from(&tick("t-1", "w1_ok", None), &Seat::Open, at(2));
    assert_eq!(outcome(&out).0, OutcomeKind::Accepted);
    assert!(out.iter().any(|r| matches!(
        r.body,
        Body::Check {
            state: ItemStatus::Done,
            ..
        }
    )));
    assert!(sc.take_actuations().is_empty(), "nothing for the actuator");
    assert_eq!(
        sc.in_flight(),
        Some("go"),
        "the advance still waits for its answer"
    );
}

#[test]
fn a_state_image_with_ticks_is_still_read_by_a_2_0_console() {
    use std::io::Read as _;
    let mut sc = scenario();
    sc.command_from(&tick("a-1", "notes", None), &alice(), at(10));
    let pause = Command {
        id: "p-1".into(),
        action: Action::Note,
        actor: "ic".into(),
        reason: Some("watching".into()),
        wave: None,
        item: None,
        session: None,
    };
    sc.command(&pause, at(11));
    sc.command_from(&untick("a-2", "notes"), &alice(), at(12));
    let state = sc.state();
    let ids = |cs: &[warroom::core::state::CommandInfo]| -> Vec<String> {
        cs.iter().map(|c| c.id.to_string()).collect()
    };
    assert_eq!(ids(&state.commands), ["a-1", "p-1", "a-2"]);
    let text = state.image().encode();
    // What a 2.0 console does: the fields it knows, and nothing after them.
    let packed = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &text).unwrap();
    let mut bytes = Vec::new();
    flate2::read::DeflateDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .unwrap();
    let old: Image = postcard::from_bytes(&bytes).expect("a 2.0 console reads the image");
    assert_eq!(ids(&old.commands), ["p-1"], "it sees the commands it knows");
    assert_eq!(old.checklist, state.checklist, "and the checklist as it is");
    // This build reads all of it, every command in its place.
    let image = Image::decode(&text).unwrap();
    let back = State::from_image(state.plan.clone(), state.source.clone(), 256, image).unwrap();
    assert_eq!(back.commands, state.commands);
    // An image of a state without ticks is byte for byte what 2.0 wrote.
    let plain = fresh_state().image();
    assert!(plain.checklist_commands.is_empty());
    assert_eq!(Image::decode(&plain.encode()).unwrap(), plain);
}

#[test]
fn the_wire_names_the_item_and_leaves_the_wave_out() {
    let t = tick("k-1", "sb_canary", Some("ok"));
    let text = serde_json::to_string(&t).unwrap();
    assert_eq!(
        text,
        r#"{"id":"k-1","action":"tick","actor":"someone@laptop","reason":"ok","item":"sb_canary"}"#
    );
    let back: Command = serde_json::from_str(&text).unwrap();
    assert_eq!(back, t);
    assert_eq!(
        (back.item(), back.expected_wave()),
        (Some("sb_canary"), None)
    );
    // A 2.0 command is unchanged on the wire.
    let pause: Command = serde_json::from_str(
        r#"{"id":"p","action":"pause","actor":"a","reason":"r","wave":"w1","session":"s"}"#,
    )
    .unwrap();
    assert_eq!((pause.item(), pause.expected_wave()), (None, Some("w1")));
    assert_eq!(
        serde_json::to_string(&pause).unwrap(),
        r#"{"id":"p","action":"pause","actor":"a","reason":"r","wave":"w1","session":"s"}"#
    );
    // Keys that do not apply are ignored; unknown ones are still refused.
    let odd: Command =
        serde_json::from_str(r#"{"id":"x","action":"untick","item":"i","wave":"w1","actor":"a"}"#)
            .unwrap();
    assert_eq!((odd.item(), odd.expected_wave()), (Some("i"), None));
    assert!(
        serde_json::from_str::<Command>(r#"{"id":"x","action":"tick","actor":"a","by":"b"}"#)
            .is_err()
    );
}

#[test]
fn a_recording_of_ticks_reads_back_as_a_1_2_fixture() {
    let mut sc = scenario();
    let mut records = sc.command_from(&tick("a-1", "notes", Some("ready")), &alice(), at(10));
    records.extend(sc.command_from(&tick("b-1", "nope", None), &bob(), at(11)));
    let plan = sc.plan().clone();
    let header = warroom::format::encode::header(&plan.spec);
    assert_eq!(header["warroom"], "1.2");
    let mut text = format!("{header}\n");
    for r in &records {
        let line = warroom::format::encode::record(r, &plan);
        text.push_str(&line.to_string());
        text.push('\n');
    }
    assert!(
        text.contains(r#"{"action":"tick","by":"alice","id":"a-1","item":"notes","#),
        "{text}"
    );
    let mut rd = fixture::open("rec", Cursor::new(text.as_bytes())).unwrap();
    let mut back = Vec::new();
    while rd.next_records(&mut |r| back.push(r)).unwrap().is_some() {}
    assert_eq!(back, records);
}

/// The commander's advance that starts the rollout (id "go", aimed at no wave yet).
fn start_command() -> Command {
    Command {
        id: "go".into(),
        action: Action::Advance,
        actor: "ic".into(),
        reason: None,
        wave: Some(warroom::core::command::NOT_STARTED.into()),
        item: None,
        session: None,
    }
}
