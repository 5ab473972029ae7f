//! Seeking rebuilds state deterministically: whatever path the replay took (forward, far
//! forward through snapshots, back again), the state at a moment equals a fresh replay to it.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::mpsc;

use warroom::core::input::ReplayMsg;
use warroom::core::playback::ReplayCtl;
use warroom::core::playback::Speed;
use warroom::core::state::{Event, State};
use warroom::core::time::{parse_offset, Offset};
use warroom::format::ndjson;
use warroom::shell::replay::{self, Engine};
use warroom::shell::{fixtures, generate, snapshot};

fn fingerprint(s: &State) -> String {
    let tl: Vec<_> = s
        .timeline
        .iter_rev_from(s.timeline.len())
        .take(50)
        .map(|(_, e)| format!("{:?}{}", e.t, e.text()))
        .collect();
    let hist: Vec<_> = s
        .slos
        .iter()
        .map(|x| x.history.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        .collect();
    // Snapshots keep a recent window of the timeline, so how many entries are in memory may
    // differ after a seek; how many there were in all, and every row near the moment, may not.
    let mut sum = ndjson::summary(s);
    let total = s.timeline.len() as u64 + s.timeline.dropped();
    (sum.timeline_entries, sum.timeline_dropped) = (0, 0);
    format!("{sum:?}|{total}|{tl:?}|{hist:?}|{:?}", s.now)
}

fn drive(path: &str, ctls: Vec<ReplayCtl>) -> (State, usize) {
    let mut src = fixtures::open(path).unwrap();
    let initial = fixtures::initial_state(&src);
    let prep = replay::prepare(&mut src, initial.clone()).unwrap();
    let snaps = prep.index().snapshots.len();
    let src = src.reopen(prep.first_pos).unwrap();
    let engine = Engine::new(src, prep, Speed::Times(60.0));
    let (ctl_tx, ctl_rx) = mpsc::channel();
    let (feed_tx, feed_rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        engine.run(&ctl_rx, Some(Offset::ZERO), false, |f| {
            feed_tx.send(f).is_ok()
        });
    });
    for c in ctls {
        ctl_tx.send(c).unwrap();
    }
    drop(ctl_tx);
    t.join().unwrap();
    let mut state = initial;
    for f in feed_rx {
        match f {
            ReplayMsg::Batch { records, clock, .. } => {
                for r in records {
                    state.apply(Event::Record(r));
                }
                state.apply(Event::Clock(clock));
            }
            ReplayMsg::Restore {
                state: s,
                records,
                clock,
                ..
            } => {
                state = *s;
                for r in records {
                    state.apply(Event::Record(r));
                }
                state.apply(Event::Clock(clock));
            }
            ReplayMsg::Info(_)
            | ReplayMsg::Skipped { .. }
            | ReplayMsg::Checking(_)
            | ReplayMsg::Checked => {}
            ReplayMsg::Failed(e) | ReplayMsg::Refused(e) => panic!("{e}"),
        }
    }
    (state, snaps)
}

#[test]
fn backward_and_forward_seeks_match_a_fresh_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    generate::write(file, 150_000, 11).unwrap();
    let path = path.to_str().unwrap().to_string();
    let at = |s: &str| parse_offset(s).unwrap();
    let targets = [
        at("T+50h"),
        at("T+8h"),
        at("T+8h0m10s"),
        at("T+30h"),
        at("T+1m"),
    ];
    let (state, snaps) = drive(
        &path,
        vec![
            ReplayCtl::SeekTo(targets[0]),
            ReplayCtl::SeekTo(targets[1]),
            ReplayCtl::SeekBy(warroom::core::time::Span(10_000)),
            ReplayCtl::SeekTo(targets[3]),
            ReplayCtl::SeekTo(targets[4]),
        ],
    );
    assert!(
        snaps >= 10,
        "the fixture should be long enough to take snapshots ({snaps})"
    );
    let fresh = snapshot::still_at(fixtures::open(&path).unwrap(), Some(targets[4]))
        .unwrap()
        .state;
    assert_eq!(fingerprint(&state), fingerprint(&fresh));

    for t in [targets[1], targets[2], targets[3]] {
        let (seeked, _) = drive(
            &path,
            vec![ReplayCtl::SeekTo(targets[0]), ReplayCtl::SeekTo(t)],
        );
        let fresh = snapshot::still_at(fixtures::open(&path).unwrap(), Some(t))
            .unwrap()
            .state;
        assert_eq!(
            fingerprint(&seeked),
            fingerprint(&fresh),
            "at {}",
            t.t_label()
        );
        if t == targets[3] {
            assert!(
                seeked.timeline.dropped() > 0,
                "the restored snapshot kept only a window of the timeline"
            );
            assert!(seeked.timeline.len() >= replay::SNAPSHOT_TIMELINE);
        }
    }
}

#[test]
fn next_event_steps_to_the_next_timeline_entry() {
    let path = format!(
        "{}/fixtures/edgeplug-fleet-rollback-tabletop.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let (a, _) = drive(
        &path,
        vec![ReplayCtl::SeekTo(parse_offset("T+5m").unwrap())],
    );
    let (b, _) = drive(
        &path,
        vec![
            ReplayCtl::SeekTo(parse_offset("T+5m").unwrap()),
            ReplayCtl::NextEvent,
        ],
    );
    assert!(b.now > a.now);
    assert_eq!(
        b.timeline.last().unwrap().t,
        b.now,
        "stops exactly on the event"
    );
    assert!(b.timeline.len() > a.timeline.len());
}

/// Quiet stretches play in at most the idle limit: Batch Patches' first day, with events
/// hours apart, goes by in seconds of wall time at ×60, and every record on the way is still
/// delivered, in order.
#[test]
fn quiet_stretches_play_in_at_most_the_idle_limit() {
    let path = format!(
        "{}/fixtures/batch-patches-wave3-rollback.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut src = fixtures::open(&path).unwrap();
    let initial = fixtures::initial_state(&src);
    let prep = replay::prepare(&mut src, initial.clone()).unwrap();
    let src = src.reopen(prep.first_pos).unwrap();
    let engine = Engine::new(src, prep, Speed::Times(60.0))
        .idle_limit(Some(std::time::Duration::from_millis(50)));
    let (ctl_tx, ctl_rx) = mpsc::channel::<ReplayCtl>();
    let (feed_tx, feed_rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        engine.run(&ctl_rx, None, true, |f| feed_tx.send(f).is_ok());
    });
    let started = std::time::Instant::now();
    let mut skipped = Vec::new();
    let mut clock = Offset(i64::MIN);
    let mut last_record = Offset(i64::MIN);
    while started.elapsed() < std::time::Duration::from_secs(4) {
        match feed_rx.recv_timeout(std::time::Duration::from_millis(100)) {
            Ok(ReplayMsg::Batch {
                records, clock: c, ..
            }) => {
                for r in &records {
                    assert!(r.t >= last_record, "in order");
                    last_record = r.t;
                }
                clock = c;
            }
            Ok(ReplayMsg::Skipped { quiet, limit }) => {
                assert_eq!(limit.0, 50);
                skipped.push(quiet);
            }
            Ok(_) | Err(_) => {}
        }
    }
    drop(ctl_tx);
    drop(feed_rx);
    t.join().unwrap();
    assert!(!skipped.is_empty(), "nothing was skipped");
    // At ×60, four seconds of wall time are four minutes of fixture; with the idle limit the
    // replay is past the first day.
    assert!(
        clock > parse_offset("T+1d").unwrap(),
        "only at {}",
        clock.t_label()
    );
}
