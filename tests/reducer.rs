//! The reducer on its own: events in, state and effects out.
#![allow(clippy::unwrap_used, clippy::panic, clippy::float_cmp)]

use std::io::Cursor;
use std::sync::Arc;

use proptest::prelude::*;
use warroom::core::checklist::ItemStatus;
use warroom::core::command::{Action, OutcomeKind};
use warroom::core::effects::Change;
use warroom::core::record::{AlertState, Body, Milestone, Record};
use warroom::core::severity::Severity;
use warroom::core::slo::Band;
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, State};
use warroom::core::status::Status;
use warroom::core::time::Offset;
use warroom::core::wave::WaveStatus;
use warroom::format::fixture;

const HEADER: &str = r#"{"warroom":"1.0","rollout":{"id":"r","service":"svc","from":"v1","to":"v2","strategy":"canary","t0":"2025-02-03T09:00:00Z","sample_interval":"1m",
"waves":[{"id":"w1","name":"Wave 1","traffic":10,"bake":"10m","gates":[{"label":"Error rate ok","slo":"err"},{"label":"Sign-off","check":"signoff"},{"label":"No crit","alerts":"critical"}]},{"id":"w2","name":"Wave 2","traffic":50}],
"slos":[{"id":"err","name":"Error rate","unit":"%","direction":"lower","target":2,"warning":5,"critical":10,"triggers":[{"above":10,"for":"5m"}]}],
"checklist":[{"id":"pre","title":"Pre","items":[{"id":"backup","text":"Backups verified"}]},{"id":"go","title":"Wave 1 go/no-go","items":[{"id":"signoff","text":"IC sign-off"}]}]}}"#;

fn state() -> State {
    state_of(HEADER)
}

/// A state on the plan of fixture header `header`, reporting its changes.
fn state_of(header: &str) -> State {
    let r = fixture::open("h", Cursor::new(header.as_bytes())).unwrap();
    let mut s = State::new(
        r.fixture().plan.clone(),
        SourceStatus {
            name: Arc::from("test"),
            link: Link::Replay,
        },
        1000,
    );
    s.track_changes(true);
    s
}

fn rec(t: i64, body: Body) -> Event {
    Event::Record(Record {
        t: Offset::from_secs(t),
        source: None,
        body,
    })
}

fn metric(t: i64, v: f64) -> Event {
    rec(
        t,
        Body::Metric {
            slo: 0,
            value: Some(v),
        },
    )
}

/// Wave 1 goes active at T+0.
fn wave_1_active() -> Event {
    rec(
        0,
        Body::Wave {
            wave: 0,
            state: WaveStatus::Active,
            traffic: None,
            by: None,
            text: None,
        },
    )
}

#[test]
fn a_breach_counts_then_fires_then_rollback_marks_the_wave() {
    let mut s = state();
    s.apply(wave_1_active());
    assert_eq!(s.traffic, 10.0);
    s.apply(metric(60, 1.0));
    assert_eq!(s.status, Status::Healthy);
    let fx = s.apply(metric(120, 12.0));
    assert!(fx.changes.iter().any(|c| c.change
        == Change::Band {
            slo: "err".into(),
            band: Band::Crit,
            value: Some(12.0)
        }));
    assert!(fx.changes.iter().any(|c| matches!(
        &c.change,
        Change::Trigger {
            state: "counting",
            ..
        }
    )));
    assert_eq!(s.status, Status::Critical);
    for t in (180..420).step_by(60) {
        s.apply(metric(t, 12.0));
    }
    let fx = s.apply(metric(420, 11.0));
    assert!(
        fx.changes
            .iter()
            .any(|c| matches!(&c.change, Change::Trigger { state: "fired", .. })),
        "{:?}",
        fx.changes
    );
    s.apply(rec(
        430,
        Body::Command {
            id: "c1".into(),
            action: Action::Rollback,
            by: Some("IC".into()),
            reason: Some("trigger fired".into()),
            wave: Some(0),
            item: None,
        },
    ));
    s.apply(rec(
        431,
        Body::Outcome {
            id: "c1".into(),
            result: OutcomeKind::Accepted,
            reason: None,
        },
    ));
    let fx = s.apply(rec(
        432,
        Body::Wave {
            wave: 0,
            state: WaveStatus::RolledBack,
            traffic: None,
            by: None,
            text: None,
        },
    ));
    assert_eq!(s.traffic, 0.0);
    assert_eq!(s.status, Status::RolledBack);
    assert!(fx.changes.iter().any(|c| c.change
        == Change::Status {
            status: Status::RolledBack
        }));
    assert_eq!(
        s.commands[0].outcome.as_ref().map(|o| o.0),
        Some(OutcomeKind::Accepted)
    );
    assert!(s
        .timeline
        .iter_rev_from(s.timeline.len())
        .any(|(_, e)| e.text().contains("ROLLBACK TRIGGER")));
}

#[test]
fn a_breach_seen_across_a_data_gap_starts_counting_again() {
    let mut s = state();
    s.apply(metric(0, 12.0));
    // Five minutes without data (interval 1m): nobody saw the breach last that long.
    let fx = s.apply(metric(300, 12.0));
    assert!(!fx
        .changes
        .iter()
        .any(|c| matches!(&c.change, Change::Trigger { state: "fired", .. })));
    assert_eq!(
        s.slos[0].breach_lasted(0),
        Some(warroom::core::time::Span::ZERO)
    );
}

#[test]
fn gates_list_exactly_what_blocks_the_next_wave() {
    let mut s = state();
    // Before the first wave: only the items no wave gate names block the start.
    let g = s.next_gates();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].why.as_deref(), Some("1 required items open"));
    s.apply(rec(
        0,
        Body::Check {
            section: 0,
            item: 0,
            state: ItemStatus::Done,
            by: Some("DBA".into()),
            text: None,
        },
    ));
    assert!(s.next_gates()[0].green);
    s.apply(rec(
        1,
        Body::Wave {
            wave: 0,
            state: WaveStatus::Active,
            traffic: None,
            by: None,
            text: None,
        },
    ));
    s.apply(metric(60, 6.0));
    s.apply(rec(
        61,
        Body::Alert {
            id: "a".into(),
            name: "HighErrors".into(),
            state: AlertState::Firing,
            severity: Severity::Critical,
            summary: None,
        },
    ));
    let blocked: Vec<_> = s
        .next_gates()
        .into_iter()
        .filter(|g| !g.green)
        .map(|g| (g.label, g.why.unwrap()))
        .collect();
    assert_eq!(
        blocked,
        vec![
            ("Error rate ok".to_string(), "Error rate WARN".to_string()),
            ("Sign-off".to_string(), "item open".to_string()),
            ("No crit".to_string(), "1 crit alert firing".to_string()),
        ]
    );
    assert_eq!(
        s.tally().blocking,
        1,
        "the sign-off now blocks, being wave 1's gate"
    );
    s.apply(metric(120, 1.0));
    s.apply(rec(
        121,
        Body::Check {
            section: 1,
            item: 0,
            state: ItemStatus::Done,
            by: Some("IC".into()),
            text: None,
        },
    ));
    s.apply(rec(
        122,
        Body::Alert {
            id: "a".into(),
            name: "HighErrors".into(),
            state: AlertState::Resolved,
            severity: Severity::Info,
            summary: None,
        },
    ));
    assert!(s.next_gates().iter().all(|g| g.green));
    assert_eq!(s.tally().blocking, 0);
}

