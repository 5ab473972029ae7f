//! The after-action report's facts, gathered while a fixture or a recording is folded: who
//! decided what and why, the incident's milestones and times to acknowledge, mitigate and
//! resolve, the SLOs' samples, the key moments (a trigger fired, an alert fired, an incident
//! was detected) and how long the room took to act on each. Pure: records and changes in,
//! a [`Report`] out; `format::report` writes it as Markdown or HTML.

use std::collections::HashSet;
use std::sync::Arc;

use super::checklist::ItemStatus;
use super::command::{Action, OutcomeKind};
use super::effects::{Change, Stamped};
use super::plan::Plan;
use super::record::{AlertState, Body, Milestone, Record};
use super::severity::Severity;
use super::slo::SloState;
use super::state::State;
use super::status::Status;
use super::time::{Offset, Span};
use super::wave::WaveStatus;

/// Most decisions, moments and milestones kept; more are counted (a report is read by
/// people: a recording with more than this many is a machine talking).
pub const MAX_ROWS: usize = 10_000;

/// A decision someone took: a command, a note, or a wave moved by a named person.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub t: Offset,
    pub what: Decided,
    pub who: Option<Box<str>>,
    pub why: Option<Box<str>>,
    /// The control plane's answer to a command, and when it came.
    pub outcome: Option<(OutcomeKind, Option<Box<str>>, Offset)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decided {
    Command {
        id: Box<str>,
        action: Action,
        /// The wave it was aimed at, by index.
        wave: Option<usize>,
    },
    Note,
    Wave {
        wave: usize,
        state: WaveStatus,
    },
}

impl Decision {
    /// Whether this is the room acting (the answer to a key moment): any command but a
    /// checklist tick or an exercise facilitator's control, a note, or a wave moved by hand.
    #[must_use]
    pub fn is_action(&self) -> bool {
        !matches!(
            &self.what,
            Decided::Command { action, .. } if action.is_checklist() || action.is_exercise()
        )
    }
}

/// A moment the room is expected to answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Moment {
    pub t: Offset,
    pub kind: MomentKind,
    /// What happened, for people ("Error Rate: above 10% for 5m fired").
    pub label: String,
    /// Pairs the moment with the same moment in another file: kind, subject and how many
    /// times that moment had come before (`trigger fired:error_rate:above 10% for 5m#1`).
    pub key: String,
    /// When the room first acted at or after it, and how.
    pub acted: Option<(Offset, String)>,
    /// The same moment's latency in the reference, when one was given.
    pub reference: Option<Option<Span>>,
}

impl Moment {
    /// Time from the moment to the room's first action.
    #[must_use]
    pub fn latency(&self) -> Option<Span> {
        self.acted.as_ref().map(|(t, _)| t.since(self.t))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MomentKind {
    Trigger,
    Alert,
    Detected,
}

impl MomentKind {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            MomentKind::Trigger => "trigger fired",
            MomentKind::Alert => "alert fired",
            MomentKind::Detected => "incident detected",
        }
    }
}

/// One milestone as it was marked.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub t: Offset,
    pub milestone: Milestone,
    pub severity: Option<Severity>,
    pub text: Option<Box<str>>,
    pub source: Option<Box<str>>,
}

/// An incident, from its detection to its resolution, with the milestones between.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incident {
    pub detected: Option<Offset>,
    pub acknowledged: Option<Offset>,
    pub mitigated: Option<Offset>,
    pub resolved: Option<Offset>,
    pub severity: Option<Severity>,
    /// The detection's own words.
    pub text: Option<Box<str>>,
}

impl Incident {
    /// When `m` was marked.
    #[must_use]
    pub fn at(&self, m: Milestone) -> Option<Offset> {
        match m {
            Milestone::Detected => self.detected,
            Milestone::Acknowledged => self.acknowledged,
            Milestone::Mitigated => self.mitigated,
            Milestone::Resolved => self.resolved,
        }
    }

    /// Time from detection to `m` (time to acknowledge, mitigate, resolve).
    #[must_use]
    pub fn time_to(&self, m: Milestone) -> Option<Span> {
        Some(self.at(m)?.since(self.detected?))
    }

    fn slot(&mut self, m: Milestone) -> &mut Option<Offset> {
        match m {
            Milestone::Detected => &mut self.detected,
            Milestone::Acknowledged => &mut self.acknowledged,
            Milestone::Mitigated => &mut self.mitigated,
            Milestone::Resolved => &mut self.resolved,
        }
    }
}

