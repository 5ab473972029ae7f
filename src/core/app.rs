//! The console: the rollout's state, the screen's own state and the seat's commands, with
//! the one reducer every mode runs: [`App::apply`]. Keys, the control plane, the metric
//! sources, the replay engine and failing sinks are [`Input`]s; what the world must do in
//! return (send, audit, record, report, steer the replay, redraw, quit) comes back as
//! [`Effects`] for the shell to execute. Pure: no I/O, no clock.

use std::sync::Arc;

use super::command::{Command, Role};
use super::effects::{AuditEntry, Effects, RecordOut};
use super::input::{Hello, Input, MetricsMsg, PlaneMsg, ReplayMsg, Sink, Start};
use super::outbox::Outbox;
use super::overlay::Overlay;
use super::plan::Plan;
use super::playback::{Mode, ReplayInfo};
use super::record::{Body, Record};
use super::sanitize::sanitize;
use super::slo::{Sample, SloState};
use super::source::{Link, SourceStatus, ALERTMANAGER, CONTROL_PLANE, PROMETHEUS};
use super::state::{Event, Image, State, TIMELINE_CAP};
use super::time::{Offset, Span};
use super::timeline::Timeline;
use super::ui::Ui;

/// What a live console knows about its connection beyond the state.
#[derive(Clone, Debug, Default)]
pub struct Live {
    /// With `--config`: the SLOs come from Prometheus, so the plan is overlaid with the
    /// configuration's and the control plane's own metric records are left out.
    pub overlay: Option<Arc<Overlay>>,
    /// The seat asked for (`--observer` or not); the control plane may grant less.
    pub asked: Option<Role>,
    /// The control plane's run this console follows: `None` until the first hello.
    pub session: Option<String>,
    /// The control plane's plan as it sent it, on this console's clock (records from the
    /// control plane refer to it; the recording is written against it).
    pub plane_plan: Option<Arc<Plan>>,
    /// Added to every time of the current session. The console keeps one clock for its
    /// whole life: a control plane that restarts with another T0 is laid on it.
    pub shift: Span,
    /// The control plane's events applied, in this session.
    pub seq: u64,
    /// Where the control plane is (for the screen shown before the first hello).
    pub url: String,
    /// Report changes (headless) once there is a rollout to report on.
    pub report: bool,
    pub recording: Recording,
    /// The exercise this control plane runs (it plays a fixture), as it last said.
    pub exercise: Option<super::exercise::Exercise>,
}

/// Where the recording stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Recording {
    /// Nothing written yet: the header goes with the first hello.
    #[default]
    NotStarted,
    On,
    /// The control plane changed to another rollout: one file holds one rollout.
    Stopped,
}

/// The whole console.
#[derive(Clone, Debug)]
pub struct App {
    pub state: State,
    pub ui: Ui,
    pub outbox: Outbox,
    pub mode: Mode,
    pub live: Live,
    /// Why the console ended with an error (a replayed file refused after the first frame):
    /// the shell prints it once the terminal is restored, and exits with status 1.
    pub failure: Option<String>,
}

impl App {
    #[must_use]
    pub fn new(state: State, mode: Mode) -> App {
        App {
            state,
            ui: Ui::default(),
            outbox: Outbox::default(),
            mode,
            live: Live::default(),
            failure: None,
        }
    }

    /// A live console before its first hello: a placeholder state on `plan` until the
    /// control plane says what it runs.
    #[must_use]
    pub fn live(
        plan: Arc<Plan>,
        outbox: Outbox,
        overlay: Option<Arc<Overlay>>,
        track_changes: bool,
    ) -> App {
        let mut state = State::new(
            plan,
            SourceStatus {
                name: Arc::from(CONTROL_PLANE),
                link: Link::Connecting { attempt: 1 },
            },
            TIMELINE_CAP,
        );
        // The placeholder has no rollout and no clock: nothing of it is reported.
        state.track_changes(false);
        let asked = Some(outbox.role);
        App {
            state,
            ui: Ui::default(),
            outbox,
            mode: Mode::Live,
            live: Live {
                overlay,
                asked,
                report: track_changes,
                ..Live::default()
            },
            failure: None,
        }
    }

