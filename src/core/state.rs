//! The reducer: `State::apply(Event) -> Effects`. Pure: no I/O, no clock. Replay, live,
//! headless and snapshots all run this same code.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::burn::{BurnSeverity, BurnState};
use super::checklist::{Checklist, Tally};
use super::plan::{AllowBand, GateRef, Resolved, Severity, SloSpec};
use super::record::{
    Action, AlertState, Body, ItemStatus, Milestone, OutcomeKind, Record, WaveStatus,
};
use super::slo::{bits, Band, Sample, SloState};
use super::time::{Offset, Span};
use super::timeline::{Entry, Kind, Timeline};
use super::wave::WaveState;

/// Default number of timeline entries kept in memory.
pub const TIMELINE_CAP: usize = 20_000;
/// Most firing alerts tracked at once; more are counted, not stored.
pub const ALERT_CAP: usize = 4096;
/// Most commands remembered with their outcomes.
pub const COMMAND_CAP: usize = 1024;

/// Everything that can happen to the state.
#[derive(Clone, Debug)]
pub enum Event {
    Record(Record),
    /// The clock moved: the replay position, or wall time in live mode. Never goes back
    /// (a seek backwards restores a snapshot instead).
    Clock(Offset),
    /// A source's health changed.
    Source(SourceStatus),
    /// A metric or alert source besides the main feed (Prometheus, Alertmanager) changed
    /// health; `Link::Down` carries the server's own words.
    Upstream(SourceStatus),
    /// An SLO the plan did not list: one series of a query that returns several. Ignored when
    /// the id is already known or does not hold together.
    AddSlo(SloSpec),
    /// Older samples of an SLO (oldest first) for its sparkline and budget, from before the
    /// console started: not judged, nothing on the timeline.
    Backfill {
        slo: usize,
        points: Vec<Sample>,
    },
    /// Reading an SLO failed: the gauge says why until a value arrives. The timeline gets an
    /// entry when the reason changes, not on every failed poll.
    SloError {
        slo: usize,
        error: Box<str>,
    },
}

/// The health of the feed this state comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceStatus {
    pub name: Arc<str>,
    pub link: Link,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Playing a recorded fixture.
    Replay,
    Connected,
    Connecting {
        attempt: u32,
    },
    Down {
        reason: Box<str>,
    },
}

impl SourceStatus {
    /// "prometheus: failing: …" for the timeline, with the words for up and down.
    #[must_use]
    pub fn describe(&self, up: &str, down: &str) -> String {
        let name = &self.name;
        match &self.link {
            Link::Replay => format!("{name}: replaying"),
            Link::Connected => format!("{name}: {up}"),
            Link::Connecting { attempt } => format!("{name}: connecting (attempt {attempt})"),
            Link::Down { reason } => format!("{name}: {down}: {reason}"),
        }
    }
}

/// The one-word answer to "how is it going?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Critical,
    Paused,
    RolledBack,
}

impl Status {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Status::Healthy => "HEALTHY",
            Status::Degraded => "DEGRADED",
            Status::Critical => "CRITICAL",
            Status::Paused => "PAUSED",
            Status::RolledBack => "ROLLED BACK",
        }
    }
}

/// A state change worth reporting (headless NDJSON, recording). Ids are the plan's own.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Status {
        status: Status,
    },
    Wave {
        wave: String,
        state: WaveStatus,
        traffic: f64,
    },
    Band {
        slo: String,
        band: Band,
        value: Option<f64>,
    },
    Trigger {
        slo: String,
        state: &'static str,
        limit: String,
    },
    Check {
        item: String,
        state: ItemStatus,
        by: Option<String>,
    },
    Verdict {
        go: bool,
        blocking: usize,
    },
    Alert {
        name: String,
        state: AlertState,
        severity: Severity,
    },
    Incident {
        milestone: Milestone,
    },
    Command {
        id: String,
        action: Action,
        by: Option<String>,
        reason: Option<String>,
    },
    Outcome {
        id: String,
        result: OutcomeKind,
        reason: Option<String>,
    },
    Note {
        text: String,
    },
    Source {
        text: String,
    },
    Unknown {
        kind: String,
    },
}

/// What applying an event asks of the shell.
#[derive(Debug, Default, PartialEq)]
pub struct Effects {
    /// Something visible changed: the screen needs a redraw.
    pub dirty: bool,
    /// Reported changes, when the state was built with `track_changes`.
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug)]
pub struct AlertInfo {
    pub name: Box<str>,
    pub severity: Severity,
    pub summary: Option<Box<str>>,
    pub since: Offset,
    pub silenced: bool,
}