/// One SLO over the whole file: its samples (NaN marks "no data") in the plan's threshold
/// space, and what the fold made of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub points: Vec<(Offset, f64)>,
    /// The trigger firings of this SLO: when, and the trigger's words.
    pub fired: Vec<(Offset, String)>,
}

/// One checklist item at the end of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRow {
    pub section: String,
    pub item: String,
    pub required: bool,
    pub status: ItemStatus,
    pub by: Option<Box<str>>,
    pub at: Option<Offset>,
    pub note: Option<Box<str>>,
}

/// Everything the report says.
#[derive(Clone, Debug)]
pub struct Report {
    pub plan: Arc<Plan>,
    /// The first and last record's times.
    pub span: Option<(Offset, Offset)>,
    pub records: u64,
    pub decisions: Vec<Decision>,
    pub moments: Vec<Moment>,
    pub marks: Vec<Mark>,
    pub incidents: Vec<Incident>,
    pub series: Vec<Series>,
    pub checklist: Vec<CheckRow>,
    /// Every wave's last state and when it got there.
    pub waves: Vec<(WaveStatus, Option<Offset>)>,
    /// Waves that were paused, failed or rolled back at some point, in plan order.
    pub affected: Vec<usize>,
    pub status: Status,
    /// The worst severity of an incident or a firing alert.
    pub severity: Option<Severity>,
    pub alerts_fired: u64,
    /// Rows not kept past [`MAX_ROWS`].
    pub dropped: u64,
    /// The recording began with the state of a session already under way (a snapshot):
    /// what happened before it is known only as that state.
    pub joined_at: Option<Offset>,
}

/// Gathers the report while records are applied: hand it each record before the state
/// applies it ([`Gather::record`]) and the changes applying it made ([`Gather::changes`]).
#[derive(Debug)]
pub struct Gather {
    plan: Arc<Plan>,
    span: Option<(Offset, Offset)>,
    records: u64,
    decisions: Vec<Decision>,
    moments: Vec<Moment>,
    marks: Vec<Mark>,
    series: Vec<Series>,
    affected: Vec<bool>,
    firing: HashSet<Box<str>>,
    seen: std::collections::HashMap<String, usize>,
    severity: Option<Severity>,
    alerts_fired: u64,
    dropped: u64,
    joined_at: Option<Offset>,
}

impl Gather {
    #[must_use]
    pub fn new(plan: Arc<Plan>) -> Gather {
        let p = &plan.spec;
        Gather {
            series: vec![Series::default(); p.slos.len()],
            affected: vec![false; p.waves.len()],
            plan,
            span: None,
            records: 0,
            decisions: Vec::new(),
            moments: Vec::new(),
            marks: Vec::new(),
            firing: HashSet::new(),
            seen: std::collections::HashMap::new(),
            severity: None,
            alerts_fired: 0,
            dropped: 0,
            joined_at: None,
        }
    }

    fn worse(&mut self, s: Severity) {
        self.severity = Some(self.severity.map_or(s, |o| o.max(s)));
    }

    fn keep<T>(dropped: &mut u64, rows: &mut Vec<T>, row: T) {
        if rows.len() < MAX_ROWS {
            rows.push(row);
        } else {
            *dropped += 1;
        }
    }

    fn moment(&mut self, t: Offset, kind: MomentKind, subject: &str, label: String) {
        let n = self.seen.entry(format!("{kind:?}:{subject}")).or_insert(0);
        *n += 1;
        let key = format!("{}:{subject}#{n}", kind.word());
        let m = Moment {
            t,
            kind,
            label,
            key,
            acted: None,
            reference: None,
        };
        Self::keep(&mut self.dropped, &mut self.moments, m);
    }

