//! The reducer: `State::apply(Event) -> Applied`. Pure: no I/O, no clock. Replay, live,
//! headless and snapshots all run this same code.

mod alerts;
mod gates;
mod image;
mod link;
mod metric;
mod records;

pub use alerts::{AlertCounts, AlertInfo, AlertRow, AlertRowState, ResolvedAlert, RESOLVED_CAP};
pub use gates::GateReading;
pub use image::{Image, IMAGE_VERSION, MAX_IMAGE};
pub use link::Outage;
pub use records::CommandInfo;

use std::collections::HashMap;
use std::sync::Arc;

use super::checklist::Checklist;
use super::command::OutcomeKind;
use super::plan::{Plan, SloSpec};
use super::record::{Milestone, Record};
use super::severity::Severity;
use super::slo::{Band, Sample, SloState};
use super::time::{Offset, Span};
use super::timeline::{Entry, Kind, Timeline};
use super::wave::WaveState;
use super::wave::WaveStatus;
use crate::core::effects::Applied;
use crate::core::effects::{Change, Stamped};
use crate::core::source::SourceStatus;
use crate::core::status::Status;
use crate::core::words::trim_number;

/// Default number of timeline entries kept in memory.
pub const TIMELINE_CAP: usize = 20_000;
/// Most firing alerts tracked at once; more are counted, not stored.
pub const ALERT_CAP: usize = 4096;
/// Most commands remembered with their outcomes.
pub const COMMAND_CAP: usize = 1024;

/// An incident not yet resolved, as the header shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenIncident {
    /// When it was detected.
    pub since: Offset,
    pub reached: Milestone,
    pub next: Milestone,
    /// What the detection said of it (critical unless its record said otherwise).
    pub severity: Severity,
}

/// Everything that can happen to the state.
#[derive(Clone, Debug)]
pub enum Event {
    /// A record from the feed (the fixture, or the control plane).
    Record(Record),
    /// A record this console made itself (its own metric sources' samples and alerts, a
    /// problem with its connection): applied like any record, its timeline entries marked
    /// local so that a rebuild of the feed's history keeps them.
    Local(Record),
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
    Backfill { slo: usize, points: Vec<Sample> },
    /// Reading an SLO failed: the gauge says why until a value arrives. The timeline gets an
    /// entry when the reason changes, not on every failed poll.
    SloError { slo: usize, error: Box<str> },
}

/// The whole picture of the rollout at `now`.
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent flags of the reducer's bookkeeping
pub struct State {
    pub plan: Arc<Plan>,
    pub now: Offset,
    pub waves: Vec<WaveState>,
    /// Share of traffic (or fleet) on the new version.
    pub traffic: f64,
    pub slos: Vec<SloState>,
    pub checklist: Checklist,
    pub timeline: Timeline,
    pub alerts: HashMap<Box<str>, AlertInfo>,
    pub alerts_dropped: u64,
    /// Alerts resolved lately, oldest first, for the alerts list (this console's view: not
    /// part of an image).
    pub resolved: std::collections::VecDeque<ResolvedAlert>,
    /// Where each alert tracked came from, as this console saw it arrive.
    pub alert_sources: HashMap<Box<str>, Arc<str>>,
    pub commands: Vec<CommandInfo>,
    pub milestones: Vec<(Milestone, Offset)>,
    /// The severity the newest detection gave (its record's `severity`, else critical).
    pub incident_severity: Severity,
    /// When the newest status update was posted (a note that starts with "STATUS UPDATE").
    pub last_status_update: Option<Offset>,
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
    /// No SLO can go stale before this moment, so the clock need not look before it.
    next_stale: Offset,
    /// The event being applied came from this console, not the feed (see [`Event::Local`]).
    local: bool,
    /// The moment the event being applied happened: a record's own time (which may be a
    /// little behind a console's clock, extrapolated between heartbeats), else the clock.
    /// Everything the event makes is stamped with it, so that every console stamps the same
    /// record the same way, whenever it arrives.
    at: Offset,
    /// The feed's session the history came from (a control plane's run), once a snapshot
    /// record has named one.
    pub session: Option<Box<str>>,
    /// The main feed's outage in progress, if any.
    pub outage: Option<Outage>,
}