    #[must_use]
    pub fn is_replay(&self) -> bool {
        matches!(self.mode, Mode::Replay(_))
    }

    /// The reducer: applies one input and says what it asks of the world. Every mode runs
    /// this (replay, connect, demo, headless, snapshot); the shell's loop is receive, apply,
    /// execute the effects, draw when dirty.
    pub fn apply(&mut self, input: Input) -> Effects {
        let mut fx = Effects::default();
        match input {
            Input::Key(k) => self.key(k, &mut fx),
            Input::Resized => fx.dirty = true,
            Input::Layout { timeline_rows } => self.ui.page = timeline_rows.max(1),
            Input::ControlPlane(msg) => self.plane(msg, &mut fx),
            Input::Metrics(msg) => self.metrics(msg, &mut fx),
            Input::Replay(msg) => self.replay(msg, &mut fx),
            Input::SinkFailed {
                sink,
                error,
                command,
            } => self.sink_failed(sink, &error, command.as_deref(), &mut fx),
            Input::Quit => fx.quit = true,
        }
        fx
    }

    pub(super) fn state_apply(&mut self, event: Event, fx: &mut Effects) {
        fx.absorb(self.state.apply(event));
    }

    // ---- the control plane

    /// The control plane's link is up (a hello came through it and it has not failed since).
    #[must_use]
    pub fn connected(&self) -> bool {
        self.live.session.is_some() && self.state.source.link == Link::Connected
    }

    fn plane(&mut self, msg: PlaneMsg, fx: &mut Effects) {
        let shift = self.live.shift;
        match msg {
            PlaneMsg::Hello(h) => self.on_hello(*h, fx),
            PlaneMsg::Events { mut records, seq } => {
                self.live.seq = seq;
                let ours = self.live.overlay.is_some();
                for r in &mut records {
                    r.t = r.t.saturating_add(shift);
                    if !(ours && matches!(r.body, Body::Metric { .. })) {
                        self.state_apply(Event::Record(r.clone()), fx);
                    }
                }
                if self.live.recording == Recording::On {
                    fx.record.push(RecordOut::Records(records));
                }
            }
            PlaneMsg::Link(link) => self.state_apply(Event::Source(plane_status(link)), fx),
            PlaneMsg::Clock(t) => self.state_apply(Event::Clock(t.saturating_add(shift)), fx),
            PlaneMsg::Exercise(ex) => {
                self.live.exercise = Some(ex);
                fx.dirty = true;
            }
            PlaneMsg::Problem(text) => self.local_line("connection", &text, fx),
            PlaneMsg::Refused(why) => {
                self.state_apply(
                    Event::Source(plane_status(Link::Down {
                        reason: format!("refused: {why}").into(),
                        attempt: 0,
                        retry_in: None,
                    })),
                    fx,
                );
                self.ui.notice = Some(format!("the control plane refused this console: {why}"));
                fx.dirty = true;
            }
            PlaneMsg::Sent { id } => {
                if let Some(p) = self.outbox.pending.iter_mut().find(|p| p.command.id == id) {
                    p.sent += 1;
                    fx.audit.push(AuditEntry::Sent {
                        command: p.command.clone(),
                        attempt: p.sent,
                    });
                }
            }
            PlaneMsg::NotSent { id, reason } => {
                if let Some(command) = self.outbox.drop_pending(&id) {
                    self.not_sent(command, &reason, fx);
                }
            }
        }
        self.settle(fx);
    }

    /// A line of this console's own on its timeline (a problem with its connection or its
    /// sinks), marked local.
    pub(super) fn local_line(&mut self, source: &str, text: &str, fx: &mut Effects) {
        let line = Record {
            t: self.state.now,
            source: Some(source.into()),
            body: Body::Feed { text: text.into() },
        };
        self.state_apply(Event::Local(line), fx);
    }

