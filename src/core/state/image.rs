//! State images: the whole rollout state of a feed (waves and bake clocks, SLO readings with
//! their histories, breach clocks and burn rates, the checklist with who and when, alerts,
//! commands and outcomes, milestones, and the timeline with every entry's own source), as a
//! value that travels. A console that joins late is given the control plane's image, so it
//! shows exactly what a console that watched from the start shows; a recording (and, later,
//! a journal) holds images as `snapshot` records.
//!
//! The plan is not part of an image: it travels beside it (the hello's `rollout`, the
//! fixture's header), and [`State::from_image`] checks that the image fits it before
//! believing a single field. On the wire an image is [postcard] bytes, deflated, in base64
//! ([`Image::encode`]); times are milliseconds there.
//!
//! Protocol 2.1 added ticks and unticks. Their commands travel after the fields a 2.0
//! console reads (which ignores trailing bytes), each with its place among the others, so
//! that a 2.0 console still takes the image of a rollout whose checklist was ticked.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::core::checklist::Checklist;
use crate::core::effects::{Applied, Change, Stamped};
use crate::core::plan::Plan;
use crate::core::record::Milestone;
use crate::core::severity::Severity;
use crate::core::slo::SloState;
use crate::core::source::SourceStatus;
use crate::core::time::{Offset, Span};
use crate::core::timeline::{Entry, Kind, Timeline};
use crate::core::wave::WaveState;

use super::{AlertInfo, CommandInfo, State, ALERT_CAP, COMMAND_CAP};

/// The image format this build writes and reads.
pub const IMAGE_VERSION: u32 = 1;
/// Largest encoded image accepted (base64 text), so that a hostile peer cannot make a
/// console allocate without bound.
pub const MAX_IMAGE: usize = 64 << 20;
/// Largest image once inflated.
pub const MAX_INFLATED: usize = 256 << 20;

/// Everything of a [`State`] but its plan and the health of its sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub version: u32,
    /// The plan's id, as a check that the image is laid on the right plan.
    pub plan: String,
    pub now: Offset,
    pub waves: Vec<WaveState>,
    pub traffic: f64,
    pub slos: Vec<SloState>,
    pub checklist: Checklist,
    pub timeline_dropped: u64,
    /// Oldest first.
    pub timeline: Vec<Entry>,
    /// By id, in id order.
    pub alerts: Vec<(Box<str>, AlertInfo)>,
    pub alerts_dropped: u64,
    pub commands: Vec<CommandInfo>,
    pub milestones: Vec<(Milestone, Offset)>,
    pub trigger_fires: u64,
    pub last_fire: Option<String>,
    pub applied: u64,
    pub unknown: u64,
    pub last_record: Option<Offset>,
    /// The tick and untick commands, with their index among all the commands: after the
    /// fields above in the encoding (see the module documentation).
    #[serde(skip)]
    pub checklist_commands: Vec<(u32, CommandInfo)>,
}

impl State {
    /// This state as an image (the timeline's entries are cloned; chunks are shared cheaply).
    #[must_use]
    pub fn image(&self) -> Image {
        let mut alerts: Vec<(Box<str>, AlertInfo)> = self
            .alerts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        alerts.sort_by(|a, b| a.0.cmp(&b.0));
        Image {
            version: IMAGE_VERSION,
            plan: self.plan.spec.id.clone(),
            now: self.now,
            waves: self.waves.clone(),
            traffic: self.traffic,
            slos: self.slos.clone(),
            checklist: self.checklist.clone(),
            timeline_dropped: self.timeline.dropped(),
            timeline: (0..self.timeline.len())
                .filter_map(|i| self.timeline.get(i).map(|e| e.to_entry()))
                .collect(),
            alerts,
            alerts_dropped: self.alerts_dropped,
            commands: self
                .commands
                .iter()
                .filter(|c| !c.action.is_checklist())
                .cloned()
                .collect(),
            milestones: self.milestones.clone(),
            trigger_fires: self.trigger_fires,
            last_fire: self.last_fire.clone(),
            applied: self.applied,
            unknown: self.unknown,
            last_record: self.last_record,
            checklist_commands: self
                .commands
                .iter()
                .enumerate()
                .filter(|(_, c)| c.action.is_checklist())
                .map(|(i, c)| (u32::try_from(i).unwrap_or(u32::MAX), c.clone()))
                .collect(),
        }
    }

