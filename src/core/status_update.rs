//! Status updates: the text a commander posts every 15 minutes, pre-filled from the state in
//! the shape of the orchestrator runbook's template (timestamp UTC, status, current phase,
//! the progress of every wave with its state and time, the key metrics with their bands, the
//! next update's time), and the reminder when the next one is due.

use super::slo::Band;
use super::state::State;
use super::time::{Offset, Span};
use super::wave::WaveStatus;
use super::words::format_value;

/// How often the runbook asks for an update.
pub const EVERY: Span = Span(15 * 60_000);
/// The first line of every update, which is how the timeline (and every console) knows one
/// was posted.
pub const HEAD: &str = "STATUS UPDATE";

/// The update's text for the state now, in the runbook's shape.
#[must_use]
pub fn draft(s: &State) -> String {
    use std::fmt::Write as _;
    let plan = &s.plan.spec;
    let now = s.now;
    let t0 = plan.t0;
    let cur = s.current_wave();
    let done = s
        .waves
        .last()
        .is_some_and(|w| w.status == WaveStatus::Passed);
    let status = match cur.map(|w| s.waves[w].status) {
        _ if done => "COMPLETE",
        Some(WaveStatus::RolledBack) => "ROLLED BACK",
        Some(WaveStatus::Failed) => "FAILED",
        Some(WaveStatus::Paused) => "PAUSED",
        Some(_) => "IN PROGRESS",
        None => "NOT STARTED",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{HEAD} · {}",
        plan.title.as_deref().unwrap_or(&plan.id)
    );
    let _ = writeln!(
        out,
        "TIMESTAMP: {} UTC ({})",
        t0.utc_label(now).trim_end_matches('Z'),
        now.t_label()
    );
    let _ = writeln!(out, "STATUS: {status} ({})", s.status.word());
    let utc = |t: Offset| format!("{} UTC", t0.hms_label(t).trim_end_matches('Z'));
    let phase = cur.map_or_else(
        || "none started".to_string(),
        |w| format!("{} — {}", phase_label(s, w), s.waves[w].status.word()),
    );
    let _ = writeln!(out, "CURRENT PHASE: {phase}");
    if let Some(o) = s.open_incident() {
        let _ = writeln!(
            out,
            "INCIDENT: {} {}, open {} (detected {}), next {}",
            o.severity.word(),
            o.reached.word(),
            now.since(o.since).compact(),
            utc(o.since),
            o.next.wire()
        );
    }
    out.push_str("\nProgress:\n");
    for (w, (spec, st)) in plan.waves.iter().zip(&s.waves).enumerate() {
        let mark = match st.status {
            WaveStatus::Passed => "✓",
            _ if Some(w) == cur => "→",
            WaveStatus::Failed | WaveStatus::RolledBack => "✗",
            _ => " ",
        };
        let time = match (st.status, st.since, spec.bake) {
            (WaveStatus::Active | WaveStatus::Paused, Some(_), Some(b)) => {
                format!(" ({}/{} baked)", st.baked(now).compact(), b.compact())
            }
            (st, Some(since), _) if st != WaveStatus::Pending => {
                format!(" (since {})", utc(since))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{mark} {} - {}{time}",
            phase_label(s, w),
            st.status.word()
        );
    }
    metrics(s, &mut out);
    // The cursor waits on the line after it, for the room's own words.
    let _ = write!(out, "\nNext Update: {}\n", utc(now.saturating_add(EVERY)));
    out
}

/// "- Error rate: 0.4% OK (target 0.5%)": every SLO's last value, its band and the line it
/// stands against.
fn metrics(s: &State, out: &mut String) {
    use std::fmt::Write as _;
    let plan = &s.plan.spec;
    if !plan.slos.is_empty() {
        out.push_str("\nMetrics:\n");
    }
    for (spec, st) in plan.slos.iter().zip(&s.slos) {
        let value = st.last.and_then(|l| l.value).map_or_else(
            || "no data".to_string(),
            |v| match spec.baseline {
                // "118 MB, +0.9% on baseline": the thresholds speak of the change.
                Some(b) if b != 0.0 => format!(
                    "{}, {:+.1}% on baseline",
                    format_value(v, &spec.unit),
                    super::slo::SloState::scaled(spec, v)
                ),
                _ => format_value(v, &spec.unit),
            },
        );
        let limit = |v: f64| match spec.baseline {
            // Thresholds of an SLO with a baseline are changes against it.
            Some(_) => format!(
                "{:+}%",
                crate::core::words::trim_number(v)
                    .parse::<f64>()
                    .unwrap_or(v)
            ),
            None => format_value(v, &spec.unit),
        };
        // The line the value stands against: the one it crossed, else the target.
        let (band, line) = match st.band() {
            _ if st.stale => ("STALE", format!("target {}", limit(spec.target))),
            Band::Crit => ("CRIT", format!("critical {}", limit(spec.critical))),
            Band::Warn => ("WARN", format!("warning {}", limit(spec.warning))),
            Band::Pass => ("OK", format!("target {}", limit(spec.target))),
            Band::NoData => ("NO DATA", format!("target {}", limit(spec.target))),
        };
        let _ = writeln!(out, "- {}: {value} {band} ({line})", spec.name);
    }
}

/// "Wave 3: Gradual GA (50%)", "batch 2 Canary (5 substations)": a wave as the update names
/// it, its number said once.
fn phase_label(s: &State, w: usize) -> String {
    let plan = &s.plan.spec;
    let name = &plan.waves[w].name;
    let step = plan.strategy.step_word();
    let traffic = s.traffic_label(plan.waves[w].traffic);
    let numbered = if name.to_lowercase().starts_with(step) {
        name.clone()
    } else {
        format!("{step} {} {name}", w + 1)
    };
    // "Phase 5: Cutover 50%" says its traffic already.
    if name.contains(&traffic) {
        numbered
    } else {
        format!("{numbered} ({traffic})")
    }
}

/// The update as one timeline line: its lines joined with " · " (a timeline entry holds one
/// line), blank lines left out.
#[must_use]
pub fn as_note(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Whether a note's text is a status update (how every console knows one was posted).
#[must_use]
pub fn is_update(note: &str) -> bool {
    note.starts_with(HEAD)
}

/// The update inside a note's timeline entry ("ic@a: STATUS UPDATE · …"): what follows the
/// author, when that is an update.
#[must_use]
pub fn in_entry(entry: &str) -> Option<(&str, &str)> {
    let at = entry.find(HEAD)?;
    let (by, update) = entry.split_at(at);
    (by.is_empty() || by.ends_with(": ")).then_some((by, update))
}

/// A timeline entry's text as the update's lines again, for the detail view: "ic@a: STATUS
/// UPDATE · Rollout · TIMESTAMP: … · Progress: · …" becomes paragraphs (the head and its
/// summary, each section from its label, the next update's time and what follows it), their
/// lines joined with line breaks. `None` for any other text.
#[must_use]
pub fn lines_of(entry: &str) -> Option<Vec<String>> {
    let (by, update) = in_entry(entry)?;
    let mut paras: Vec<Vec<String>> = vec![Vec::new()];
    if !by.is_empty() {
        paras[0].push(by.trim_end().to_string());
    }
    let mut parts = update.split(" · ");
    // The first line names the rollout after the head: "STATUS UPDATE · Batch Patches".
    let head = parts.next().unwrap_or_default();
    paras[0].push(match parts.next() {
        Some(title) => format!("{head} · {title}"),
        None => head.to_string(),
    });
    for part in parts {
        let label = part.ends_with(':') && !part.contains(' ');
        if label || part.starts_with("Next Update:") {
            paras.push(Vec::new());
        }
        if let Some(p) = paras.last_mut() {
            p.push(part.to_string());
        }
    }
    Some(paras.into_iter().map(|p| p.join("\n")).collect())
}

/// When the next update is due, while there is something to report on: a rollout under way
/// (a wave current and not finished) or an incident open. Counted from the last update
/// posted, else from when the current wave or the incident began.
#[must_use]
pub fn due(s: &State) -> Option<Offset> {
    let cur = s.current_wave();
    let moving = cur.filter(|w| {
        matches!(
            s.waves[*w].status,
            WaveStatus::Active | WaveStatus::Paused | WaveStatus::Failed
        )
    });
    let since = match (s.last_status_update, s.open_incident(), moving) {
        (Some(t), Some(_), _) | (Some(t), None, Some(_)) => t,
        (None, Some(o), _) => o.since,
        (None, None, Some(w)) => s.waves[w].since?,
        (_, None, None) => return None,
    };
    Some(since.saturating_add(EVERY))
}

/// "status update due (last one 16m ago, every 15m)", once the next one is due.
#[must_use]
pub fn reminder(s: &State) -> Option<String> {
    let due = due(s)?;
    if s.now < due {
        return None;
    }
    let last = match s.last_status_update {
        Some(t) => format!("last one {} ago", s.now.since(t).compact()),
        None => "none posted yet".into(),
    };
    Some(format!("status update due ({last}, every 15m)"))
}

/// The update's file name: the rollout's id and the UTC time it stands for
/// (`edgeplug-fleet-rollback-tabletop-20240227T135901Z.txt`).
#[must_use]
pub fn file_name(s: &State) -> String {
    let stamp: String = s
        .plan
        .spec
        .t0
        .utc_label(s.now)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    // "2024-02-27 13:59:01Z" → "20240227135901Z": put the T back.
    let stamp = if stamp.len() > 8 {
        format!("{}T{}", &stamp[..8], &stamp[8..])
    } else {
        stamp
    };
    let id: String = s
        .plan
        .spec
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{id}-{stamp}.txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_view_gets_the_updates_lines_back() {
        let text = "STATUS UPDATE · Rollout\nTIMESTAMP: 13:59:01 UTC (T+5s)\nSTATUS: IN PROGRESS\n\n\
                    Progress:\n→ Wave 1 - ACTIVE\n  Wave 2 - PENDING\n\nMetrics:\n- Error rate: 0.4% OK\n\n\
                    Next Update: 14:14:01 UTC\nHolding.";
        let note = as_note(text);
        assert_eq!(
            note,
            "STATUS UPDATE · Rollout · TIMESTAMP: 13:59:01 UTC (T+5s) · STATUS: IN PROGRESS · \
             Progress: · → Wave 1 - ACTIVE · Wave 2 - PENDING · Metrics: · - Error rate: 0.4% OK · \
             Next Update: 14:14:01 UTC · Holding."
        );
        assert_eq!(
            lines_of(&format!("ic@a: {note}")).unwrap(),
            [
                "ic@a:\nSTATUS UPDATE · Rollout\nTIMESTAMP: 13:59:01 UTC (T+5s)\nSTATUS: IN PROGRESS",
                "Progress:\n→ Wave 1 - ACTIVE\nWave 2 - PENDING",
                "Metrics:\n- Error rate: 0.4% OK",
                "Next Update: 14:14:01 UTC\nHolding.",
            ]
        );
        assert_eq!(lines_of("ic@a: we will send a STATUS UPDATE soon"), None);
        assert_eq!(lines_of("deploy finished"), None);
    }
}