    fn not_sent(&mut self, command: Command, reason: &str, fx: &mut Effects) {
        let what = format!("{} NOT sent: {reason}", command.action.word());
        self.ui.notice = Some(what.clone());
        self.local_line(CONTROL_PLANE, &format!("{what} ({})", command.id), fx);
        fx.audit.push(AuditEntry::NotSent {
            command,
            reason: reason.to_string(),
        });
        fx.dirty = true;
    }

    /// A command the commander confirmed leaves: audited first (the shell writes and syncs
    /// that line before it sends), and only while the control plane is reachable. It is
    /// aimed at the session and the wave this console sees.
    pub(super) fn dispatch(&mut self, mut command: Command, fx: &mut Effects) {
        command.session.clone_from(&self.live.session);
        if let Some(p) = self
            .outbox
            .pending
            .iter_mut()
            .find(|p| p.command.id == command.id)
        {
            p.command.session.clone_from(&command.session);
        }
        fx.audit.push(AuditEntry::Confirmed(command.clone()));
        if self.connected() {
            fx.send.push(command);
        } else {
            self.outbox.drop_pending(&command.id);
            self.not_sent(command, "control plane down", fx);
        }
    }

    fn on_hello(&mut self, mut h: Hello, fx: &mut Effects) {
        fx.dirty = true;
        let asked = self.live.asked.unwrap_or(self.outbox.role);
        self.outbox.role = asked.min_with(h.role);
        let first = self.live.session.is_none();
        if self.live.session.as_deref() == Some(h.session.as_str()) {
            return self.same_session(h, fx);
        }
        // The plan on this console's clock: the first session sets it; a later one (a
        // restarted control plane) is laid on it, never moving the clock back.
        let epoch = if first {
            h.plan.spec.t0
        } else {
            self.state.plan.spec.t0
        };
        let image = match std::mem::replace(&mut h.start, Start::Resume) {
            Start::Snapshot(Some(i)) => Some(i),
            Start::Snapshot(None) | Start::Resume => None,
        };
        let shift = if first {
            Span::ZERO
        } else {
            self.restart_shift(&h, epoch, image.as_deref())
        };
        let mut plane = (*h.plan).clone();
        plane.spec.t0 = epoch;
        let plane = Arc::new(plane);
        let changed_rollout = !first
            && self
                .live
                .plane_plan
                .as_ref()
                .is_some_and(|p| encode_spec(&p.spec) != encode_spec(&plane.spec));
        let shown = self.shown_plan(&plane, h.speed);
        if first || changed_rollout {
            // A state on this plan, keeping what the screen showed.
            let mut state = State::new(shown, plane_status(Link::Connected), TIMELINE_CAP);
            state.track_changes(self.live.report);
            if !first {
                state.timeline = std::mem::replace(&mut self.state.timeline, Timeline::new(0));
                state.session = self.state.session.take();
                state.now = self.state.now;
                state.source = self.state.source.clone();
                state.outage = self.state.outage.take();
            }
            self.state = state;
        }
        if first {
            self.live.recording = Recording::On;
            fx.record.push(RecordOut::Header(plane.clone()));
        } else if changed_rollout && self.live.recording == Recording::On {
            self.live.recording = Recording::Stopped;
            self.local_line(
                CONTROL_PLANE,
                "recording stopped: the control plane now runs another rollout",
                fx,
            );
        }
        self.live.plane_plan = Some(plane);
        self.live.shift = shift;
        self.live.seq = h.seq;
        let now = h.now.saturating_add(shift);
        if first {
            // An image of nothing (the control plane has published nothing yet) has nothing
            // to restore.
            if let Some(image) = image.filter(|i| i.applied > 0 || !i.timeline.is_empty()) {
                let text = format!(
                    "joined the control plane at event {}: its state, from its snapshot",
                    h.seq
                );
                self.adopt(&h.session, Some(image), now, text, fx);
            } else {
                self.state.session = Some(h.session.as_str().into());
                self.state_apply(Event::Clock(now), fx);
            }
        } else {
            let text = format!(
                "control plane restarted: new session {}, state rebuilt from its snapshot{}",
                h.session,
                if shift == epoch.until(h.plan.spec.t0) {
                    String::new()
                } else {
                    format!(
                        " (its T+0 shown as {})",
                        Offset::ZERO.saturating_add(shift).t_label()
                    )
                }
            );
            self.outcomes_unknown(fx);
            self.adopt(&h.session, image, now, text, fx);
        }
        self.live.session = Some(h.session);
        // Someone reading the changes from here on learns the whole picture first.
        if self.state.tracks_changes() {
            fx.changes.extend(self.state.picture());
        }
    }