    /// Takes in one record, before the state applies it.
    pub fn record(&mut self, r: &Record) {
        self.records += 1;
        self.span = Some(self.span.map_or((r.t, r.t), |(a, _)| (a, r.t)));
        match &r.body {
            Body::Metric { slo, value } => self.sample(r.t, *slo, *value),
            Body::Wave {
                wave,
                state,
                by,
                text,
                ..
            } => {
                if matches!(
                    state,
                    WaveStatus::Paused | WaveStatus::Failed | WaveStatus::RolledBack
                ) {
                    if let Some(a) = self.affected.get_mut(*wave) {
                        *a = true;
                    }
                }
                if by.is_some() {
                    let d = Decision {
                        t: r.t,
                        what: Decided::Wave {
                            wave: *wave,
                            state: *state,
                        },
                        who: by.clone(),
                        why: text.clone(),
                        outcome: None,
                    };
                    Self::keep(&mut self.dropped, &mut self.decisions, d);
                }
            }
            Body::Command {
                id,
                action,
                by,
                reason,
                wave,
                ..
            } => {
                let d = Decision {
                    t: r.t,
                    what: Decided::Command {
                        id: id.clone(),
                        action: *action,
                        wave: *wave,
                    },
                    who: by.clone(),
                    why: reason.clone(),
                    outcome: None,
                };
                Self::keep(&mut self.dropped, &mut self.decisions, d);
            }
            Body::Outcome { id, result, reason } => {
                if let Some(d) = self
                    .decisions
                    .iter_mut()
                    .rev()
                    .find(|d| matches!(&d.what, Decided::Command { id: i, .. } if i == id))
                {
                    if d.outcome.is_none() {
                        d.outcome = Some((*result, reason.clone(), r.t));
                    }
                }
            }
            Body::Note { by, text } => {
                let d = Decision {
                    t: r.t,
                    what: Decided::Note,
                    who: by.clone(),
                    why: Some(text.clone()),
                    outcome: None,
                };
                Self::keep(&mut self.dropped, &mut self.decisions, d);
            }
            Body::Alert {
                id,
                name,
                state,
                severity,
                ..
            } => self.alert(r.t, id, name, *state, *severity),
            Body::Incident {
                milestone,
                severity,
                text,
            } => self.incident(r, *milestone, *severity, text.as_deref()),
            Body::Snapshot { .. } => {
                if self.records == 1 {
                    self.joined_at = Some(r.t);
                }
            }
            Body::Check { .. } | Body::Feed { .. } | Body::Other { .. } => {}
        }
    }

    fn sample(&mut self, t: Offset, slo: usize, value: Option<f64>) {
        if let (Some(s), Some(spec)) = (self.series.get_mut(slo), self.plan.spec.slos.get(slo)) {
            let v = value.map_or(f64::NAN, |v| SloState::scaled(spec, v));
            s.points.push((t, v));
        }
    }

    fn alert(&mut self, t: Offset, id: &str, name: &str, state: AlertState, severity: Severity) {
        if state == AlertState::Firing {
            if self.firing.insert(id.into()) {
                self.alerts_fired += 1;
                self.worse(severity);
                let label = format!("{name} ({})", severity_word(severity));
                self.moment(t, MomentKind::Alert, name, label);
            }
        } else {
            self.firing.remove(id);
        }
    }

    fn incident(
        &mut self,
        r: &Record,
        milestone: Milestone,
        severity: Option<Severity>,
        text: Option<&str>,
    ) {
        if let Some(s) = severity {
            self.worse(s);
        }
        if milestone == Milestone::Detected {
            let label = text.map_or_else(|| "incident detected".to_string(), ToString::to_string);
            self.moment(r.t, MomentKind::Detected, "incident", label);
        }
        let m = Mark {
            t: r.t,
            milestone,
            severity,
            text: text.map(Box::from),
            source: r.source.clone(),
        };
        Self::keep(&mut self.dropped, &mut self.marks, m);
    }

    /// Takes in the changes applying a record made (the state must track changes).
    pub fn changes(&mut self, changes: &[Stamped]) {
        for c in changes {
            if let Change::Trigger { slo, state, limit } = &c.change {
                if *state != "fired" {
                    continue;
                }
                let Some(i) = self.plan.slo(slo) else {
                    continue;
                };
                let name = self.plan.spec.slos[i].name.clone();
                self.series[i].fired.push((c.t, limit.clone()));
                self.worse(Severity::Critical);
                self.moment(
                    c.t,
                    MomentKind::Trigger,
                    &format!("{slo}:{limit}"),
                    format!("{name}: {limit}"),
                );
            }
        }
    }