    /// The state an image stands for, on `plan`, fed from `source`, keeping at most
    /// `timeline_cap` entries (older ones are counted as dropped).
    ///
    /// # Errors
    /// The image does not fit the plan (another plan's, another version, indices out of
    /// range): nothing of it is used.
    pub fn from_image(
        plan: Arc<Plan>,
        source: SourceStatus,
        timeline_cap: usize,
        image: Image,
    ) -> Result<State, String> {
        image.fits(&plan)?;
        let mut s = State::new(plan, source, timeline_cap);
        let mut timeline = Timeline::new(timeline_cap);
        timeline.add_dropped(image.timeline_dropped);
        for mut e in image.timeline {
            e.local = false;
            timeline.push(e);
        }
        s.now = image.now;
        s.waves = image.waves;
        s.traffic = image.traffic;
        s.slos = image.slos;
        s.checklist = image.checklist;
        s.timeline = timeline;
        s.alerts = image.alerts.into_iter().collect::<HashMap<_, _>>();
        s.alerts_dropped = image.alerts_dropped;
        s.commands = image.commands;
        for (i, c) in image.checklist_commands {
            let at = usize::try_from(i).map_or(s.commands.len(), |i| i.min(s.commands.len()));
            s.commands.insert(at, c);
        }
        s.milestones = image.milestones;
        // The image keeps no severity of its own: the newest detection on the timeline says it.
        s.incident_severity = (0..s.timeline.len())
            .rev()
            .filter_map(|i| s.timeline.get(i))
            .find(|e| e.kind == Kind::Incident && e.text().starts_with("Incident DETECTED"))
            .map_or(Severity::Critical, |e| e.severity);
        // Nor a status update's time: the newest update on the timeline says it.
        s.last_status_update = (0..s.timeline.len())
            .rev()
            .filter_map(|i| s.timeline.get(i))
            .find(|e| {
                e.kind == Kind::Note && crate::core::status_update::in_entry(e.text()).is_some()
            })
            .map(|e| e.t);
        s.trigger_fires = image.trigger_fires;
        s.last_fire = image.last_fire;
        s.applied = image.applied;
        s.unknown = image.unknown;
        s.last_record = image.last_record;
        s.settle_derived();
        Ok(s)
    }
}

impl State {
    /// Applies a `snapshot` record: the state becomes the image's, with this state's plan,
    /// sources and change tracking. Of the old timeline, this console's own entries stay, and
    /// when the image is of another session (a restarted control plane) so does the rest of
    /// it: its history is not in the image. A line at `at` marks the boundary. An image that
    /// does not fit is refused on the timeline and changes nothing else.
    pub(super) fn restore(
        &mut self,
        at: Offset,
        session: Box<str>,
        text: Box<str>,
        image: Image,
        source: Arc<str>,
        fx: &mut Applied,
    ) {
        fx.dirty = true;
        let same = self.session.as_deref() == Some(&*session);
        let cap = self.timeline.cap();
        let mut fresh = match State::from_image(self.plan.clone(), self.source.clone(), cap, image)
        {
            Ok(s) => s,
            Err(e) => {
                self.entry(
                    Kind::Source,
                    Severity::Warning,
                    source,
                    format!("snapshot refused: {e}"),
                );
                return;
            }
        };
        // Three parts, each in its own order (the order its entries were made): what stays,
        // the boundary, the image's. Merged by time, never reordered within a part.
        let old = &self.timeline;
        let kept: Vec<Entry> = (0..old.len())
            .filter_map(|i| old.get(i))
            .filter(|e| e.local || !same)
            .map(|e| e.to_entry())
            .collect();
        // Joining is news; a rebuild of a history already shown is a warning.
        let severity = if self.session.is_none() {
            Severity::Info
        } else {
            Severity::Warning
        };
        let boundary = Entry {
            t: at,
            kind: Kind::Source,
            severity,
            source,
            text: text.clone(),
            local: self.local,
        };
        let theirs = &fresh.timeline;
        let imaged: Vec<Entry> = (0..theirs.len())
            .filter_map(|i| theirs.get(i))
            .map(|e| e.to_entry())
            .collect();
        let all = merge_by_time([kept, vec![boundary], imaged]);
        let mut timeline = Timeline::new(cap);
        timeline.add_dropped(fresh.timeline.dropped() + if same { 0 } else { old.dropped() });
        for e in all {
            timeline.push(e);
        }
        // An outage in progress goes on: its entry is found again in the rebuilt timeline.
        if let Some(mut o) = self.outage.take() {
            let was = o.entry.checked_sub(old.dropped()).and_then(|i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| old.get(i))
                    .map(|e| e.to_entry())
            });
            if let Some(was) = was {
                let found = (0..timeline.len()).rev().find(|&i| {
                    timeline
                        .get(i)
                        .is_some_and(|e| e.local && e.t == was.t && *e.text() == *was.text)
                });
                if let Some(i) = found {
                    o.entry = timeline.dropped() + i as u64;
                    fresh.outage = Some(o);
                }
            }
        }
        fresh.timeline = timeline;
        // This console's own sources stay as they are: their health, and the alerts they
        // reported (ids `am:…`, from Alertmanager).
        fresh.upstreams = std::mem::take(&mut self.upstreams);
        for (id, a) in &self.alerts {
            if id.starts_with("am:") && !fresh.alerts.contains_key(id) {
                fresh.alerts.insert(id.clone(), a.clone());
            }
        }
        fresh.track_changes = self.track_changes;
        fresh.session = Some(session);
        fresh.now = fresh.now.max(self.now).max(at);
        fresh.settle_derived();
        let status = fresh.status;
        let changed = status != self.status;
        *self = fresh;
        self.change(fx, || Change::Source { text: text.into() });
        if changed {
            self.change(fx, || Change::Status { status });
        }
    }
}