impl State {
    #[must_use]
    pub fn new(plan: Arc<Plan>, source: SourceStatus, timeline_cap: usize) -> State {
        let p = &plan.spec;
        let mut s = State {
            now: Offset(i64::MIN),
            waves: vec![WaveState::default(); p.waves.len()],
            traffic: 0.0,
            slos: p.slos.iter().map(SloState::new).collect(),
            checklist: Checklist::new(p),
            timeline: Timeline::new(timeline_cap),
            alerts: HashMap::new(),
            alerts_dropped: 0,
            resolved: std::collections::VecDeque::new(),
            alert_sources: HashMap::new(),
            commands: Vec::new(),
            milestones: Vec::new(),
            incident_severity: Severity::Critical,
            last_status_update: None,
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
            next_stale: Offset(i64::MAX),
            local: false,
            at: Offset(i64::MIN),
            session: None,
            outage: None,
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
        for (i, spec) in old.plan.spec.slos.iter().enumerate() {
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
            if self.plan.spec.slos[idx] == *spec {
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

    /// Works out again what the state derives from its parts (the status, the verdict, when
    /// a gauge may next go stale): after its parts were replaced wholesale.
    fn settle_derived(&mut self) {
        self.verdict_go = self.tally().blocking == 0;
        self.next_stale = Offset(i64::MIN);
        self.reconsider = false;
        self.status = self.derive_status();
    }

    /// Collect `Applied::changes` from now on (headless output wants them).
    pub fn track_changes(&mut self, on: bool) {
        self.track_changes = on;
    }

    #[must_use]
    pub fn tracks_changes(&self) -> bool {
        self.track_changes
    }

    /// The reducer of the rollout's state: applies one event and says what it asks of the
    /// world (a redraw, and the changes to report when tracking). Pure: the event carries
    /// every time it needs, and nothing here reads a clock or does I/O. Replay, live consoles,
    /// headless runs, snapshots and the control plane's own copy all run this.
    pub fn apply(&mut self, event: Event) -> Applied {
        let mut fx = Applied::default();
        self.local = !matches!(event, Event::Record(_) | Event::Clock(_));
        self.at = match &event {
            Event::Record(r) | Event::Local(r) => r.t,
            _ => self.now,
        };
        match event {
            Event::Record(r) | Event::Local(r) => self.record(r, &mut fx),
            Event::Clock(t) => self.clock(t, &mut fx),
            Event::Source(s) => self.source_changed(s, &mut fx),
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
                    let interval = self.plan.spec.sample_interval;
                    st.backfill(&self.plan.spec.slos[slo], &points, interval);
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
                        let name = self.plan.spec.slos[slo].name.clone();
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
        fx
    }

    fn change(&self, fx: &mut Applied, f: impl FnOnce() -> Change) {
        if self.track_changes {
            fx.changes.push(Stamped {
                t: self.at,
                change: f(),
            });
        }
    }

    fn entry(&mut self, kind: Kind, severity: Severity, source: Arc<str>, text: String) {
        self.timeline.push(Entry {
            t: self.at,
            kind,
            severity,
            source,
            text: text.into_boxed_str(),
            local: self.local,
        });
    }

    /// The incident still open (detected, not yet resolved): when it was detected, the last
    /// milestone it reached and the next one it waits for. `None` when the newest milestone
    /// is a resolution or there is none.
    #[must_use]
    pub fn open_incident(&self) -> Option<OpenIncident> {
        let &(reached, _) = self.milestones.last()?;
        let next = match reached {
            Milestone::Detected => Milestone::Acknowledged,
            Milestone::Acknowledged => Milestone::Mitigated,
            Milestone::Mitigated => Milestone::Resolved,
            Milestone::Resolved => return None,
        };
        // The detection that opened it: the newest one, else (a recording that joined late)
        // the oldest milestone since the last resolution.
        let opened = self
            .milestones
            .iter()
            .rposition(|(m, _)| *m == Milestone::Resolved)
            .map_or(0, |i| i + 1);
        let since = self.milestones[opened..]
            .iter()
            .rev()
            .find(|(m, _)| *m == Milestone::Detected)
            .or_else(|| self.milestones.get(opened))
            .map(|(_, t)| *t)?;
        Some(OpenIncident {
            since,
            reached,
            next,
            severity: self.incident_severity,
        })
    }

    /// The milestone `word` names, if it may be marked now: a detection opens an incident (none
    /// may be open), and an open incident's milestones only go forward (acknowledged, then
    /// mitigated, then resolved; one may be passed over, none marked twice or after a later one).
    ///
    /// # Errors
    /// The word names no milestone (`rejected`), or the milestone is out of order (`conflict` when
    /// it is already reached, `rejected` otherwise), with the reason.
    pub fn milestone_in_order(&self, word: &str) -> Result<Milestone, (OutcomeKind, String)> {
        use OutcomeKind::{Conflict, Rejected};
        let Some(m) = Milestone::parse(word) else {
            return Err((
                Rejected,
                format!(
                    "no milestone {:?} (detected, acknowledged, mitigated, resolved)",
                    crate::core::sanitize::sanitize(word)
                ),
            ));
        };
        let open = self.open_incident();
        let at = |m: Milestone| {
            self.milestones
                .iter()
                .rev()
                .find(|(x, _)| *x == m)
                .map(|(_, t)| format!(" at {}", t.t_label()))
                .unwrap_or_default()
        };
        match (m, open) {
            (Milestone::Detected, None) => Ok(m),
            (Milestone::Detected, Some(o)) => Err((
                Conflict,
                format!(
                    "an incident is already open (detected at {}, {}{}): mark {} next",
                    o.since.t_label(),
                    o.reached.word(),
                    at(o.reached),
                    o.next.wire()
                ),
            )),
            (_, None) => Err((
                Rejected,
                format!(
                    "out of order: no incident is open; mark detected before {}",
                    m.wire()
                ),
            )),
            (_, Some(o)) if m <= o.reached => Err((
                if m == o.reached { Conflict } else { Rejected },
                format!(
                    "out of order: the incident is already {}{}; {} comes next",
                    o.reached.word(),
                    at(o.reached),
                    o.next.wire()
                ),
            )),
            (_, Some(_)) => Ok(m),
        }
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

    /// Firing, unsilenced alerts at `severity` or worse, from sources that are answering
    /// (an alert from a source that is down may have resolved since: it is counted by
    /// [`State::alerts_unknown`] instead).
    #[must_use]
    pub fn firing(&self, severity: Severity) -> usize {
        self.alerts
            .iter()
            .filter(|(id, a)| !a.silenced && a.severity >= severity && self.alert_source_up(id))
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

    /// "wave 2 (25%)", "phase 5 (50%)", "batch 1 (10 substations)".
    #[must_use]
    pub fn wave_label(&self, w: usize) -> String {
        let plan = &self.plan.spec;
        format!(
            "{} {} ({})",
            plan.strategy.step_word(),
            w + 1,
            self.traffic_label(plan.waves[w].traffic)
        )
    }

    #[must_use]
    pub fn traffic_label(&self, share: f64) -> String {
        match &self.plan.spec.traffic_unit {
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
        let bake = self.plan.spec.waves[w].bake?;
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