    /// A hello of the session this console follows: resumed, or rebuilt from the image when
    /// it fell too far behind. Commands still without an outcome go again, under their own
    /// ids, to this same session only.
    fn same_session(&mut self, h: Hello, fx: &mut Effects) {
        if let Start::Snapshot(image) = h.start {
            let text = format!(
                "fell behind the control plane's event log: state rebuilt from its snapshot at \
                 event {}",
                h.seq
            );
            let now = h.now.saturating_add(self.live.shift);
            self.adopt(&h.session, image, now, text, fx);
        }
        self.live.seq = h.seq;
        if self.outbox.role.commands() {
            fx.send
                .extend(self.outbox.pending.iter().map(|p| p.command.clone()));
        }
    }

    /// How far a restarted control plane's times move onto this console's clock: by the
    /// difference of the two T0s (UTC stays right), but never so little that the clock or
    /// the timeline would go back.
    fn restart_shift(&self, h: &Hello, epoch: super::time::Epoch, image: Option<&Image>) -> Span {
        let newest_feed = (0..self.state.timeline.len())
            .rev()
            .filter_map(|i| self.state.timeline.get(i))
            .find(|e| !e.local)
            .map(|e| e.t);
        let first_theirs = image.and_then(|i| i.timeline.first()).map(|e| e.t);
        let mut s = epoch.until(h.plan.spec.t0);
        s = s.max(self.state.now.since(h.now));
        if let (Some(ours), Some(theirs)) = (newest_feed, first_theirs) {
            s = s.max(ours.since(theirs));
        }
        s
    }

    /// Commands sent to a session that has gone have no outcome to wait for: said, audited,
    /// and never sent again.
    fn outcomes_unknown(&mut self, fx: &mut Effects) {
        for p in std::mem::take(&mut self.outbox.pending) {
            let reason = "outcome unknown: the control plane restarted — check the timeline";
            self.ui.notice = Some(format!("{}: {reason}", p.command.action.word()));
            self.local_line(
                CONTROL_PLANE,
                &format!("{} {}: {reason}", p.command.action.word(), p.command.id),
                fx,
            );
            fx.audit.push(AuditEntry::Unknown {
                command: p.command,
                reason: reason.into(),
            });
        }
    }