#[test]
fn stale_data_is_never_healthy() {
    let mut s = state();
    s.apply(wave_1_active());
    s.apply(metric(10, 1.0));
    assert_eq!(s.status, Status::Healthy);
    let fx = s.apply(Event::Clock(Offset::from_secs(10 + 121)));
    assert!(fx.changes.iter().any(|c| matches!(
        &c.change,
        Change::Band {
            band: Band::NoData,
            ..
        }
    )));
    assert_eq!(s.slos[0].band(), Band::NoData);
    assert_eq!(s.status, Status::Degraded);
}

#[test]
fn pause_stops_the_bake_clock_and_shows_paused() {
    let mut s = state();
    s.apply(wave_1_active());
    s.apply(metric(0, 1.0));
    s.apply(rec(
        120,
        Body::Wave {
            wave: 0,
            state: WaveStatus::Paused,
            traffic: None,
            by: None,
            text: None,
        },
    ));
    s.apply(metric(170, 1.0));
    s.apply(Event::Clock(Offset::from_secs(180)));
    assert_eq!(s.status, Status::Paused);
    let (_, done, bake) = s.bake_left().unwrap();
    assert_eq!((done.millis(), bake.millis()), (120_000, 600_000));
}

#[test]
fn repeated_alerts_are_deduplicated_and_escalation_is_news() {
    let mut s = state();
    let fire = |sev| {
        rec(
            1,
            Body::Alert {
                id: "fp1".into(),
                name: "Lag".into(),
                state: AlertState::Firing,
                severity: sev,
                summary: None,
            },
        )
    };
    s.apply(fire(Severity::Warning));
    let n = s.timeline.len();
    s.apply(fire(Severity::Warning));
    assert_eq!(s.timeline.len(), n, "same alert again is not a new entry");
    s.apply(fire(Severity::Critical));
    assert_eq!(s.timeline.len(), n + 1);
    assert_eq!(s.firing(Severity::Critical), 1);
    s.apply(rec(
        2,
        Body::Incident {
            milestone: Milestone::Detected,
            severity: None,
            text: None,
        },
    ));
    assert_eq!(s.status, Status::Critical);
}

fn any_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (0usize..2, 0usize..6, proptest::option::of(0.0f64..200.0)).prop_map(|(w, st, tr)| {
            Body::Wave {
                wave: w,
                state: [
                    WaveStatus::Pending,
                    WaveStatus::Active,
                    WaveStatus::Paused,
                    WaveStatus::Passed,
                    WaveStatus::Failed,
                    WaveStatus::RolledBack,
                ][st],
                traffic: tr,
                by: None,
                text: None,
            }
        }),
        proptest::option::of(-1e9f64..1e9).prop_map(|v| Body::Metric { slo: 0, value: v }),
        (0usize..2, 0usize..4).prop_map(|(s, st)| Body::Check {
            section: s,
            item: 0,
            state: [
                ItemStatus::Open,
                ItemStatus::Done,
                ItemStatus::Failed,
                ItemStatus::Waived
            ][st],
            by: None,
            text: None
        }),
        ("[a-c]", 0usize..3, 0usize..3).prop_map(|(id, st, sev)| Body::Alert {
            id: id.clone().into(),
            name: id.into(),
            state: [
                AlertState::Firing,
                AlertState::Resolved,
                AlertState::Silenced
            ][st],
            severity: [Severity::Info, Severity::Warning, Severity::Critical][sev],
            summary: None
        }),
        ".{0,40}".prop_map(|t| Body::Note {
            by: None,
            text: t.into()
        }),
        (0usize..4).prop_map(|m| Body::Incident {
            milestone: [
                Milestone::Detected,
                Milestone::Acknowledged,
                Milestone::Mitigated,
                Milestone::Resolved
            ][m],
            severity: None,
            text: None
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No sequence of events panics, the timeline stays within its cap (and counts what it
    /// dropped), and every gate reading is consistent with the status.
    #[test]
    fn no_event_sequence_panics_and_memory_stays_capped(events in proptest::collection::vec((0i64..600, any_body()), 0..400)) {
        let mut s = state();
        let mut t = 0;
        let mut pushed = 0u64;
        for (dt, body) in events {
            t += dt;
            s.apply(Event::Record(Record { t: Offset::from_secs(t), source: None, body }));
            s.apply(Event::Clock(Offset::from_secs(t + dt / 2)));
            pushed += 1;
            let _ = s.next_gates();
            let _ = s.bake_left();
        }
        prop_assert!(s.timeline.len() <= 1000 + 256);
        prop_assert!(s.timeline.len() as u64 + s.timeline.dropped() <= 3 * pushed + 10);
        prop_assert!(s.alerts.len() <= 3);
        if s.slos[0].band() == Band::Crit { prop_assert!(matches!(s.status, Status::Critical | Status::RolledBack)); }
    }
}

/// With auto-pause on, a commander console pauses the active wave once when a rollback
/// trigger fires, with the trigger as the reason; off (the default), observers and replays
/// never do.
#[test]
fn auto_pause_sends_one_pause_with_the_trigger_as_reason() {
    use warroom::core::app::App;
    use warroom::core::command::Role;
    use warroom::core::outbox::Outbox;
    use warroom::core::playback::Mode;
    let live = |auto: bool, role: Role| {
        let mut c = App::new(state(), Mode::Live);
        c.outbox = Outbox::new(role, "ic@room".into(), "t".into());
        c.outbox.auto_pause = auto;
        c.state.apply(rec(
            0,
            Body::Wave {
                wave: 0,
                state: WaveStatus::Active,
                traffic: None,
                by: None,
                text: None,
            },
        ));
        c
    };
    let run = |c: &mut App| {
        let mut sent = Vec::new();
        for t in (60..=600).step_by(60) {
            let before = c.state.trigger_fires;
            c.state.apply(metric(t, 12.0));
            sent.extend(c.outbox.auto_pause_after(&c.state, &c.mode, before));
        }
        sent
    };
    let mut c = live(true, Role::Commander);
    let sent = run(&mut c);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].action, Action::Pause);
    assert_eq!(
        sent[0].reason.as_deref(),
        Some("auto-pause: rollback trigger fired: Error rate above 10% for 5m")
    );
    assert_eq!(sent[0].actor, "ic@room (auto-pause)");
    assert_eq!(sent[0].wave.as_deref(), Some("w1"));
    assert_eq!(
        c.outbox.pending.len(),
        1,
        "pending until its outcome, like any command"
    );
    assert!(
        run(&mut live(false, Role::Commander)).is_empty(),
        "off by default"
    );
    assert!(
        run(&mut live(true, Role::Observer)).is_empty(),
        "observers never command"
    );
}