#[derive(Clone, Debug)]
pub struct CommandInfo {
    pub id: Box<str>,
    pub action: Action,
    pub by: Option<Box<str>>,
    pub reason: Option<Box<str>>,
    pub wave: Option<usize>,
    pub at: Offset,
    pub outcome: Option<(OutcomeKind, Option<Box<str>>)>,
}

/// A gate's current reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateReading {
    pub label: String,
    pub green: bool,
    /// Why it is not green ("P99 latency WARN", "3 items open").
    pub why: Option<String>,
    /// Metric and alert gates come before checklist gates when listing blockers: they are the
    /// ones that change under the room's eyes.
    pub live: bool,
}

/// The whole picture of the rollout at `now`.
#[derive(Clone, Debug)]
pub struct State {
    pub plan: Arc<Resolved>,
    pub now: Offset,
    pub waves: Vec<WaveState>,
    /// Share of traffic (or fleet) on the new version.
    pub traffic: f64,
    pub slos: Vec<SloState>,
    pub checklist: Checklist,
    pub timeline: Timeline,
    pub alerts: HashMap<Box<str>, AlertInfo>,
    pub alerts_dropped: u64,
    pub commands: Vec<CommandInfo>,
    pub milestones: Vec<(Milestone, Offset)>,
    pub source: SourceStatus,
    /// Metric and alert sources besides the main feed, in the order they first reported.
    pub upstreams: Vec<SourceStatus>,
    /// Rollback triggers fired so far, and the newest one ("Error Rate above 10% for 5m").
    pub trigger_fires: u64,
    pub last_fire: Option<String>,
    pub status: Status,
    /// Records applied so far.
    pub applied: u64,
    /// Records of types this version does not know (from a newer minor version).
    pub unknown: u64,
    /// Newest record time.
    pub last_record: Option<Offset>,
    track_changes: bool,
    verdict_go: bool,
    /// Something the status derives from changed since it was last derived.
    reconsider: bool,
    /// Changes kept for [`State::take_changes`] (when tracking and nobody reads `Effects`).
    kept: Vec<Change>,
    /// No SLO can go stale before this moment, so the clock need not look before it.
    next_stale: Offset,
}

impl State {
    #[must_use]
    pub fn new(plan: Arc<Resolved>, source: SourceStatus, timeline_cap: usize) -> State {
        let p = &plan.plan;
        let mut s = State {
            now: Offset(i64::MIN),
            waves: vec![WaveState::default(); p.waves.len()],
            traffic: 0.0,
            slos: p.slos.iter().map(SloState::new).collect(),
            checklist: Checklist::new(p),
            timeline: Timeline::new(timeline_cap),
            alerts: HashMap::new(),
            alerts_dropped: 0,
            commands: Vec::new(),
            milestones: Vec::new(),
            source,
            upstreams: Vec::new(),
            trigger_fires: 0,
            last_fire: None,
            status: Status::Healthy,
            applied: 0,
            unknown: 0,
            last_record: None,
            track_changes: false,
            verdict_go: false,
            reconsider: true,
            kept: Vec::new(),
            next_stale: Offset(i64::MAX),
            plan,
        };
        s.verdict_go = s.tally().blocking == 0;
        s.status = s.derive_status();
        s
    }

    /// Keeps what came from sources besides the main feed across a rebuild from the main
    /// feed's snapshot: the readings of SLOs with the same definition (matched by id), the
    /// gauges added for series, the sources' health, Alertmanager's alerts (ids `am:…`) and
    /// the count of fired triggers.
    pub fn carry_sources(&mut self, old: &State) {
        for (i, spec) in old.plan.plan.slos.iter().enumerate() {
            let idx = match self.plan.slo(&spec.id) {
                Some(j) => j,
                None => match Arc::make_mut(&mut self.plan).add_slo(spec.clone()) {
                    Ok(j) => {
                        self.slos.push(SloState::new(spec));
                        j
                    }
                    Err(_) => continue,
                },
            };
            if self.plan.plan.slos[idx] == *spec {
                self.slos[idx] = old.slos[i].clone();
            }
        }
        self.upstreams.clone_from(&old.upstreams);
        for (id, a) in &old.alerts {
            if id.starts_with("am:") {
                self.alerts.entry(id.clone()).or_insert_with(|| a.clone());
            }
        }
        self.trigger_fires = old.trigger_fires;
        self.last_fire.clone_from(&old.last_fire);
        self.next_stale = Offset(i64::MIN);
        self.status = self.derive_status();
    }

