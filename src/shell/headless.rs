//! Headless run: the same reducer without a screen. State changes go out as NDJSON, then a
//! final summary; this is what `warroom replay` does when stdout is not a terminal.

use std::io::Write;

use serde::Serialize;

use crate::core::effects::Change;

use crate::core::state::{Event, State};

use crate::core::time::exact_offset;
use crate::format::fixture::FixtureError;

use super::fixtures::Source;
use crate::shell::fixtures::initial_state;

#[derive(Serialize)]
struct Line<'a> {
    t: String,
    utc: String,
    #[serde(flatten)]
    change: &'a Change,
}

/// The final picture, printed last.
#[derive(Serialize, Debug)]
pub struct Summary {
    pub rollout: String,
    pub records: u64,
    pub end: String,
    pub status: &'static str,
    pub wave: Option<WaveSummary>,
    pub slos: Vec<SloSummary>,
    pub checklist: ChecklistSummary,
    pub alerts_firing: usize,
    pub unknown_records: u64,
    pub timeline_entries: usize,
    pub timeline_dropped: u64,
}

#[derive(Serialize, Debug)]
pub struct WaveSummary {
    pub id: String,
    pub number: usize,
    pub of: usize,
    pub state: &'static str,
    pub traffic: f64,
}

#[derive(Serialize, Debug)]
pub struct SloSummary {
    pub id: String,
    pub band: &'static str,
    pub value: Option<f64>,
}

#[derive(Serialize, Debug)]
pub struct ChecklistSummary {
    pub verdict: &'static str,
    pub done: usize,
    pub total: usize,
    pub blocking: usize,
}

/// Applies every record of `src`; with `out`, writes each change as one JSON line.
///
/// # Errors
/// A malformed record (the file is refused where it goes wrong) or a write failure.
pub fn run(mut src: Source, mut out: Option<&mut dyn Write>) -> color_eyre::Result<State> {
    let mut state = initial_state(&src);
    state.track_changes(out.is_some());
    let epoch = src.fixture().plan.spec.t0;
    let mut failed: Option<std::io::Error> = None;
    loop {
        let mut apply = |r| {
            let fx = state.apply(Event::Record(r));
            if let Some(w) = out.as_deref_mut() {
                for c in &fx.changes {
                    let line = Line {
                        t: exact_offset(state.now),
                        utc: epoch.rfc3339(state.now),
                        change: c,
                    };
                    if let Err(e) = serde_json::to_writer(&mut *w, &line)
                        .map_err(std::io::Error::from)
                        .and_then(|()| w.write_all(b"\n"))
                    {
                        failed.get_or_insert(e);
                    }
                }
            }
        };
        let more: Result<_, FixtureError> = src.next_records(&mut apply);
        if let Some(e) = failed.take() {
            return Err(e.into());
        }
        if more?.is_none() {
            break;
        }
    }
    Ok(state)
}

#[must_use]
pub fn summary(state: &State) -> Summary {
    let plan = &state.plan.spec;
    let t = state.tally();
    Summary {
        rollout: plan.id.clone(),
        records: state.applied,
        end: state
            .last_record
            .map_or_else(|| "no records".into(), exact_offset),
        status: state.status.word(),
        wave: state.current_wave().map(|w| WaveSummary {
            id: plan.waves[w].id.clone(),
            number: w + 1,
            of: plan.waves.len(),
            state: state.waves[w].status.word(),
            traffic: state.traffic,
        }),
        slos: plan
            .slos
            .iter()
            .zip(&state.slos)
            .map(|(spec, s)| SloSummary {
                id: spec.id.clone(),
                band: s.band().word(),
                value: s.last.and_then(|l| l.value),
            })
            .collect(),
        checklist: ChecklistSummary {
            verdict: if t.blocking == 0 { "GO" } else { "NO-GO" },
            done: t.done,
            total: t.total,
            blocking: t.blocking,
        },
        alerts_firing: state.firing(crate::core::severity::Severity::Info),
        unknown_records: state.unknown,
        timeline_entries: state.timeline.len(),
        timeline_dropped: state.timeline.dropped(),
    }
}