// ---- the console's reducer: App::apply

mod app {
    use super::*;
    use warroom::core::app::App;
    use warroom::core::command::Role;
    use warroom::core::effects::{AuditEntry, Effects, RecordOut};
    use warroom::core::input::{Hello, Input, PlaneMsg, Sink, Start};
    use warroom::core::intent::Key;
    use warroom::core::outbox::Outbox;
    use warroom::core::overlay::Overlay;
    use warroom::core::plan::Plan;
    use warroom::core::state::Image;

    fn plan() -> Arc<Plan> {
        state().plan
    }

    fn console(overlay: Option<Overlay>, headless: bool) -> App {
        App::live(
            Arc::new(Plan::placeholder()),
            Outbox::new(Role::Commander, "ic@room".into(), "k".into()),
            overlay.map(Arc::new),
            headless,
        )
    }

    fn record(t: i64, body: Body) -> Record {
        Record {
            t: Offset::from_secs(t),
            source: Some("control-plane".into()),
            body,
        }
    }

    fn active(t: i64, wave: usize) -> Record {
        record(
            t,
            Body::Wave {
                wave,
                state: WaveStatus::Active,
                traffic: None,
                by: None,
                text: None,
            },
        )
    }

    fn note(t: i64, text: &str) -> Record {
        record(
            t,
            Body::Note {
                by: None,
                text: text.into(),
            },
        )
    }

    /// The control plane's own state after `records`, at `now`, as an image.
    fn image_of(records: &[Record], now: i64) -> Box<Image> {
        let mut s = state();
        for r in records {
            s.apply(Event::Record(r.clone()));
        }
        s.apply(Event::Clock(Offset::from_secs(now)));
        Box::new(s.image())
    }

    fn hello(session: &str, start: Start, now: i64) -> Input {
        Input::ControlPlane(PlaneMsg::Hello(Box::new(Hello {
            session: session.into(),
            plan: plan(),
            role: Role::Commander,
            now: Offset::from_secs(now),
            speed: 1.0,
            seq: 0,
            start,
        })))
    }

    fn connected(app: &mut App) {
        app.apply(Input::ControlPlane(PlaneMsg::Link(Link::Connected)));
    }

    fn down(app: &mut App) {
        app.apply(Input::ControlPlane(PlaneMsg::Link(Link::Down {
            reason: "connection refused".into(),
            attempt: 1,
            retry_in: Some(warroom::core::time::Span(900)),
        })));
    }

    fn events(records: Vec<Record>) -> Input {
        Input::ControlPlane(PlaneMsg::Events { records, seq: 1 })
    }

    fn keys(app: &mut App, text: &str) -> Effects {
        let mut fx = Effects::default();
        for ch in text.chars() {
            fx.merge(app.apply(Input::Key(Key::Char(ch))));
        }
        fx
    }

    fn texts(app: &App) -> Vec<String> {
        let tl = &app.state.timeline;
        (0..tl.len())
            .filter_map(|i| tl.get(i))
            .map(|e| e.text().to_string())
            .collect()
    }

    /// A console past its first hello, wave 1 active, connected.
    fn joined(headless: bool) -> App {
        let mut app = console(None, headless);
        app.apply(hello(
            "s1",
            Start::Snapshot(Some(image_of(&[active(0, 0)], 10))),
            10,
        ));
        connected(&mut app);
        app
    }

    #[test]
    fn the_first_hello_takes_the_image_and_starts_the_recording() {
        let mut app = console(None, false);
        let img = image_of(
            &[
                active(0, 0),
                record(
                    30,
                    Body::Metric {
                        slo: 0,
                        value: Some(1.0),
                    },
                ),
            ],
            60,
        );
        let fx = app.apply(hello("s1", Start::Snapshot(Some(img)), 60));
        assert_eq!(app.state.plan.spec.id, "r");
        assert_eq!(app.state.waves[0].status, WaveStatus::Active);
        assert_eq!(app.state.slos[0].last.unwrap().value, Some(1.0));
        assert_eq!(app.state.now, Offset::from_secs(60));
        assert!(matches!(fx.record.first(), Some(RecordOut::Header(p)) if p.spec.id == "r"));
        assert!(
            matches!(fx.record.get(1), Some(RecordOut::Records(r)) if matches!(r[..], [Record { body: Body::Snapshot { .. }, .. }])),
            "the recording holds the image, so that it replays to this state"
        );
        // A resumed hello of the same session keeps the state; no second header.
        connected(&mut app);
        app.apply(events(vec![note(90, "kept")]));
        let fx = app.apply(hello("s1", Start::Resume, 100));
        assert!(fx.record.is_empty());
        assert!(app.state.timeline.last().unwrap().text().contains("kept"));
    }

    #[test]
    fn a_restart_keeps_what_was_shown_marks_the_boundary_and_keeps_reporting() {
        let mut app = joined(true);
        app.apply(events(vec![note(20, "before the restart")]));
        down(&mut app);
        app.apply(Input::ControlPlane(PlaneMsg::Clock(Offset::from_secs(40))));
        let before = app.state.now;
        // The restarted control plane has published nothing yet; its clock starts again.
        let fx = app.apply(hello("s2", Start::Snapshot(None), 2));
        connected(&mut app);
        let lines = texts(&app);
        assert!(
            lines.iter().any(|l| l.contains("before the restart")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("control plane restarted: new session s2")),
            "{lines:?}"
        );
        assert!(app.state.now >= before, "the clock never goes back");
        assert_eq!(
            app.state.waves[0].status,
            WaveStatus::Pending,
            "the new session's state"
        );
        assert!(fx
            .changes
            .iter()
            .any(|c| matches!(c.change, Change::Source { .. })));
        // Its events land after the boundary, on this console's clock, and are reported.
        let fx = app.apply(events(vec![active(3, 0)]));
        assert!(app.state.waves[0].since.unwrap() >= before);
        assert!(
            fx.changes
                .iter()
                .any(|c| matches!(c.change, Change::Wave { .. })),
            "a headless console keeps reporting across the restart"
        );
    }

