//! The control plane's journal (`warroom serve --state DIR`).
//!
//! * Append: the publish path of the control plane (number and serialise each event, write
//!   its journal line, publish it) over 1,000,000 events of the Batch Patches plan: samples in
//!   batches of 50 (written at once, synced at most every 200 ms) and, every 1,000 events, a
//!   command and its outcome in a batch of their own, each such batch `fdatasync`ed before it
//!   is published. Compaction runs as it does in the control plane (a snapshot and a new
//!   segment every 100,000 events). Goal: ≥ 100,000 events/s sustained, on one core.
//! * Restart: a control plane started again on a journal of 100,000 and of 1,000,000 events
//!   (`ControlPlane::new_in`: the journal read back, the state rebuilt, the scenario resumed,
//!   the restart's own timeline line written and synced), ready to serve consoles. Goal:
//!   ≤ 1 s at each size; the ratio 1M / 100k shows that snapshots make it independent of the
//!   journal's length.
//!
//! Wall time is the figure the goals name; the machine's own fsync cost is shown beside it.

use std::path::Path;
use std::time::{Duration, Instant};

use warroom::core::command::{Action, OutcomeKind};
use warroom::core::record::{Body, Record};
use warroom::core::time::Offset;
use warroom::server::event_log::EventLog;
use warroom::server::journal::Journal;
use warroom::server::net::{ControlPlane, Tokens};
use warroom::server::scenario::Scenario;

const APPEND_EVENTS: u64 = 1_000_000;
const SAMPLE_BATCH: u64 = 50;
const COMMAND_EVERY: u64 = 1_000;
const APPEND_GOAL: f64 = 100_000.0;
const RESTART_GOAL: Duration = Duration::from_secs(1);

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// Writes `events` events into a new journal in `dir` the way the control plane does;
/// returns the time it took, the number of synced command batches, and the events in the
/// newest segment.
fn fill(dir: &Path, events: u64) -> (Duration, u64, u64) {
    let demo = Scenario::batch_patches_demo(7);
    let plan = demo.plan().clone();
    let mut log = EventLog::new(plan.clone());
    let (mut journal, restored) =
        Journal::open(dir, &plan.spec, "bench-session", log.state(), Offset::ZERO)
            .unwrap_or_else(|e| fail("journal", &e));
    assert!(restored.is_none(), "a fresh directory");
    let slos = plan.spec.slos.len();
    let mut t = 0i64;
    let mut n = 0u64;
    let mut commands = 0u64;
    let mut next_command = COMMAND_EVERY;
    let start = Instant::now();
    while n < events {
        let mut records = Vec::new();
        if n >= next_command {
            next_command += COMMAND_EVERY;
            let id: Box<str> = format!("bench-{n}").into();
            records.push(Record {
                t: Offset(t),
                source: Some("control-plane".into()),
                body: Body::Command {
                    id: id.clone(),
                    action: Action::Note,
                    by: Some("ana@ops".into()),
                    reason: Some("holding while the p99 settles".into()),
                    wave: None,
                    item: None,
                },
            });
            records.push(Record {
                t: Offset(t),
                source: Some("control-plane".into()),
                body: Body::Outcome {
                    id,
                    result: OutcomeKind::Accepted,
                    reason: None,
                },
            });
            commands += 1;
        } else {
            for k in 0..SAMPLE_BATCH.min(events - n) {
                t += 1000;
                records.push(Record {
                    t: Offset(t),
                    source: None,
                    #[allow(clippy::cast_precision_loss)]
                    body: Body::Metric {
                        slo: usize::try_from(k).unwrap_or(0) % slos,
                        value: Some(0.5 + (n % 97) as f64 / 100.0),
                    },
                });
            }
        }
        n += records.len() as u64;
        let mut staged = log.stage(records, true);
        let lines: Vec<_> = staged.iter_mut().filter_map(|s| s.line.take()).collect();
        journal
            .append(&lines)
            .unwrap_or_else(|e| fail("append", &e));
        let seq = log.commit(staged);
        if journal.full() {
            let image = log.state().image();
            let at = log.state().last_record.unwrap_or(Offset::ZERO);
            journal
                .compact(seq, image, at)
                .unwrap_or_else(|e| fail("compact", &e));
        }
    }
    (start.elapsed(), commands, journal.in_segment())
}

/// The median time to start a control plane again on `dir`.
fn restart(dir: &Path) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let plane = ControlPlane::new_in(
                Scenario::batch_patches_demo(7),
                1.0,
                Tokens::default(),
                Some(dir),
            )
            .unwrap_or_else(|e| fail("restart", &e));
            let took = start.elapsed();
            assert!(plane.journal_status().is_some_and(|(_, _, again)| again));
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// What one `fdatasync` of a small write costs on this disk.
fn fsync_cost(dir: &Path) -> Duration {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("probe")).unwrap_or_else(|e| fail("probe", &e));
    let start = Instant::now();
    for _ in 0..100 {
        let _ = f.write_all(b"{\"probe\":1}\n");
        let _ = f.sync_data();
    }
    start.elapsed() / 100
}

mod bench;
use bench::verdict;

fn main() {
    let base = std::env::var_os("WARROOM_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(base).unwrap_or_else(|e| fail("tempdir", &e));
    let sync = fsync_cost(dir.path());
    let append_dir = dir.path().join("append");
    let (took, commands, newest_segment) = fill(&append_dir, APPEND_EVENTS);
    #[allow(clippy::cast_precision_loss)]
    let rate = APPEND_EVENTS as f64 / took.as_secs_f64();
    println!(
        "journal append: {APPEND_EVENTS} events ({commands} command batches fsynced one by one, \
         one fdatasync here costs {:.2} ms) in {:.2} s",
        sync.as_secs_f64() * 1000.0,
        took.as_secs_f64()
    );
    println!(
        "requirement journal append sustained >= {APPEND_GOAL:.0} events/s: {} ({rate:.0} events/s)",
        verdict(rate >= APPEND_GOAL)
    );
    // What a restart replays is the newest segment: from empty (just compacted, the
    // cheapest) to nearly 100,000 events (the dearest). Segments close on batch boundaries,
    // so how full the newest is at a given total is printed beside it.
    let mut at = Vec::new();
    for events in [100_000u64, 99_000, APPEND_EVENTS, APPEND_EVENTS - 60_000] {
        let (d, in_newest) = if events == APPEND_EVENTS {
            (append_dir.clone(), newest_segment)
        } else {
            let d = dir.path().join(format!("j{events}"));
            let (_, _, n) = fill(&d, events);
            (d, n)
        };
        let took = restart(&d);
        at.push(took);
        println!(
            "requirement restart to serving <= {} ms with a journal of {events} events \
             ({in_newest} in the newest segment): {} ({:.1} ms)",
            RESTART_GOAL.as_millis(),
            verdict(took <= RESTART_GOAL),
            took.as_secs_f64() * 1000.0
        );
    }
    let worst = |a: Duration, b: Duration| a.max(b).as_secs_f64();
    println!(
        "restart time, worst at ~1M events / worst at ~100k events: {:.2}x (snapshots keep it \
         independent of the journal's length)",
        worst(at[2], at[3]) / worst(at[0], at[1]).max(1e-9)
    );
}