    /// The report, with the state the file ended in.
    #[must_use]
    pub fn finish(mut self, state: &State) -> Report {
        if self.joined_at.is_some() {
            self.take_history(state);
        }
        self.decisions.sort_by_key(|d| d.t);
        self.marks.sort_by_key(|m| m.t);
        let incidents = incidents(&self.marks);
        let mut moments = std::mem::take(&mut self.moments);
        moments.sort_by_key(|m| m.t);
        for m in &mut moments {
            m.acted = first_action(&self.decisions, &self.marks, m.t);
        }
        let p = &self.plan.spec;
        let checklist = p
            .checklist
            .iter()
            .enumerate()
            .flat_map(|(s, sec)| {
                sec.items
                    .iter()
                    .enumerate()
                    .map(move |(i, it)| (s, i, sec, it))
            })
            .map(|(s, i, sec, it)| {
                let st = state.checklist.items.get(s).and_then(|v| v.get(i));
                CheckRow {
                    section: sec.title.clone(),
                    item: it.text.clone(),
                    required: it.required,
                    status: st.map_or(ItemStatus::Open, |x| x.status),
                    by: st.and_then(|x| x.by.clone()),
                    at: st.and_then(|x| x.at),
                    note: st.and_then(|x| x.note.clone()),
                }
            })
            .collect();
        for (w, ws) in state.waves.iter().enumerate() {
            if matches!(
                ws.status,
                WaveStatus::Paused | WaveStatus::Failed | WaveStatus::RolledBack
            ) {
                self.affected[w] = true;
            }
        }
        Report {
            span: self.span,
            records: self.records,
            decisions: self.decisions,
            moments,
            incidents,
            marks: self.marks,
            series: self.series,
            checklist,
            waves: state.waves.iter().map(|w| (w.status, w.since)).collect(),
            affected: (0..self.affected.len())
                .filter(|w| self.affected[*w])
                .collect(),
            status: state.status,
            severity: self.severity,
            alerts_fired: self.alerts_fired,
            dropped: self.dropped,
            joined_at: self.joined_at,
            plan: self.plan,
        }
    }

    /// A recording that began with a snapshot: the commands and milestones before it are
    /// known only from the state it carried.
    fn take_history(&mut self, state: &State) {
        let joined = self.joined_at.unwrap_or(Offset(i64::MIN));
        for c in state.commands.iter().filter(|c| c.at < joined) {
            let d = Decision {
                t: c.at,
                what: Decided::Command {
                    id: c.id.clone(),
                    action: c.action,
                    wave: c.wave,
                },
                who: c.by.clone(),
                why: c.reason.clone(),
                outcome: c.outcome.clone().map(|(k, r)| (k, r, c.at)),
            };
            Self::keep(&mut self.dropped, &mut self.decisions, d);
        }
        for (m, t) in state.milestones.iter().filter(|(_, t)| *t < joined) {
            let mark = Mark {
                t: *t,
                milestone: *m,
                severity: None,
                text: None,
                source: None,
            };
            Self::keep(&mut self.dropped, &mut self.marks, mark);
        }
    }
}

/// "critical", "warning", "info": a severity in a sentence.
#[must_use]
pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// The incidents the milestones describe: a detection opens one; the milestones after it
/// fill it in, the first of each kind counting; a milestone with no open incident opens one
/// with no detection time.
fn incidents(marks: &[Mark]) -> Vec<Incident> {
    let mut out: Vec<Incident> = Vec::new();
    for m in marks {
        let open = out
            .last()
            .is_some_and(|i| i.resolved.is_none() && m.milestone != Milestone::Detected);
        if !open {
            out.push(Incident::default());
        }
        let Some(i) = out.last_mut() else { continue };
        if m.milestone == Milestone::Detected {
            i.text.clone_from(&m.text);
        }
        if let Some(s) = m.severity {
            i.severity = Some(i.severity.map_or(s, |o| o.max(s)));
        }
        let slot = i.slot(m.milestone);
        if slot.is_none() {
            *slot = Some(m.t);
        }
    }
    out
}

/// The room's first action at or after `t`: a decision ([`Decision::is_action`]) or a
/// milestone acknowledged or mitigated.
fn first_action(decisions: &[Decision], marks: &[Mark], t: Offset) -> Option<(Offset, String)> {
    // Both lists are in time order.
    let d = decisions[decisions.partition_point(|d| d.t < t)..]
        .iter()
        .find(|d| d.is_action())
        .map(|d| (d.t, describe(d)));
    let m = marks
        .iter()
        .find(|m| m.t >= t && matches!(m.milestone, Milestone::Acknowledged | Milestone::Mitigated))
        .map(|m| {
            (
                m.t,
                format!("incident {}", m.milestone.word().to_lowercase()),
            )
        });
    match (d, m) {
        (Some(d), Some(m)) => Some(if m.0 < d.0 { m } else { d }),
        (d, m) => d.or(m),
    }
}

/// "rollback", "note", "wave w3 PAUSED": what a decision was, in a few words.
#[must_use]
pub fn describe(d: &Decision) -> String {
    match &d.what {
        Decided::Command { action, .. } => action.word().to_string(),
        Decided::Note => "note".into(),
        Decided::Wave { state, .. } => format!("wave {}", state.word()),
    }
}