    #[test]
    fn one_timeline_entry_per_outage_updated_with_its_attempts() {
        let mut app = joined(false);
        let n = app.state.timeline.len();
        for attempt in 1..=4 {
            app.apply(Input::ControlPlane(PlaneMsg::Link(Link::Connecting {
                attempt,
            })));
            for left in [900, 600, 300] {
                app.apply(Input::ControlPlane(PlaneMsg::Link(Link::Down {
                    reason: "connection refused".into(),
                    attempt,
                    retry_in: Some(warroom::core::time::Span(left)),
                })));
            }
        }
        assert_eq!(app.state.timeline.len(), n + 1, "{:?}", texts(&app));
        let line = app.state.timeline.last().unwrap().text().to_string();
        assert!(
            line.contains("DOWN since") && line.contains("4 attempts"),
            "{line}"
        );
        app.apply(hello("s1", Start::Resume, 30));
        connected(&mut app);
        assert_eq!(app.state.timeline.len(), n + 1);
        let line = app.state.timeline.last().unwrap().text().to_string();
        assert!(
            line.contains("down for") && line.contains("connected again"),
            "{line}"
        );
    }

    /// Samples and alerts from a control plane that is down are not counted as passing or
    /// firing: the gauges read NODATA ("source down"), alert gates cannot be green, and the
    /// header's alert count leaves them out; all of it comes back with the link.
    #[test]
    fn a_dead_source_is_neither_passing_nor_firing() {
        let mut app = joined(false);
        app.apply(events(vec![
            record(
                20,
                Body::Metric {
                    slo: 0,
                    value: Some(1.0),
                },
            ),
            record(
                20,
                Body::Alert {
                    id: "a".into(),
                    name: "Disk".into(),
                    state: AlertState::Firing,
                    severity: Severity::Critical,
                    summary: None,
                },
            ),
        ]));
        assert_eq!(app.state.slos[0].band(), Band::Pass);
        assert_eq!(app.state.firing(Severity::Critical), 1);
        down(&mut app);
        assert_eq!(app.state.slos[0].band(), Band::NoData);
        assert_eq!(app.state.firing(Severity::Critical), 0);
        assert_eq!(app.state.alerts_unknown(), 1);
        let gates = app.state.next_gates();
        let crit = gates.iter().find(|g| g.label == "No crit").unwrap();
        assert!(!crit.green, "{crit:?}");
        assert!(
            crit.why.as_deref().unwrap().contains("alerts unknown"),
            "{crit:?}"
        );
        assert!(
            !gates
                .iter()
                .find(|g| g.label == "Error rate ok")
                .unwrap()
                .green
        );
        app.apply(hello("s1", Start::Resume, 25));
        connected(&mut app);
        assert_eq!(app.state.slos[0].band(), Band::Pass);
        assert_eq!(app.state.firing(Severity::Critical), 1);
    }

    #[test]
    fn with_a_configuration_the_control_planes_samples_are_left_out() {
        let mut spec = plan().spec.slos[0].clone();
        spec.id = "prom_err".into();
        spec.name = "Errors (Prometheus)".into();
        let overlay = Overlay {
            slos: vec![spec],
            interval: warroom::core::time::Span::from_secs(5),
            gates: std::collections::BTreeMap::new(),
            alertmanager: true,
            auto_pause: false,
        };
        let mut app = console(Some(overlay), false);
        app.apply(hello(
            "s1",
            Start::Snapshot(Some(image_of(&[active(0, 0)], 10))),
            10,
        ));
        connected(&mut app);
        assert_eq!(app.state.waves[0].status, WaveStatus::Active);
        assert_eq!(app.state.plan.spec.slos.len(), 1);
        assert_eq!(app.state.plan.spec.slos[0].id, "prom_err");
        // The plan's gate on its own error rate goes (the configuration does not define that
        // SLO); its checklist and alert gates stay, so no second alert gate is added.
        let gates: Vec<String> = app
            .state
            .next_gates()
            .into_iter()
            .map(|g| g.label)
            .collect();
        assert_eq!(gates, ["Sign-off", "No crit"]);
        let fx = app.apply(events(vec![record(
            20,
            Body::Metric {
                slo: 0,
                value: Some(50.0),
            },
        )]));
        assert!(
            app.state.slos[0].last.is_none(),
            "the control plane's sample is not ours"
        );
        assert!(
            matches!(fx.record.first(), Some(RecordOut::Records(r)) if r.len() == 1),
            "but it is recorded as received"
        );
    }

    fn confirm_pause(app: &mut App) -> Effects {
        app.apply(Input::Key(Key::Char('P')));
        keys(app, "bake looks off");
        app.apply(Input::Key(Key::Enter))
    }

    #[test]
    fn an_advance_before_the_first_wave_is_aimed_at_the_rollout_not_started() {
        let mut app = console(None, false);
        app.apply(hello("s1", Start::Snapshot(None), 10));
        connected(&mut app);
        assert_eq!(app.state.current_wave(), None);
        app.apply(Input::Key(Key::Char('A')));
        assert!(app.outbox.confirm.is_some(), "{:?}", app.ui.notice);
        let fx = app.apply(Input::Key(Key::Enter));
        let cmd = fx.send.first().expect("sent").clone();
        assert_eq!(cmd.action, Action::Advance);
        assert_eq!(
            (cmd.wave.as_deref(), cmd.session.as_deref()),
            (Some(warroom::core::command::NOT_STARTED), Some("s1"))
        );
        assert_eq!(cmd.check_limits(), Ok(()));
    }

    #[test]
    fn a_confirmed_command_is_audited_sent_and_its_outcome_audited_and_said() {
        let mut app = joined(false);
        let fx = app.apply(Input::Key(Key::Char('P')));
        assert!(fx.send.is_empty() && app.outbox.confirm.is_some());
        keys(&mut app, "bake looks off");
        let fx = app.apply(Input::Key(Key::Enter));
        assert_eq!(fx.send.len(), 1);
        let cmd = fx.send[0].clone();
        assert_eq!(
            (cmd.id.as_str(), cmd.wave.as_deref(), cmd.session.as_deref()),
            ("k-1", Some("w1"), Some("s1"))
        );
        assert!(matches!(&fx.audit[..], [AuditEntry::Confirmed(c)] if *c == cmd));
        // "sent" only once the frame is on the socket.
        let fx = app.apply(Input::ControlPlane(PlaneMsg::Sent { id: "k-1".into() }));
        assert!(matches!(
            &fx.audit[..],
            [AuditEntry::Sent { attempt: 1, .. }]
        ));
        let fx = app.apply(events(vec![
            record(
                12,
                Body::Command {
                    id: "k-1".into(),
                    action: Action::Pause,
                    by: Some("ic@room".into()),
                    reason: Some("bake looks off".into()),
                    wave: Some(0),
                    item: None,
                },
            ),
            record(
                12,
                Body::Outcome {
                    id: "k-1".into(),
                    result: OutcomeKind::Rejected,
                    reason: Some("not now".into()),
                },
            ),
        ]));
        assert!(app.outbox.pending.is_empty());
        assert!(matches!(
            &fx.audit[..],
            [AuditEntry::Outcome {
                result: OutcomeKind::Rejected,
                ..
            }]
        ));
        assert_eq!(app.ui.notice.as_deref(), Some("pause rejected: not now"));
    }

