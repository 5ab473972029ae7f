//! The one headless line shape: `{"t", "utc", "change", …}` per state change, then a
//! `{"summary": …}` line. `warroom replay --headless` and `warroom connect --headless` (and
//! either, when stdout is not a terminal) write exactly this; docs/headless.md describes it.

use std::io::Write;

use serde::Serialize;

use crate::core::effects::{Change, Stamped};
use crate::core::severity::Severity;
use crate::core::state::State;
use crate::core::time::{exact_offset, Epoch};

#[derive(Serialize)]
pub struct Line<'a> {
    pub t: String,
    pub utc: String,
    #[serde(flatten)]
    pub change: &'a Change,
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

/// Writes one change as a line.
///
/// # Errors
/// Writing failed (a closed pipe among others).
pub fn write_change(out: &mut impl Write, epoch: Epoch, c: &Stamped) -> std::io::Result<()> {
    let line = Line {
        t: exact_offset(c.t),
        utc: epoch.rfc3339(c.t),
        change: &c.change,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// Writes the closing summary line.
///
/// # Errors
/// Writing failed.
pub fn write_summary(out: &mut impl Write, state: &State) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &serde_json::json!({ "summary": summary(state) }))?;
    out.write_all(b"\n")
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
        alerts_firing: state.firing(Severity::Info),
        unknown_records: state.unknown,
        timeline_entries: state.timeline.len(),
        timeline_dropped: state.timeline.dropped(),
    }
}