    /// Collect `Effects::changes` from now on (headless and recording want them).
    pub fn track_changes(&mut self, on: bool) {
        self.track_changes = on;
    }

    /// The changes tracked since the last call (for callers that apply through the event
    /// loop rather than reading each `Effects`). At most 100,000 are kept between calls.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.kept)
    }

    pub fn apply(&mut self, event: Event) -> Effects {
        let mut fx = Effects::default();
        match event {
            Event::Record(r) => self.record(r, &mut fx),
            Event::Clock(t) => self.clock(t, &mut fx),
            Event::Source(s) => {
                if s != self.source {
                    let text = s.describe("connected", "down");
                    let sev = if matches!(s.link, Link::Down { .. }) {
                        Severity::Warning
                    } else {
                        Severity::Info
                    };
                    let name = s.name.clone();
                    self.source = s;
                    self.reconsider = true;
                    self.entry(Kind::Source, sev, name, text);
                    fx.dirty = true;
                }
            }
            Event::Upstream(s) => self.upstream(s, &mut fx),
            Event::AddSlo(spec) => {
                if self.plan.slo(&spec.id).is_none() {
                    let fresh = SloState::new(&spec);
                    if std::sync::Arc::make_mut(&mut self.plan)
                        .add_slo(spec)
                        .is_ok()
                    {
                        self.slos.push(fresh);
                        self.reconsider = true;
                        fx.dirty = true;
                    }
                }
            }
            Event::Backfill { slo, points } => {
                if let Some(st) = self.slos.get_mut(slo) {
                    let interval = self.plan.plan.sample_interval;
                    st.backfill(&self.plan.plan.slos[slo], &points, interval);
                    st.stale = false;
                    self.next_stale = Offset(i64::MIN);
                    let now = self.now;
                    self.clock_sweep(now, &mut fx);
                    self.reconsider = true;
                    fx.dirty = true;
                }
            }
            Event::SloError { slo, error } => {
                if let Some(st) = self.slos.get_mut(slo) {
                    if st.error.as_deref() != Some(&*error) {
                        let name = self.plan.plan.slos[slo].name.clone();
                        st.error = Some(error.clone());
                        let source = self
                            .upstreams
                            .first()
                            .map_or_else(|| self.source.name.clone(), |u| u.name.clone());
                        self.entry(
                            Kind::Slo,
                            Severity::Warning,
                            source,
                            format!("{name}: query failed: {error}"),
                        );
                        fx.dirty = true;
                    }
                }
            }
        }
        if std::mem::take(&mut self.reconsider) {
            let status = self.derive_status();
            if status != self.status {
                self.status = status;
                self.change(&mut fx, || Change::Status { status });
            }
        }
        if self.track_changes && !fx.changes.is_empty() && self.kept.len() < 100_000 {
            self.kept.extend(fx.changes.iter().cloned());
        }
        fx
    }

    fn change(&self, fx: &mut Effects, f: impl FnOnce() -> Change) {
        if self.track_changes {
            fx.changes.push(f());
        }
    }

    fn entry(&mut self, kind: Kind, severity: Severity, source: Arc<str>, text: String) {
        self.timeline.push(Entry {
            t: self.now,
            kind,
            severity,
            source,
            text: text.into_boxed_str(),
        });
    }

    fn clock(&mut self, t: Offset, fx: &mut Effects) {
        if t <= self.now {
            return;
        }
        let before_secs = self.now.0.div_euclid(1000);
        self.now = t;
        // The clocks on screen move once a second; bake bars and data ages with them.
        fx.dirty = t.0.div_euclid(1000) != before_secs;
        self.clock_sweep(t, fx);
    }

    /// Marks SLOs whose newest sample is older than two intervals at `t` as stale.
    fn clock_sweep(&mut self, t: Offset, fx: &mut Effects) {
        if t < self.next_stale {
            return;
        }
        let interval = self.plan.plan.sample_interval;
        self.next_stale = Offset(i64::MAX);
        let mut went_stale: Vec<(Offset, usize)> = Vec::new();
        for i in 0..self.slos.len() {
            if self.slos[i].age_to(t, interval) {
                fx.dirty = true;
                self.reconsider = true;
                let band = self.slos[i].band();
                if let (Band::NoData, Some(last)) = (band, self.slos[i].last) {
                    went_stale.push((stale_at(last.t, interval), i));
                }
                let id = self.plan.plan.slos[i].id.clone();
                self.change(fx, || Change::Band {
                    slo: id,
                    band,
                    value: None,
                });
            }
            if let (Some(last), false) = (self.slos[i].last, self.slos[i].stale) {
                self.next_stale = self.next_stale.min(stale_at(last.t, interval));
            }
        }
        // Stamped when the data went stale, not when this clock tick noticed: replay at any
        // speed, headless runs and snapshots then show the same timeline. No entry already on
        // it is later than that moment, or an earlier tick would have noticed.
        went_stale.sort_unstable();
        for (at, i) in went_stale {
            let last = self.slos[i].last.map_or(at, |l| l.t);
            let text = format!(
                "{}: no data since {} (stale after {})",
                self.plan.plan.slos[i].name,
                last.t_label(),
                Span(interval.0 * 2)
            );
            let source = self.source.name.clone();
            self.timeline.push(Entry {
                t: at,
                kind: Kind::Slo,
                severity: Severity::Warning,
                source,
                text: text.into_boxed_str(),
            });
        }
    }

    fn record(&mut self, r: Record, fx: &mut Effects) {
        self.applied += 1;
        fx.dirty = true;
        if r.t > self.now {
            self.clock(r.t, fx);
        }
        self.last_record = Some(r.t);
        // Most records are metric samples that change nothing on the timeline: they name
        // their source only if they make an entry.
        if let Body::Metric { slo, value } = r.body {
            return self.metric(slo, value, r.source, fx);
        }
        let source: Arc<str> = r.source.map_or_else(|| self.source.name.clone(), Arc::from);
        match r.body {
            Body::Metric { .. } => {} // applied above, without a source
            Body::Wave {
                wave,
                state,
                traffic,
                by,
                text,
            } => {
                self.reconsider = true;
                let spec = &self.plan.plan.waves[wave];
                let share = traffic.unwrap_or(match state {
                    WaveStatus::Active | WaveStatus::Paused => spec.traffic,
                    WaveStatus::RolledBack => 0.0,
                    _ => self.traffic,
                });
                let label = self.wave_label(wave);
                self.waves[wave].set(state, r.t);
                self.traffic = share;
                let sev = match state {
                    WaveStatus::Failed | WaveStatus::RolledBack => Severity::Critical,
                    WaveStatus::Paused => Severity::Warning,
                    _ => Severity::Info,
                };
                let mut line = format!("{label} {}", state.word());
                if traffic.is_some() || state == WaveStatus::RolledBack {
                    let _ = write!(line, " · traffic {}", self.traffic_label(share));
                }
                push_detail(&mut line, by.as_deref(), text.as_deref());
                self.entry(Kind::Wave, sev, source, line);
                let id = self.plan.plan.waves[wave].id.clone();
                self.change(fx, || Change::Wave {
                    wave: id,
                    state,
                    traffic: share,
                });
                self.verdict(fx);
            }
            Body::Check {
                section,
                item,
                state,
                by,
                text,
            } => {
                let spec = &self.plan.plan.checklist[section].items[item];
                let sec_id = &self.plan.plan.checklist[section].id;
                let mut line = format!("{} {} {}", sec_id, spec.text, state.word());
                push_detail(&mut line, by.as_deref(), text.as_deref());
                let item_id = spec.id.clone();
                let sev = if state == ItemStatus::Failed {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                let st = &mut self.checklist.items[section][item];
                st.status = state;
                st.at = Some(r.t);
                st.by.clone_from(&by);
                st.note = text;
                self.entry(Kind::Check, sev, source, line);
                self.change(fx, || Change::Check {
                    item: item_id,
                    state,
                    by: by.map(String::from),
                });
                self.verdict(fx);
            }
            Body::Alert {
                id,
                name,
                state,
                severity,
                summary,
            } => self.alert(id, name, state, severity, summary, source, fx),
            Body::Note { by, text } => {
                let line = match &by {
                    Some(b) => format!("{b}: {text}"),
                    None => text.to_string(),
                };
                self.entry(Kind::Note, Severity::Info, source, line);
                self.change(fx, || Change::Note { text: text.into() });
            }
            Body::Command {
                id,
                action,
                by,
                reason,
                wave,
            } => {
                let mut line = format!("{} requested", action.word().to_uppercase());
                if let Some(w) = wave {
                    let _ = write!(line, " on {}", self.wave_label(w));
                }
                push_detail(&mut line, by.as_deref(), reason.as_deref());
                let sev = if action == Action::Rollback {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                self.entry(Kind::Command, sev, source, line);
                let (cid, cby, creason) = (
                    id.to_string(),
                    by.as_deref().map(String::from),
                    reason.as_deref().map(String::from),
                );
                self.change(fx, || Change::Command {
                    id: cid,
                    action,
                    by: cby,
                    reason: creason,
                });
                if self.commands.len() == COMMAND_CAP {
                    self.commands.remove(0);
                }
                self.commands.push(CommandInfo {
                    id,
                    action,
                    by,
                    reason,
                    wave,
                    at: r.t,
                    outcome: None,
                });
            }
            Body::Outcome { id, result, reason } => {
                let action = self
                    .commands
                    .iter()
                    .rev()
                    .find(|c| c.id == id)
                    .map(|c| c.action);
                let what =
                    action.map_or_else(|| format!("command {id}"), |a| a.word().to_uppercase());
                let word = match result {
                    OutcomeKind::Accepted => "accepted",
                    OutcomeKind::Rejected => "REJECTED",
                    OutcomeKind::Conflict => "CONFLICT",
                };
                let mut line = format!("{what} {word}");
                if let Some(why) = &reason {
                    line.push_str(": ");
                    line.push_str(why);
                }
                let sev = if result == OutcomeKind::Accepted {
                    Severity::Info
                } else {
                    Severity::Warning
                };
                self.entry(Kind::Command, sev, source, line);
                let (cid, creason) = (id.to_string(), reason.as_deref().map(String::from));
                self.change(fx, || Change::Outcome {
                    id: cid,
                    result,
                    reason: creason,
                });
                if let Some(c) = self.commands.iter_mut().rev().find(|c| c.id == id) {
                    c.outcome = Some((result, reason));
                }
            }
            Body::Incident {
                milestone,
                severity,
                text,
            } => {
                self.reconsider = true;
                let sev = severity.unwrap_or(match milestone {
                    Milestone::Detected => Severity::Critical,
                    Milestone::Acknowledged => Severity::Warning,
                    _ => Severity::Info,
                });
                let mut line = format!("Incident {}", milestone.word());
                push_detail(&mut line, None, text.as_deref());
                self.entry(Kind::Incident, sev, source, line);
                self.milestones.push((milestone, r.t));
                self.change(fx, || Change::Incident { milestone });
            }
            Body::Feed { text } => {
                self.entry(Kind::Source, Severity::Info, source, text.to_string());
                self.change(fx, || Change::Source { text: text.into() });
            }
            Body::Other { kind, text } => {
                self.unknown += 1;
                let line = format!("[{kind}] {text}");
                self.entry(Kind::Other, Severity::Info, source, line);
                self.change(fx, || Change::Unknown { kind: kind.into() });
            }
        }
    }

    /// Re-evaluates the checklist verdict (after a tick or a wave change) and reports a flip.
    fn verdict(&mut self, fx: &mut Effects) {
        let t = self.tally();
        let go = t.blocking == 0;
        if go != self.verdict_go {
            self.verdict_go = go;
            self.change(fx, || Change::Verdict {
                go,
                blocking: t.blocking,
            });
        }
    }

    fn metric(
        &mut self,
        slo: usize,
        value: Option<f64>,
        source: Option<Box<str>>,
        fx: &mut Effects,
    ) {
        let spec = &self.plan.plan.slos[slo];
        let interval = self.plan.plan.sample_interval;
        let out = self.slos[slo].sample(spec, Sample { t: self.now, value }, interval);
        self.next_stale = self.next_stale.min(stale_at(self.now, interval));
        if out.fired != 0 {
            let first = bits(out.fired).next().unwrap_or(0);
            let what = format!("{} {}", spec.name, trigger_label(spec, first));
            self.trigger_fires += 1;
            self.last_fire = Some(what);
        }
        if !out.band_changed && out.triggers_quiet() && !out.burn_changed {
            return;
        }
        self.reconsider = true;
        let source: Arc<str> = source.map_or_else(|| self.source.name.clone(), Arc::from);
        let spec = &self.plan.plan.slos[slo];
        let band = self.slos[slo].band();
        let shown = value.map_or_else(|| "no data".to_string(), |v| format_value(v, &spec.unit));
        let mut lines = Vec::new();
        if out.band_changed {
            let sev = match band {
                Band::Crit => Severity::Critical,
                Band::Warn | Band::NoData => Severity::Warning,
                Band::Pass => Severity::Info,
            };
            lines.push((sev, format!("{} {} {shown}", spec.name, band.word())));
        }
        let name = &spec.name;
        for (mask, sev, what) in [
            (out.started, Severity::Warning, "Rollback trigger counting"),
            (out.fired, Severity::Critical, "ROLLBACK TRIGGER FIRED"),
            (
                out.stopped,
                Severity::Info,
                "Rollback trigger stopped counting",
            ),
            (out.cleared, Severity::Info, "Rollback trigger cleared"),
        ] {
            for i in bits(mask) {
                lines.push((sev, format!("{what}: {name} {}", trigger_label(spec, i))));
            }
        }
        if self.track_changes {
            let id = &spec.id;
            if out.band_changed {
                fx.changes.push(Change::Band {
                    slo: id.clone(),
                    band,
                    value,
                });
            }
            for (mask, state) in [
                (out.started, "counting"),
                (out.fired, "fired"),
                (out.stopped, "stopped"),
                (out.cleared, "cleared"),
            ] {
                for i in bits(mask) {
                    fx.changes.push(Change::Trigger {
                        slo: id.clone(),
                        state,
                        limit: trigger_label(spec, i),
                    });
                }
            }
        }
        if out.burn_changed {
            if let Some(b) = self.slos[slo].burn.as_deref() {
                lines.push(match b.firing {
                    Some(level) => (
                        if level == BurnSeverity::Page {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        format!(
                            "{}: error budget burning at {} level ({})",
                            spec.name,
                            level.word(),
                            burn_label(b)
                        ),
                    ),
                    None => (
                        Severity::Info,
                        format!(
                            "{}: error budget burn back under every rule ({})",
                            spec.name,
                            burn_label(b)
                        ),
                    ),
                });
            }
        }
        for (sev, line) in lines {
            self.entry(Kind::Slo, sev, source.clone(), line);
        }
    }

    fn upstream(&mut self, s: SourceStatus, fx: &mut Effects) {
        let known = self.upstreams.iter().position(|u| u.name == s.name);
        if known.is_some_and(|i| self.upstreams[i] == s) {
            return;
        }
        let text = s.describe("answering", "failing");
        let sev = if matches!(s.link, Link::Down { .. }) {
            Severity::Warning
        } else {
            Severity::Info
        };
        let name = s.name.clone();
        match known {
            Some(i) => self.upstreams[i] = s,
            None => self.upstreams.push(s),
        }
        self.entry(Kind::Source, sev, name, text.clone());
        self.change(fx, || Change::Source { text });
        fx.dirty = true;
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(
        &mut self,
        id: Box<str>,
        name: Box<str>,
        state: AlertState,
        severity: Severity,
        summary: Option<Box<str>>,
        source: Arc<str>,
        fx: &mut Effects,
    ) {
        self.reconsider = true;
        let known = self.alerts.get(&id).map(|a| (a.silenced, a.severity));
        let detail = summary
            .as_deref()
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        let line_for = |what: &str| format!("{name} {what}{detail}");
        let (entry, sev, reported) = match state {
            AlertState::Firing | AlertState::Silenced => {
                let silenced = state == AlertState::Silenced;
                if known == Some((silenced, severity)) {
                    return; // already known in this state: the same alert again, not news
                }
                if known.is_none() && self.alerts.len() >= ALERT_CAP {
                    self.alerts_dropped += 1;
                    return;
                }
                let since = self.alerts.get(&id).map_or(self.now, |a| a.since);
                let info = AlertInfo {
                    name: name.clone(),
                    severity,
                    summary,
                    since,
                    silenced,
                };
                self.alerts.insert(id, info);
                if silenced {
                    (line_for("SILENCED"), Severity::Info, severity)
                } else {
                    (
                        line_for(&format!("FIRING ({})", severity.word())),
                        severity,
                        severity,
                    )
                }
            }
            AlertState::Resolved => match self.alerts.remove(&id) {
                Some(was) => (line_for("resolved"), Severity::Info, was.severity),
                None => return,
            },
        };
        self.entry(Kind::Alert, sev, source, entry);
        self.change(fx, || Change::Alert {
            name: name.into(),
            state,
            severity: reported,
        });
    }

    fn derive_status(&self) -> Status {
        let current = self.current_wave();
        if let Some(w) = current {
            if self.waves[w].status == WaveStatus::RolledBack {
                return Status::RolledBack;
            }
        }
        let live = current.is_some_and(|w| self.waves[w].is_current());
        let crit = self.slos.iter().any(|s| s.band() == Band::Crit)
            || self.slos.iter().any(|s| s.breaches.iter().any(|b| b.fired))
            || self
                .slos
                .iter()
                .any(|s| s.burn.as_ref().is_some_and(|b| b.pages()))
            || self.firing(Severity::Critical) > 0
            || self
                .milestones
                .last()
                .is_some_and(|(m, _)| *m < Milestone::Mitigated);
        if crit {
            return Status::Critical;
        }
        if current.is_some_and(|w| self.waves[w].status == WaveStatus::Paused) {
            return Status::Paused;
        }
        let degraded = self.slos.iter().any(|s| match s.band() {
            Band::Warn => true,
            // Missing data counts once traffic is on the new version, or once it went stale.
            Band::NoData => s.stale || live,
            _ => false,
        }) || self.firing(Severity::Warning) > 0
            || self
                .slos
                .iter()
                .any(|s| s.burn.as_ref().is_some_and(|b| b.firing.is_some()));
        if degraded {
            Status::Degraded
        } else {
            Status::Healthy
        }
    }

    /// Firing, unsilenced alerts at `severity` or worse.
    #[must_use]
    pub fn firing(&self, severity: Severity) -> usize {
        self.alerts
            .values()
            .filter(|a| !a.silenced && a.severity >= severity)
            .count()
    }

    /// The wave that holds traffic now, or else the last one that moved.
    #[must_use]
    pub fn current_wave(&self) -> Option<usize> {
        if let Some(i) = self.waves.iter().rposition(WaveState::is_current) {
            return Some(i);
        }
        self.waves
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.since.map(|t| (t, i)))
            .max()
            .map(|(_, i)| i)
    }

    /// The wave the rollout would move to next, if any.
    #[must_use]
    pub fn next_wave(&self) -> Option<usize> {
        match self.current_wave() {
            None => Some(0),
            Some(w) if self.waves[w].status == WaveStatus::RolledBack => None,
            Some(w) => (w + 1 < self.waves.len()).then_some(w + 1),
        }
    }

    /// Readings of the gates that stand between the rollout and its next wave: the current
    /// wave's go/no-go gates, or, before the first wave, the checklist's required items.
    #[must_use]
    pub fn next_gates(&self) -> Vec<GateReading> {
        let plan = &self.plan.plan;
        let Some(cur) = self.current_wave() else {
            let t = self.tally();
            return vec![GateReading {
                label: "Pre-deployment checklist complete".into(),
                green: t.blocking == 0,
                why: (t.blocking > 0).then(|| format!("{} required items open", t.blocking)),
                live: false,
            }];
        };
        plan.waves[cur]
            .gates
            .iter()
            .zip(&self.plan.gates[cur])
            .map(|(spec, g)| {
                let why = self.gate_blocker(*g);
                GateReading {
                    label: spec.label.clone(),
                    green: why.is_none(),
                    why,
                    live: matches!(
                        g,
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_)
                    ),
                }
            })
            .collect()
    }

    fn gate_blocker(&self, g: GateRef) -> Option<String> {
        let plan = &self.plan.plan;
        match g {
            GateRef::Slo { slo, allow } => {
                let band = self.slos[slo].band();
                let ok = match allow {
                    AllowBand::Pass => band == Band::Pass,
                    AllowBand::Warn => matches!(band, Band::Pass | Band::Warn),
                };
                (!ok).then(|| format!("{} {}", plan.slos[slo].name, band.word()))
            }
            GateRef::Item(s, i) => {
                let st = self.checklist.items[s][i].status;
                (!st.settled()).then(|| format!("item {}", st.word()))
            }
            GateRef::Section(s) => {
                let t = self.checklist.tally_section(&self.plan, s, None);
                (t.open_required > 0).then(|| format!("{} of {} open", t.open_required, t.total))
            }
            GateRef::Burn(slo) => {
                let b = self.slos[slo].burn.as_deref()?;
                b.pages().then(|| {
                    format!(
                        "{} budget burning at PAGE level ({})",
                        plan.slos[slo].name,
                        burn_label(b)
                    )
                })
            }
            GateRef::Alerts(sev) => {
                let n = self.firing(sev);
                (n > 0).then(|| {
                    format!(
                        "{n} {} alert{} firing",
                        sev.word(),
                        if n == 1 { "" } else { "s" }
                    )
                })
            }
        }
    }

    /// Checklist counts as they stand for the current wave.
    #[must_use]
    pub fn tally(&self) -> Tally {
        self.checklist.tally(&self.plan, self.current_wave())
    }

    /// "wave 2 (25%)", "phase 5 (50%)", "batch 1 (10 substations)".
    #[must_use]
    pub fn wave_label(&self, w: usize) -> String {
        let plan = &self.plan.plan;
        format!(
            "{} {} ({})",
            plan.strategy.step_word(),
            w + 1,
            self.traffic_label(plan.waves[w].traffic)
        )
    }

    #[must_use]
    pub fn traffic_label(&self, share: f64) -> String {
        match &self.plan.plan.traffic_unit {
            Some(u) => format!("{} {u}", trim_number(share)),
            None => format!("{}%", trim_number(share)),
        }
    }

    /// Time left in the current wave's bake, if it has a planned bake.
    #[must_use]
    pub fn bake_left(&self) -> Option<(usize, Span, Span)> {
        let w = self.current_wave()?;
        if !self.waves[w].is_current() {
            return None;
        }
        let bake = self.plan.plan.waves[w].bake?;
        let done = self.waves[w].baked(self.now);
        Some((w, done, bake))
    }

    /// Newest sample time of any SLO (data age is measured from it).
    #[must_use]
    pub fn newest_data(&self) -> Option<Offset> {
        self.slos
            .iter()
            .filter_map(|s| s.last.map(|l| l.t))
            .max()
            .or(self.last_record)
    }
}

/// The first moment at which a sample taken at `t` counts as stale.
fn stale_at(t: Offset, interval: Span) -> Offset {
    Offset(
        t.0.saturating_add(interval.0.saturating_mul(2))
            .saturating_add(1),
    )
}

fn push_detail(line: &mut String, by: Option<&str>, text: Option<&str>) {
    if let Some(t) = text {
        line.push_str(" — ");
        line.push_str(t);
    }
    if let Some(b) = by {
        line.push_str(" (");
        line.push_str(b);
        line.push(')');
    }
}

/// "1h 16.2×, 5m 20.1×, budget 62% left": what is known of a burn.
#[must_use]
pub fn burn_label(b: &BurnState) -> String {
    let mut parts = Vec::new();
    if let Some(first) = b.rules().first() {
        for (w, r) in [(first.long, b.long), (first.short, b.short)] {
            if let Some(r) = r {
                parts.push(format!("{} {}×", w.compact(), trim_number(r)));
            }
        }
    }
    if let Some(left) = b.remaining {
        parts.push(format!("budget {}% left", trim_number(left * 100.0)));
    }
    if parts.is_empty() {
        "not enough history yet".into()
    } else {
        parts.join(", ")
    }
}

/// "12 % > 10 % for 5m".
#[must_use]
pub fn trigger_label(spec: &super::plan::SloSpec, i: usize) -> String {
    let t = &spec.triggers[i];
    let unit = if spec.baseline.is_some() {
        "% over baseline"
    } else {
        spec.unit.as_str()
    };
    let (word, limit) = match (t.above, t.below) {
        (Some(a), _) => ("above", a),
        (_, b) => ("below", b.unwrap_or_default()),
    };
    let mut s = format!("{word} {}", format_value(limit, unit));
    if t.for_ > Span::ZERO {
        let _ = write!(s, " for {}", t.for_);
    }
    s
}

/// A number as people read it on a gauge: at most 3 significant decimals, no trailing zeros.
#[must_use]
pub fn trim_number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let a = v.abs();
    let s = if a >= 100.0 || a.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value with its unit: "2.3%", "385 ms", "125 MB".
#[must_use]
pub fn format_value(v: f64, unit: &str) -> String {
    let n = trim_number(v);
    if unit.is_empty() {
        n
    } else if unit.starts_with('%') {
        format!("{n}{unit}")
    } else {
        format!("{n} {unit}")
    }
}