    #[test]
    fn a_command_confirmed_while_the_control_plane_is_down_is_not_sent_and_says_so() {
        let mut app = joined(false);
        down(&mut app);
        let fx = confirm_pause(&mut app);
        assert!(
            fx.send.is_empty(),
            "nothing queued behind the commander's back"
        );
        assert!(matches!(
            &fx.audit[..],
            [AuditEntry::Confirmed(_), AuditEntry::NotSent { reason, .. }] if reason == "control plane down"
        ));
        assert!(app.outbox.pending.is_empty());
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("pause NOT sent: control plane down")
        );
        // Reconnecting sends nothing by itself.
        let fx = app.apply(hello("s1", Start::Resume, 40));
        assert!(fx.send.is_empty());
    }

    #[test]
    fn a_pending_command_goes_again_to_the_same_session_only() {
        let mut app = joined(false);
        let fx = confirm_pause(&mut app);
        assert_eq!(fx.send.len(), 1);
        app.apply(Input::ControlPlane(PlaneMsg::Sent { id: "k-1".into() }));
        down(&mut app);
        // Same session: sent again under the same id.
        let fx = app.apply(hello("s1", Start::Resume, 40));
        connected(&mut app);
        assert_eq!(
            fx.send.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["k-1"]
        );
        down(&mut app);
        // Another session: never sent again; the outcome is unknown, and said so.
        let fx = app.apply(hello("s2", Start::Snapshot(None), 1));
        assert!(fx.send.is_empty());
        assert!(matches!(&fx.audit[..], [AuditEntry::Unknown { .. }]));
        assert!(app.outbox.pending.is_empty());
        assert!(
            app.ui
                .notice
                .as_deref()
                .is_some_and(|n| n.contains("outcome unknown: the control plane restarted")),
            "{:?}",
            app.ui.notice
        );
    }

    #[test]
    fn an_audit_log_that_cannot_be_written_keeps_the_command_from_leaving() {
        let mut app = joined(false);
        app.apply(Input::Key(Key::Char('N')));
        keys(&mut app, "note");
        let fx = app.apply(Input::Key(Key::Enter));
        let id = fx.send[0].id.clone();
        app.apply(Input::SinkFailed {
            sink: Sink::Audit,
            error: "disk full".into(),
            command: Some(id),
        });
        assert!(app.outbox.pending.is_empty());
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("audit log unwritable (disk full): command NOT sent")
        );
        let last = app.state.timeline.last().unwrap();
        assert!(
            last.local && last.text().contains("note k-1 NOT sent"),
            "{last:?}"
        );
    }

    /// The reducer's part of "everyone sees the same state": a console that joins late, from
    /// the control plane's image, equals one that applied every event, part for part (its
    /// own connection lines aside).
    #[test]
    fn a_late_joiner_equals_a_console_that_watched_from_the_start() {
        let history: Vec<Record> = std::iter::once(active(0, 0))
            .chain((1..=12).map(|i| {
                record(
                    i * 60,
                    Body::Metric {
                        slo: 0,
                        value: Some(if i > 4 { 12.0 } else { 1.0 }),
                    },
                )
            }))
            .chain([note(400, "watching the breach")])
            .collect();
        let mut early = console(None, false);
        early.apply(hello("s1", Start::Snapshot(None), 0));
        connected(&mut early);
        early.apply(events(history.clone()));
        early.apply(Input::ControlPlane(PlaneMsg::Clock(Offset::from_secs(800))));
        assert!(early.state.trigger_fires > 0, "the trigger fired");
        let mut late = console(None, false);
        late.apply(hello(
            "s1",
            Start::Snapshot(Some(image_of(&history, 800))),
            800,
        ));
        connected(&mut late);
        let strip = |a: &App| {
            let mut i = a.state.image();
            i.timeline
                .retain(|e| !e.local && !e.text.starts_with("joined the control plane"));
            i
        };
        let (a, b) = (strip(&early), strip(&late));
        assert_eq!(a.slos, b.slos, "bands, breach clocks, histories");
        assert_eq!(a.timeline, b.timeline, "every entry with its own source");
        assert_eq!(a, b);
    }

    // ---- ticking the checklist

    /// `joined`, with the checklist focused (its cursor on the first item, "backup").
    fn on_checklist() -> App {
        let mut app = joined(false);
        // Shift+Tab goes back from the timeline: the alerts, then the checklist.
        app.apply(Input::Key(Key::BackTab));
        assert_eq!(app.ui.focus, warroom::core::ui::Panel::Alerts);
        app.apply(Input::Key(Key::BackTab));
        assert_eq!(app.ui.focus, warroom::core::ui::Panel::Checklist);
        app
    }

    #[test]
    fn space_on_the_focused_item_confirms_then_sends_a_tick_with_its_note() {
        use warroom::core::checklist::ItemStatus;
        let mut app = on_checklist();
        // Down moves the cursor to the second item, the sign-off.
        app.apply(Input::Key(Key::Down));
        assert_eq!(app.ui.cursor_item(&app.state.plan.spec), Some((1, 0)));
        let fx = app.apply(Input::Key(Key::Char(' ')));
        assert!(fx.send.is_empty(), "one key never sends a command");
        let cf = app.outbox.confirm.clone().expect("a confirmation");
        assert_eq!(cf.action, Action::Tick);
        let item = cf.check.expect("about an item");
        assert_eq!(
            (item.id.as_str(), item.text.as_str()),
            ("signoff", "IC sign-off")
        );
        assert_eq!(item.now, "open");
        // Typing is the note; Enter sends it, audited first.
        keys(&mut app, "looks good");
        let fx = app.apply(Input::Key(Key::Enter));
        let cmd = fx.send.first().expect("sent").clone();
        assert_eq!(cmd.action, Action::Tick);
        assert_eq!(cmd.item(), Some("signoff"));
        assert_eq!(cmd.reason.as_deref(), Some("looks good"));
        assert_eq!(cmd.expected_wave(), None, "a tick expects no wave");
        assert_eq!(cmd.session.as_deref(), Some("s1"));
        assert!(matches!(&fx.audit[..], [AuditEntry::Confirmed(c)] if *c == cmd));
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("tick sent, waiting for the outcome")
        );
        // The control plane's answer settles it; the item is done, by whoever it says.
        let fx = app.apply(events(vec![
            record(
                20,
                Body::Command {
                    id: cmd.id.clone().into(),
                    action: Action::Tick,
                    by: Some("ic@room".into()),
                    reason: Some("looks good".into()),
                    wave: None,
                    item: Some("signoff".into()),
                },
            ),
            record(
                20,
                Body::Outcome {
                    id: cmd.id.clone().into(),
                    result: OutcomeKind::Accepted,
                    reason: None,
                },
            ),
            record(
                20,
                Body::Check {
                    section: 1,
                    item: 0,
                    state: ItemStatus::Done,
                    by: Some("ic@room".into()),
                    text: Some("looks good".into()),
                },
            ),
        ]));
        assert!(fx.audit.iter().any(|a| matches!(
            a,
            AuditEntry::Outcome {
                result: OutcomeKind::Accepted,
                ..
            }
        )));
        assert!(app.outbox.pending.is_empty());
        assert_eq!(app.ui.notice.as_deref(), Some("tick accepted"));
        assert!(texts(&app)
            .iter()
            .any(|l| l == "TICK requested on signoff — looks good (ic@room)"));
        // The same key on a done item unticks it.
        app.apply(Input::Key(Key::Char('x')));
        let cf = app.outbox.confirm.clone().unwrap();
        assert_eq!(cf.action, Action::Untick);
        assert!(cf.check.unwrap().now.starts_with("done by ic@room at T+"));
        app.apply(Input::Key(Key::Esc));
        assert!(app.outbox.confirm.is_none());
        assert_eq!(app.ui.notice.as_deref(), Some("untick cancelled"));
    }

    #[test]
    fn a_tick_while_the_control_plane_is_down_is_not_sent_and_says_so() {
        let mut app = on_checklist();
        down(&mut app);
        app.apply(Input::Key(Key::Char('x')));
        let fx = app.apply(Input::Key(Key::Enter));
        assert!(fx.send.is_empty());
        assert!(
            matches!(&fx.audit[..], [AuditEntry::Confirmed(_), AuditEntry::NotSent { reason, .. }] if reason == "control plane down")
        );
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("tick NOT sent: control plane down")
        );
        assert!(app.outbox.pending.is_empty());
    }

    #[test]
    fn observers_and_replays_do_not_tick_and_say_why() {
        let mut app = on_checklist();
        app.outbox.role = Role::Observer;
        let fx = app.apply(Input::Key(Key::Char(' ')));
        assert!(app.outbox.confirm.is_none() && fx.send.is_empty());
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("read-only seat: observers cannot tick")
        );
        // A replay: x says it is read-only; space still plays.
        let info = warroom::core::playback::ReplayInfo {
            speed: warroom::core::playback::Speed::Times(1.0),
            playing: false,
            start: Offset::ZERO,
            end: Offset::from_secs(600),
        };
        let mut replay = App::new(state(), warroom::core::playback::Mode::Replay(info));
        replay.outbox = Outbox::new(Role::Commander, "ic@room".into(), "t".into());
        for _ in 0..3 {
            replay.apply(Input::Key(Key::Tab));
        }
        assert_eq!(replay.ui.focus, warroom::core::ui::Panel::Checklist);
        replay.apply(Input::Key(Key::Char('x')));
        assert!(replay.outbox.confirm.is_none());
        assert_eq!(
            replay.ui.notice.as_deref(),
            Some("a replay is read-only: items are ticked live")
        );
        let fx = replay.apply(Input::Key(Key::Char(' ')));
        assert_eq!(fx.replay, Some(warroom::core::playback::ReplayCtl::Toggle));
        // The `:` line says the same.
        keys(&mut replay, ":check backup");
        replay.apply(Input::Key(Key::Enter));
        assert_eq!(
            replay.ui.line.as_ref().and_then(|l| l.error.as_deref()),
            Some("a replay is read-only: items are ticked live")
        );
    }

    #[test]
    fn the_command_line_checks_an_item_with_a_note_through_the_same_confirmation() {
        let mut app = joined(false);
        // `:` opens the line at the bottom; Esc cancels it.
        keys(&mut app, ":chec");
        assert_eq!(app.ui.line.as_ref().map(|l| l.input.as_str()), Some("chec"));
        app.apply(Input::Key(Key::Esc));
        assert!(app.ui.line.is_none());
        // An unknown command, a missing item and an unknown item keep the line, with why.
        for (typed, why) in [
            (":frobnicate now", "unknown command :frobnicate (Tab completes; known: pause resume advance rollback note check milestone incident status injects release speed seek uncheck goto filter theme help q)"),
            (":check", "usage: :check ITEM [note]"),
            (":check nope", "no checklist item \"nope\" in the plan"),
            (":uncheck backup", "item \"backup\" is open: there is nothing to untick"),
        ] {
            keys(&mut app, typed);
            app.apply(Input::Key(Key::Enter));
            let line = app.ui.line.clone().expect("still open");
            assert_eq!(line.error.as_deref(), Some(why), "{typed}");
            assert!(app.outbox.confirm.is_none());
            app.apply(Input::Key(Key::Esc));
        }
        keys(&mut app, ":check signoff checked the canary tenants");
        let fx = app.apply(Input::Key(Key::Enter));
        assert!(fx.send.is_empty() && app.ui.line.is_none());
        let cf = app.outbox.confirm.clone().expect("the same confirmation");
        assert_eq!(cf.action, Action::Tick);
        assert_eq!(cf.reason, "checked the canary tenants");
        assert_eq!(
            app.ui.cursor_item(&app.state.plan.spec),
            Some((1, 0)),
            "the cursor goes to the item"
        );
        let fx = app.apply(Input::Key(Key::Enter));
        let cmd = &fx.send[0];
        assert_eq!(
            (cmd.action, cmd.item(), cmd.reason.as_deref()),
            (
                Action::Tick,
                Some("signoff"),
                Some("checked the canary tenants")
            )
        );
    }
}