    /// The plan the screen shows: the control plane's, or with `--config` the overlay's.
    fn shown_plan(&mut self, plane: &Arc<Plan>, speed: f64) -> Arc<Plan> {
        let Some(o) = self.live.overlay.clone() else {
            return plane.clone();
        };
        let (overlaid, notes) = o.apply(&plane.spec);
        if let Some(n) = notes.into_iter().next() {
            self.ui.notice = Some(n);
        }
        if (speed - 1.0).abs() > 1e-9 {
            self.ui.notice = Some(format!(
                "the control plane runs at ×{speed}: Prometheus samples are on wall time, so \
                 they will look old"
            ));
        }
        match Plan::new(overlaid) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.ui.notice = Some(format!("configuration does not fit the plan: {e}"));
                plane.clone()
            }
        }
    }

    /// Takes the control plane's state from its image (moved onto this console's clock),
    /// through a `snapshot` record: the reducer does the rest, as it does in a replay of the
    /// recording. Without an image (nothing has happened in that session yet) the image of
    /// an empty state stands in.
    fn adopt(
        &mut self,
        session: &str,
        image: Option<Box<Image>>,
        now: Offset,
        text: String,
        fx: &mut Effects,
    ) {
        let Some(plane) = self.live.plane_plan.clone() else {
            return;
        };
        let mut image = image.unwrap_or_else(|| {
            let mut empty = State::new(plane.clone(), plane_status(Link::Connected), 16);
            empty.now = now.saturating_sub(self.live.shift);
            Box::new(empty.image())
        });
        image.shift(self.live.shift);
        // The image stands for everything up to its newest record: events after it are no
        // older than that (a control plane publishes in time order).
        let at = match (image.last_record, self.state.last_record) {
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => now,
        };
        let record = Record {
            t: at,
            source: Some(CONTROL_PLANE.into()),
            body: Body::Snapshot {
                session: session.into(),
                text: text.into(),
                image,
            },
        };
        if self.live.recording == Recording::On {
            fx.record.push(RecordOut::Records(vec![record.clone()]));
        }
        if self.live.overlay.is_some() {
            // The image is of the control plane's SLOs; this console reads its own.
            let mut on_plane = self.state.clone();
            on_plane.plan = plane.clone();
            on_plane.slos = plane.spec.slos.iter().map(SloState::new).collect();
            fx.absorb(on_plane.apply(Event::Record(record)));
            let shown = self.state.plan.clone();
            on_plane.rebase(shown, &self.state);
            self.state = on_plane;
        } else {
            // A record of the feed, as it is in the recording: its line on the timeline is
            // part of the history a replay shows.
            self.state_apply(Event::Record(record), fx);
        }
        self.state_apply(Event::Clock(now), fx);
    }

    /// Outcomes that arrived for this console's commands: audited, and said in the footer.
    fn settle(&mut self, fx: &mut Effects) {
        for s in self.outbox.settle(&self.state) {
            let word = s.result.word().to_lowercase();
            self.ui.notice = Some(match &s.reason {
                Some(r) => format!("{} {word}: {}", s.command.action.word(), sanitize(r)),
                None => format!("{} {word}", s.command.action.word()),
            });
            fx.audit.push(AuditEntry::Outcome {
                command: s.command,
                result: s.result,
                reason: s.reason,
            });
            fx.dirty = true;
        }
    }

    // ---- Prometheus and Alertmanager

    /// Samples are placed on the rollout's clock by their Unix time, never ahead of it.
    fn metrics(&mut self, msg: MetricsMsg, fx: &mut Effects) {
        let fires = self.state.trigger_fires;
        let t0 = self.state.plan.spec.t0;
        let now = self.state.now;
        let at = |ms: i64| t0.offset_of_unix_ms(ms).min(now);
        let event = match msg {
            MetricsMsg::Status(s) => Some(Event::Upstream(s)),
            MetricsMsg::AddSlo(spec) => Some(Event::AddSlo(spec)),
            MetricsMsg::Backfill { id, points } => self.state.plan.slo(&id).map(|slo| {
                let points = points
                    .into_iter()
                    .map(|(ms, value)| Sample { t: at(ms), value })
                    .collect();
                Event::Backfill { slo, points }
            }),
            MetricsMsg::Sample { id, at_ms, value } => self.state.plan.slo(&id).map(|slo| {
                Event::Local(Record {
                    t: at(at_ms),
                    source: Some(PROMETHEUS.into()),
                    body: Body::Metric { slo, value },
                })
            }),
            MetricsMsg::Failed { id, error } => {
                self.state.plan.slo(&id).map(|slo| Event::SloError {
                    slo,
                    error: sanitize(&error),
                })
            }
            MetricsMsg::Alerts(bodies) => {
                for body in bodies {
                    let r = Record {
                        t: now,
                        source: Some(ALERTMANAGER.into()),
                        body,
                    };
                    self.state_apply(Event::Local(r), fx);
                }
                None
            }
        };
        if let Some(e) = event {
            self.state_apply(e, fx);
        }
        if !matches!(self.mode, Mode::Live) || self.live.session.is_none() {
            return;
        }
        if let Some(command) = self.outbox.auto_pause_after(&self.state, &self.mode, fires) {
            let what = self.state.last_fire.clone().unwrap_or_default();
            self.ui.notice = Some(format!("auto-pause sent: rollback trigger fired: {what}"));
            self.dispatch(command, fx);
            fx.dirty = true;
        }
    }

    // ---- the replay engine

    fn replay(&mut self, msg: ReplayMsg, fx: &mut Effects) {
        match msg {
            ReplayMsg::Batch {
                records,
                clock,
                info,
            } => {
                for r in records {
                    self.state_apply(Event::Record(r), fx);
                }
                self.state_apply(Event::Clock(clock), fx);
                fx.dirty |= self.set_info(info);
            }
            ReplayMsg::Restore {
                state,
                records,
                clock,
                info,
            } => {
                let tracks = self.state.tracks_changes();
                self.state = *state;
                self.state.track_changes(tracks);
                for r in records {
                    self.state_apply(Event::Record(r), fx);
                }
                self.state_apply(Event::Clock(clock), fx);
                self.set_info(info);
                fx.dirty = true;
            }
            ReplayMsg::Info(info) => fx.dirty |= self.set_info(info),
            ReplayMsg::Skipped { quiet, limit } => {
                self.ui.notice = Some(format!(
                    "skipped {} of quiet (idle limit {})",
                    quiet.compact(),
                    limit.compact()
                ));
                fx.dirty = true;
            }
            ReplayMsg::Failed(e) => {
                self.ui.notice = Some(format!("replay stopped: {}", sanitize(&e)));
                fx.dirty = true;
            }
            ReplayMsg::Checking(pct) => {
                fx.dirty |= self.ui.checking != Some(pct);
                self.ui.checking = Some(pct);
            }
            ReplayMsg::Checked => {
                fx.dirty |= self.ui.checking.is_some();
                self.ui.checking = None;
            }
            ReplayMsg::Refused(e) => {
                self.ui.checking = None;
                self.failure = Some(e);
                fx.quit = true;
            }
        }
    }

    fn set_info(&mut self, info: ReplayInfo) -> bool {
        let new = Mode::Replay(info);
        if self.mode == new {
            return false;
        }
        self.mode = new;
        true
    }

    // ---- sinks

    fn sink_failed(&mut self, sink: Sink, error: &str, command: Option<&str>, fx: &mut Effects) {
        fx.dirty = true;
        let error = sanitize(error);
        let line = if let Some(c) = command.and_then(|id| self.outbox.drop_pending(id)) {
            self.ui.notice = Some(format!(
                "{} unwritable ({error}): command NOT sent",
                sink.word()
            ));
            format!(
                "{} unwritable ({error}): {} {} NOT sent",
                sink.word(),
                c.action.word(),
                c.id
            )
        } else {
            self.ui.notice = Some(format!("{} unwritable: {error}", sink.word()));
            format!("{} unwritable: {error}", sink.word())
        };
        if sink == Sink::Recording {
            self.live.recording = Recording::Stopped;
        }
        // On the timeline too: the footer's notice goes with the next key.
        self.local_line("warroom", &line, fx);
    }
}

/// The control plane as a source, with its link.
fn plane_status(link: Link) -> SourceStatus {
    SourceStatus {
        name: Arc::from(CONTROL_PLANE),
        link,
    }
}

/// A plan apart from its T0, to tell "the same rollout, restarted" from "another rollout".
fn encode_spec(spec: &super::plan::PlanSpec) -> String {
    let mut spec = spec.clone();
    spec.t0 = super::time::Epoch(time::OffsetDateTime::UNIX_EPOCH);
    serde_json::to_string(&spec).unwrap_or_default()
}