impl Report {
    /// Sets each moment's reference latency from the same moment in `reference` (matched by
    /// [`Moment::key`]); a moment the reference does not have gets `Some(None)`.
    pub fn against(&mut self, reference: &Report) {
        for m in &mut self.moments {
            let r = reference.moments.iter().find(|r| r.key == m.key);
            m.reference = Some(r.and_then(Moment::latency));
        }
    }

    /// The window the incident covers, with some room either side: from the key moments
    /// that led up to the first detection (those no longer before it than the incident
    /// lasted, and at least half an hour) to its resolution (or the end of the file), widened
    /// by a quarter of its length and at least two sample intervals, within the file. Without
    /// a detection the first trigger firing or critical alert stands for it; the whole file
    /// when nothing happened.
    #[must_use]
    pub fn window(&self) -> Option<(Offset, Offset)> {
        let (first, last) = self.span?;
        let incident = self.incidents.iter().find(|i| i.detected.is_some());
        let anchor = incident.and_then(|i| i.detected).or_else(|| {
            self.moments
                .iter()
                .find(|m| {
                    m.kind == MomentKind::Trigger
                        || (m.kind == MomentKind::Alert && m.label.ends_with("(critical)"))
                })
                .map(|m| m.t)
        });
        let Some(anchor) = anchor else {
            return Some((first, last));
        };
        let end = incident.map_or_else(
            || {
                self.moments
                    .iter()
                    .filter_map(|m| m.acted.as_ref().map(|a| a.0))
                    .max()
                    .unwrap_or(last)
                    .max(anchor)
            },
            |i| i.resolved.unwrap_or(last),
        );
        let lead = Span(end.since(anchor).0.max(Span::from_secs(1800).0));
        let start = self
            .moments
            .iter()
            .map(|m| m.t)
            .filter(|t| *t <= anchor && anchor.since(*t) <= lead)
            .min()
            .unwrap_or(anchor);
        let len = end.since(start).0.max(0);
        let pad = (len / 4).max(self.plan.spec.sample_interval.0 * 2);
        Some((
            Offset(start.0.saturating_sub(pad).max(first.0)),
            Offset(end.0.saturating_add(pad).min(last.0)),
        ))
    }

    /// Checklist items done or waived, of all.
    #[must_use]
    pub fn checklist_done(&self) -> (usize, usize) {
        let done = self.checklist.iter().filter(|c| c.status.settled()).count();
        (done, self.checklist.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(t: i64, m: Milestone) -> Mark {
        Mark {
            t: Offset::from_secs(t),
            milestone: m,
            severity: None,
            text: None,
            source: None,
        }
    }

    #[test]
    fn incidents_open_at_detection_and_take_the_first_of_each_milestone() {
        use Milestone::{Acknowledged, Detected, Mitigated, Resolved};
        let marks = [
            mark(10, Detected),
            mark(40, Acknowledged),
            mark(50, Acknowledged),
            mark(100, Mitigated),
            mark(300, Resolved),
            mark(400, Detected),
            mark(460, Acknowledged),
        ];
        let got = incidents(&marks);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].time_to(Acknowledged), Some(Span::from_secs(30)));
        assert_eq!(got[0].time_to(Mitigated), Some(Span::from_secs(90)));
        assert_eq!(got[0].time_to(Resolved), Some(Span::from_secs(290)));
        assert_eq!(got[1].time_to(Acknowledged), Some(Span::from_secs(60)));
        assert_eq!(got[1].time_to(Resolved), None);
    }

    #[test]
    fn the_room_acts_with_its_first_command_note_or_acknowledgement() {
        let d = |t: i64, action: Action| Decision {
            t: Offset::from_secs(t),
            what: Decided::Command {
                id: "c".into(),
                action,
                wave: None,
            },
            who: None,
            why: None,
            outcome: None,
        };
        let decisions = [
            d(5, Action::Advance),
            d(20, Action::Tick),
            d(70, Action::Rollback),
        ];
        let marks = [mark(50, Milestone::Acknowledged)];
        let got = first_action(&decisions, &marks, Offset::from_secs(10));
        assert_eq!(
            got,
            Some((Offset::from_secs(50), "incident acknowledged".into()))
        );
        let got = first_action(&decisions, &[], Offset::from_secs(10));
        assert_eq!(got, Some((Offset::from_secs(70), "rollback".into())));
        assert_eq!(first_action(&decisions, &[], Offset::from_secs(71)), None);
    }
}