/// Keys as a person at 3 a.m. presses them: Ctrl+C in a box closes the box, `q` with a
/// command in flight asks first, the footer offers only what applies, go-to clamps and says
/// where, the kind picker.
mod keys {
    use super::*;
    use warroom::core::app::App;
    use warroom::core::command::Role;
    use warroom::core::input::Input;
    use warroom::core::intent::{Intent, Key, KEYMAP};
    use warroom::core::outbox::Outbox;
    use warroom::core::playback::{Mode, ReplayCtl, ReplayInfo, Speed};

    fn press(app: &mut App, keys: &[Key]) -> bool {
        let mut quit = false;
        for k in keys {
            quit |= app.apply(Input::Key(*k)).quit;
        }
        quit
    }

    fn typed(text: &str) -> Vec<Key> {
        text.chars().map(Key::Char).collect()
    }

    /// A commander's live console on `state()`, connected to session s1.
    fn live() -> App {
        let mut app = App::new(state(), Mode::Live);
        app.outbox = Outbox::new(Role::Commander, "ic@room".into(), "t".into());
        app.live.session = Some("s1".into());
        app.state.source.link = Link::Connected;
        app
    }

    fn replay() -> App {
        let info = ReplayInfo {
            speed: Speed::Times(60.0),
            playing: true,
            start: Offset::ZERO,
            end: Offset::from_secs(600),
        };
        App::new(state(), Mode::Replay(info))
    }