impl State {
    /// The same state shown on another plan of the same rollout (with `--config`, the
    /// overlay's SLOs and gates): the SLO readings come from `old` where its SLOs are the
    /// plan's, fresh otherwise, and the rollback triggers fired are `old`'s (they are the
    /// console's own SLOs').
    pub fn rebase(&mut self, plan: Arc<Plan>, old: &State) {
        self.slos = plan.spec.slos.iter().map(SloState::new).collect();
        self.plan = plan;
        self.carry_sources(old);
        self.settle_derived();
    }
}

/// The parts' entries in one list by time, each part's own order kept; of entries at the
/// same time, an earlier part's come first.
fn merge_by_time<const N: usize>(parts: [Vec<Entry>; N]) -> Vec<Entry> {
    let mut parts = parts.map(|p| p.into_iter().peekable());
    let mut out = Vec::new();
    loop {
        let mut pick: Option<(usize, Offset)> = None;
        for (i, p) in parts.iter_mut().enumerate() {
            if let Some(e) = p.peek() {
                if pick.is_none_or(|(_, t)| e.t < t) {
                    pick = Some((i, e.t));
                }
            }
        }
        let Some((i, _)) = pick else { return out };
        out.extend(parts[i].next());
    }
}

impl Image {
    /// Whether this image can be the state of `plan`.
    ///
    /// # Errors
    /// What does not fit, with the part named.
    pub fn fits(&self, plan: &Plan) -> Result<(), String> {
        let p = &plan.spec;
        let fail = |what: String| Err(format!("the state image does not fit the plan: {what}"));
        if self.version != IMAGE_VERSION {
            return Err(format!(
                "state image version {} (this build reads {IMAGE_VERSION})",
                self.version
            ));
        }
        if self.plan != p.id {
            return fail(format!("it is of rollout {:?}, not {:?}", self.plan, p.id));
        }
        if self.waves.len() != p.waves.len() {
            return fail(format!(
                "{} waves, the plan has {}",
                self.waves.len(),
                p.waves.len()
            ));
        }
        if self.slos.len() != p.slos.len() {
            return fail(format!(
                "{} SLOs, the plan has {}",
                self.slos.len(),
                p.slos.len()
            ));
        }
        if let Some(i) = (0..p.slos.len()).find(|&i| !self.slos[i].fits(&p.slos[i])) {
            return fail(format!("SLO {:?} has another shape", p.slos[i].id));
        }
        let shape = |c: &Checklist| c.items.iter().map(Vec::len).collect::<Vec<_>>();
        if shape(&self.checklist)
            != p.checklist
                .iter()
                .map(|s| s.items.len())
                .collect::<Vec<_>>()
        {
            return fail("the checklist has another shape".into());
        }
        if self.commands.len() + self.checklist_commands.len() > COMMAND_CAP
            || self.alerts.len() > ALERT_CAP
        {
            return fail("more commands or alerts than a state keeps".into());
        }
        if self
            .commands
            .iter()
            .chain(self.checklist_commands.iter().map(|(_, c)| c))
            .any(|c| c.wave.is_some_and(|w| w >= p.waves.len()))
        {
            return fail("a command names a wave the plan does not have".into());
        }
        if !self.traffic.is_finite() {
            return fail("the traffic share is not a number".into());
        }
        Ok(())
    }