    /// `U` opens the update pre-filled from the state; Ctrl+S posts it to every timeline as
    /// one note (its lines joined), saves and copies it whole; the note, once on the
    /// timeline, restarts the 15-minute reminder, which is due only after it.
    #[test]
    fn a_status_update_is_drafted_posted_and_reminded() {
        use warroom::core::effects::Effects;
        use warroom::core::status_update::{reminder, HEAD};
        use warroom::core::time::Span;
        let mut app = live();
        let t = Offset::from_secs(10);
        app.state.waves[0].set(WaveStatus::Active, t);
        app.state.now = Offset::from_secs(16 * 60 + 10);
        assert_eq!(
            reminder(&app.state).as_deref(),
            Some("status update due (none posted yet, every 15m)")
        );
        assert!(!press(&mut app, &[Key::Char('U')]));
        let draft = app
            .ui
            .composer
            .as_ref()
            .expect("the composer is open")
            .text();
        let lines: Vec<&str> = draft.lines().collect();
        assert!(lines[0].starts_with(HEAD), "{draft}");
        for (n, start) in [
            (1, "TIMESTAMP: "),
            (2, "STATUS: IN PROGRESS"),
            (3, "CURRENT PHASE: "),
        ] {
            assert!(lines[n].starts_with(start), "line {n}: {draft}");
        }
        assert!(lines.contains(&"Progress:"), "{draft}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("→ ") && l.ends_with("ACTIVE")
                    || l.starts_with("→ ") && l.contains("ACTIVE (")),
            "the current wave is marked: {draft}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("Next Update: ")),
            "{draft}"
        );
        let mut fx = Effects::default();
        for k in typed("Holding wave 1.") {
            fx.merge(app.apply(Input::Key(k)));
        }
        assert!(fx.send.is_empty(), "typing sends nothing");
        let fx = app.apply(Input::Key(Key::CtrlS));
        assert!(app.ui.composer.is_none());
        let [cmd] = fx.send.as_slice() else {
            panic!("one command: {:?}", fx.send)
        };
        assert_eq!(cmd.action, warroom::core::command::Action::Note);
        let note = cmd.reason.clone().unwrap();
        assert!(
            note.starts_with(HEAD) && note.ends_with(" · Holding wave 1."),
            "{note}"
        );
        assert!(!note.contains('\n'), "one timeline line: {note}");
        let saved = fx.status.expect("saved and copied");
        assert!(saved.text.ends_with("\nHolding wave 1."), "{}", saved.text);
        assert!(
            saved.text.contains("\nProgress:\n"),
            "the file keeps the lines"
        );
        assert_eq!(
            std::path::Path::new(&saved.name).extension(),
            Some("txt".as_ref()),
            "{}",
            saved.name
        );
        // Back from the control plane as a note on the timeline: the reminder starts over.
        let posted = app.state.now;
        app.state.apply(rec(
            posted.0 / 1000,
            Body::Note {
                by: Some("ic@room".into()),
                text: note.into(),
            },
        ));
        assert_eq!(app.state.last_status_update, Some(posted));
        app.state.now = posted.saturating_add(Span(14 * 60_000));
        assert_eq!(reminder(&app.state), None);
        app.state.now = posted.saturating_add(Span(16 * 60_000));
        assert_eq!(
            reminder(&app.state).as_deref(),
            Some("status update due (last one 16m ago, every 15m)")
        );
        // An observer cannot write one; Esc leaves without posting.
        app.outbox.role = Role::Observer;
        app.apply(Input::Key(Key::Char('U')));
        assert!(app.ui.composer.is_none());
        app.outbox.role = Role::Commander;
        app.apply(Input::Key(Key::Char('U')));
        let fx = app.apply(Input::Key(Key::Esc));
        assert!(app.ui.composer.is_none() && fx.send.is_empty() && fx.status.is_none());
    }

    #[test]
    fn ctrl_c_in_a_box_closes_the_box_not_the_program() {
        let mut app = live();
        for open in [
            vec![Key::Char('t')],
            typed(":pau"),
            typed("/err"),
            vec![Key::Char('N')],
            vec![Key::Char('f')],
        ] {
            assert!(!press(&mut app, &open));
            assert!(
                app.ui.modal() || app.outbox.confirm.is_some(),
                "{open:?} opened nothing"
            );
            assert!(!press(&mut app, &[Key::CtrlC]), "{open:?}: Ctrl+C quit");
            assert!(
                !app.ui.modal() && app.outbox.confirm.is_none(),
                "{open:?} still open"
            );
        }
        press(&mut app, &[Key::Char('?')]);
        assert!(
            !press(&mut app, &[Key::CtrlC]) && !app.ui.help,
            "Ctrl+C closes the help"
        );
        assert!(
            press(&mut app, &[Key::CtrlC]),
            "with nothing open, Ctrl+C quits"
        );
    }

    #[test]
    fn q_with_a_command_in_flight_asks_first() {
        let mut app = live();
        press(&mut app, &[Key::Char('N')]);
        press(&mut app, &typed("war room open"));
        let fx = app.apply(Input::Key(Key::Enter));
        assert_eq!(fx.send.len(), 1);
        assert_eq!(app.outbox.pending.len(), 1);
        assert!(!press(&mut app, &[Key::Char('q')]));
        assert!(app.ui.quit_ask);
        assert!(!press(&mut app, &[Key::Char('x')]), "any other key stays");
        assert!(!app.ui.quit_ask);
        assert!(!press(&mut app, &typed(":q")));
        assert!(!press(&mut app, &[Key::Enter]));
        assert!(app.ui.quit_ask, ":q asks too");
        assert!(press(&mut app, &[Key::Char('y')]));
    }

    #[test]
    fn the_footer_offers_only_the_commands_that_apply_now() {
        let offered = |app: &App| -> Vec<Intent> {
            KEYMAP
                .iter()
                .filter(|b| b.when == warroom::core::intent::When::Live && app.offers(b))
                .map(|b| b.intent)
                // A milestone can always be marked (the next one, or a detection), and a
                // status update always written.
                .filter(|i| !matches!(i, Intent::Milestone | Intent::StatusUpdate))
                .collect()
        };
        let mut app = live();
        for always in [Intent::Milestone, Intent::StatusUpdate] {
            assert!(KEYMAP.iter().any(|b| b.intent == always && app.offers(b)));
        }
        // Not started: advance (start) and note; nothing to pause, resume or roll back.
        assert_eq!(offered(&app), [Intent::Advance, Intent::Note]);
        let t = Offset::from_secs(10);
        app.state.waves[0].set(WaveStatus::Active, t);
        assert_eq!(
            offered(&app),
            [
                Intent::Pause,
                Intent::Advance,
                Intent::Rollback,
                Intent::Note
            ]
        );
        app.state.waves[0].set(WaveStatus::Paused, t);
        assert_eq!(
            offered(&app),
            [
                Intent::Resume,
                Intent::Advance,
                Intent::Rollback,
                Intent::Note
            ]
        );
        app.state.waves[0].set(WaveStatus::RolledBack, t);
        assert_eq!(offered(&app), [Intent::Note]);
        // And a key for what is not offered says why instead of opening a confirmation.
        press(&mut app, &[Key::Char('A')]);
        assert!(app.outbox.confirm.is_none());
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("rolled back: there is no next wave")
        );
    }

    #[test]
    fn go_to_pauses_at_the_target_and_says_where_it_was_clamped() {
        let mut app = replay();
        press(&mut app, &[Key::Char('t')]);
        press(&mut app, &typed("T+99h"));
        let fx = app.apply(Input::Key(Key::Enter));
        assert_eq!(fx.replay, Some(ReplayCtl::GoTo(Offset::from_secs(600))));
        assert_eq!(
            app.ui.notice.as_deref(),
            Some("T+4d03h is after the recording's end: went to T+10m (the end)")
        );
        // A UTC clock time, and a full timestamp, through the `:` line.
        let t0 = app.state.plan.spec.t0;
        let at = t0.hms_label(Offset::from_secs(300));
        press(&mut app, &typed(&format!(":goto {at}")));
        let fx = app.apply(Input::Key(Key::Enter));
        assert_eq!(fx.replay, Some(ReplayCtl::GoTo(Offset::from_secs(300))));
        let full = t0.rfc3339(Offset::from_secs(120));
        press(&mut app, &[Key::Char('t')]);
        press(&mut app, &typed(&full));
        let fx = app.apply(Input::Key(Key::Enter));
        assert_eq!(fx.replay, Some(ReplayCtl::GoTo(Offset::from_secs(120))));
        // Nonsense keeps the prompt open with what it accepts.
        press(&mut app, &[Key::Char('t')]);
        press(&mut app, &typed("soon"));
        app.apply(Input::Key(Key::Enter));
        let p = app.ui.prompt.clone().expect("still open");
        assert!(p.error.unwrap_or_default().contains("09:17:38Z"));
    }

    #[test]
    fn the_kind_filter_is_chosen_from_a_list() {
        let mut app = replay();
        press(&mut app, &[Key::Char('f')]);
        assert_eq!(
            app.ui.picker,
            Some(0),
            "the list opens on what is shown now: all kinds"
        );
        press(&mut app, &[Key::Char('a')]);
        press(&mut app, &[Key::Enter]);
        assert!(app.ui.picker.is_none());
        assert_eq!(app.ui.filter_label(), "alert");
        press(&mut app, &[Key::Char('f'), Key::Up, Key::Enter]);
        assert_eq!(app.ui.filter_label(), "check", "the row above alert");
        press(&mut app, &[Key::Char('f'), Key::Home, Key::Enter]);
        assert_eq!(app.ui.filter_label(), "all kinds");
    }

    #[test]
    fn tab_and_shift_tab_visit_every_panel_and_enter_opens_what_is_selected() {
        use warroom::core::ui::Panel;
        let mut app = live();
        let mut seen = vec![app.ui.focus];
        for _ in 0..5 {
            press(&mut app, &[Key::Tab]);
            seen.push(app.ui.focus);
        }
        assert_eq!(
            seen,
            [
                Panel::Timeline,
                Panel::Waves,
                Panel::Slos,
                Panel::Checklist,
                Panel::Alerts,
                Panel::Timeline
            ]
        );
        press(&mut app, &[Key::BackTab]);
        assert_eq!(app.ui.focus, Panel::Alerts);
        // The SLOs: Enter opens the one under the cursor.
        press(&mut app, &[Key::BackTab, Key::BackTab, Key::Enter]);
        assert_eq!(
            app.ui.detail.as_ref().map(|d| d.of.clone()),
            Some(warroom::core::ui::Detail::Slo(0))
        );
        press(&mut app, &[Key::Esc]);
        assert!(app.ui.detail.is_none());
        press(&mut app, &[Key::Char('z')]);
        assert!(app.ui.zoom);
    }
}