    /// Moves every time in the image by `by` (a console that keeps its own clock across a
    /// control plane's restart lays the new session's history on it).
    pub fn shift(&mut self, by: Span) {
        if by == Span::ZERO {
            return;
        }
        let mv = |t: &mut Offset| *t = t.saturating_add(by);
        mv(&mut self.now);
        for w in &mut self.waves {
            w.shift(by);
        }
        for s in &mut self.slos {
            s.shift(by);
        }
        for sec in &mut self.checklist.items {
            for item in sec {
                if let Some(t) = item.at.as_mut() {
                    mv(t);
                }
            }
        }
        for e in &mut self.timeline {
            mv(&mut e.t);
        }
        for (_, a) in &mut self.alerts {
            mv(&mut a.since);
        }
        for c in self
            .commands
            .iter_mut()
            .chain(self.checklist_commands.iter_mut().map(|(_, c)| c))
        {
            mv(&mut c.at);
        }
        for (_, t) in &mut self.milestones {
            mv(t);
        }
        if let Some(t) = self.last_record.as_mut() {
            mv(t);
        }
    }

    /// The image as text: base64 of its postcard bytes, deflated (a timeline repeats its
    /// sources and much of its wording).
    #[must_use]
    pub fn encode(&self) -> String {
        use std::io::Write as _;
        let mut bytes = postcard::to_stdvec(self).unwrap_or_default();
        if !self.checklist_commands.is_empty() {
            bytes.extend(postcard::to_stdvec(&self.checklist_commands).unwrap_or_default());
        }
        let mut z = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(bytes.len() / 3),
            flate2::Compression::fast(),
        );
        // Writing to a Vec does not fail.
        let packed = z
            .write_all(&bytes)
            .and_then(|()| z.finish())
            .unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(packed)
    }

    /// An image from [`Image::encode`]'s text.
    ///
    /// # Errors
    /// Too large, not base64, or not an image.
    pub fn decode(text: &str) -> Result<Image, String> {
        use std::io::Read as _;
        if text.len() > MAX_IMAGE {
            return Err(format!(
                "state image of {} bytes, over the {} MiB limit",
                text.len(),
                MAX_IMAGE >> 20
            ));
        }
        let packed = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("state image is not base64: {e}"))?;
        // Inflated, an image may be larger than its text, but not without bound.
        let mut bytes = Vec::new();
        flate2::read::DeflateDecoder::new(&packed[..])
            .take(MAX_INFLATED as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("state image does not inflate: {e}"))?;
        if bytes.len() > MAX_INFLATED {
            return Err(format!(
                "state image inflates to over {} MiB",
                MAX_INFLATED >> 20
            ));
        }
        let (mut image, rest): (Image, _) =
            postcard::take_from_bytes(&bytes).map_err(|e| format!("not a state image: {e}"))?;
        if !rest.is_empty() {
            image.checklist_commands = postcard::from_bytes(rest)
                .map_err(|e| format!("not a state image (its ticks): {e}"))?;
        }
        Ok(image)
    }
}

impl State {
    /// The state as changes, for someone who starts listening now (a headless console that
    /// joins, or whose control plane restarted): the status, every wave that has moved, each
    /// SLO's band, the checklist verdict and the alerts firing, stamped with the clock.
    #[must_use]
    pub fn picture(&self) -> Vec<Stamped> {
        let t = self.now;
        let mut out = vec![Change::Status {
            status: self.status,
        }];
        let plan = &self.plan.spec;
        for (i, w) in self.waves.iter().enumerate() {
            if w.since.is_some() {
                let traffic = if Some(i) == self.current_wave() {
                    self.traffic
                } else {
                    plan.waves[i].traffic
                };
                out.push(Change::Wave {
                    wave: plan.waves[i].id.clone(),
                    state: w.status,
                    traffic,
                });
            }
        }
        for (spec, s) in plan.slos.iter().zip(&self.slos) {
            out.push(Change::Band {
                slo: spec.id.clone(),
                band: s.band(),
                value: s.last.and_then(|l| l.value),
            });
        }
        let tally = self.tally();
        out.push(Change::Verdict {
            go: tally.blocking == 0,
            blocking: tally.blocking,
        });
        let mut alerts: Vec<(&Box<str>, &AlertInfo)> = self.alerts.iter().collect();
        alerts.sort_by(|a, b| a.0.cmp(b.0));
        for (_, a) in alerts {
            out.push(Change::Alert {
                name: a.name.to_string(),
                state: if a.silenced {
                    crate::core::record::AlertState::Silenced
                } else {
                    crate::core::record::AlertState::Firing
                },
                severity: a.severity,
            });
        }
        out.into_iter()
            .map(|change| Stamped { t, change })
            .collect()
    }
}