/// An optional item named by a gate never blocks it: the gate and the checklist count it
/// the same way.
#[test]
fn an_optional_item_never_blocks_its_gate() {
    let header = HEADER.replace(
        r#"{"id":"signoff","text":"IC sign-off"}"#,
        r#"{"id":"signoff","text":"IC sign-off","required":false}"#,
    );
    let mut s = state_of(&header);
    s.apply(wave_1_active());
    let gate = s
        .next_gates()
        .into_iter()
        .find(|g| g.label == "Sign-off")
        .unwrap();
    assert!(gate.green, "{gate:?}");
    assert_eq!(s.checklist.tally_section(&s.plan, 1, Some(0)).blocking, 0);
}

#[test]
fn the_open_incident_is_aged_from_its_detection_and_waits_for_the_next_milestone() {
    let mut s = state();
    assert_eq!(s.open_incident(), None);
    let inc = |m: Milestone| Body::Incident {
        milestone: m,
        severity: None,
        text: None,
    };
    s.apply(rec(100, inc(Milestone::Detected)));
    let open = s.open_incident().unwrap();
    assert_eq!(
        (open.since, open.next),
        (Offset::from_secs(100), Milestone::Acknowledged)
    );
    s.apply(rec(160, inc(Milestone::Acknowledged)));
    s.apply(rec(400, inc(Milestone::Mitigated)));
    let open = s.open_incident().unwrap();
    assert_eq!(
        (open.since, open.reached, open.next),
        (
            Offset::from_secs(100),
            Milestone::Mitigated,
            Milestone::Resolved
        )
    );
    s.apply(rec(900, inc(Milestone::Resolved)));
    assert_eq!(s.open_incident(), None);
    // A second incident is aged from its own detection.
    s.apply(rec(1000, inc(Milestone::Detected)));
    assert_eq!(s.open_incident().unwrap().since, Offset::from_secs(1000));
}
