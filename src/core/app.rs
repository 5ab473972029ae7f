//! The console: the rollout's state, the screen's own state and the seat's commands, with
//! the one reducer every mode runs: [`App::apply`]. Keys, the control plane, the metric
//! sources, the replay engine and failing sinks are [`Input`]s; what the world must do in
//! return (send, audit, record, report, steer the replay, redraw, quit) comes back as
//! [`Effects`] for the shell to execute. Pure: no I/O, no clock.

use std::sync::Arc;

use super::command::{Action, Command, Role};
use super::effects::{AuditEntry, Effects, RecordOut};
use super::input::{Input, MetricsMsg, PlaneMsg, ReplayMsg, Sink};
use super::intent::{lookup, Intent, Key};
use super::outbox::{ConfirmKey, Outbox};
use super::overlay::Overlay;
use super::plan::Plan;
use super::playback::{Mode, ReplayCtl, ReplayInfo};
use super::record::{Body, Record};
use super::sanitize::sanitize;
use super::slo::Sample;
use super::source::{Link, SourceStatus, ALERTMANAGER, CONTROL_PLANE, PROMETHEUS};
use super::state::{Event, State, TIMELINE_CAP};
use super::time::{parse_offset, Span};
use super::ui::{Prompt, Ui};

/// What a live console knows about its connection beyond the state.
#[derive(Clone, Debug, Default)]
pub struct Live {
    /// With `--config`: the SLOs come from Prometheus, so the plan is overlaid with the
    /// configuration's and the control plane's own metric records are left out.
    pub overlay: Option<Arc<Overlay>>,
    /// The seat asked for (`--observer` or not); the control plane may grant less.
    pub asked: Option<Role>,
    /// A first hello has arrived: the state is the control plane's plan, not a placeholder.
    pub greeted: bool,
    /// The recording's header has been asked for.
    recording_started: bool,
}

/// The whole console.
#[derive(Clone, Debug)]
pub struct App {
    pub state: State,
    pub ui: Ui,
    pub outbox: Outbox,
    pub mode: Mode,
    pub live: Live,
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
        state.track_changes(track_changes);
        let asked = Some(outbox.role);
        App {
            state,
            ui: Ui::default(),
            outbox,
            mode: Mode::Live,
            live: Live {
                overlay,
                asked,
                greeted: false,
                recording_started: false,
            },
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

    fn state_apply(&mut self, event: Event, fx: &mut Effects) {
        fx.merge(self.state.apply(event));
    }

    // ---- keys

    fn key(&mut self, key: Key, fx: &mut Effects) {
        fx.dirty = true;
        if self.outbox.confirm.is_some() {
            match self.outbox.key(key) {
                ConfirmKey::Edited => {}
                ConfirmKey::Cancelled(action) => {
                    self.ui.notice = Some(format!("{} cancelled", action.word()));
                }
                ConfirmKey::Quit => fx.quit = true,
                ConfirmKey::Confirmed(command) => {
                    self.ui.notice = Some(format!(
                        "{} sent, waiting for the outcome",
                        command.action.word()
                    ));
                    send(command, fx);
                }
            }
            return;
        }
        if self.ui.prompt.is_some() {
            self.prompt_key(key, fx);
            return;
        }
        self.ui.notice = None;
        if let Some(intent) = lookup(key, self.is_replay()) {
            self.on_intent(intent, fx);
        }
    }

    /// What a key bound to `intent` does (tests and the key table share this path).
    pub fn intent(&mut self, intent: Intent) -> Effects {
        let mut fx = Effects {
            dirty: true,
            ..Effects::default()
        };
        self.on_intent(intent, &mut fx);
        fx
    }

    fn on_intent(&mut self, intent: Intent, fx: &mut Effects) {
        if self.ui.help && !matches!(intent, Intent::Help | Intent::Back | Intent::Quit) {
            self.ui.help = false;
        }
        let info = match self.mode {
            Mode::Replay(i) => Some(i),
            Mode::Live => None,
        };
        let tl = &self.state.timeline;
        match intent {
            Intent::TogglePlay => fx.replay = Some(ReplayCtl::Toggle),
            Intent::SeekBack10s => fx.replay = Some(ReplayCtl::SeekBy(Span(-10_000))),
            Intent::SeekFwd10s => fx.replay = Some(ReplayCtl::SeekBy(Span(10_000))),
            Intent::SeekBack1m => fx.replay = Some(ReplayCtl::SeekBy(Span(-60_000))),
            Intent::SeekFwd1m => fx.replay = Some(ReplayCtl::SeekBy(Span(60_000))),
            Intent::JumpStart => fx.replay = info.map(|i| ReplayCtl::SeekTo(i.start)),
            Intent::JumpEnd => fx.replay = info.map(|i| ReplayCtl::SeekTo(i.end)),
            Intent::NextEvent => fx.replay = Some(ReplayCtl::NextEvent),
            Intent::Faster | Intent::Slower => {
                fx.replay = info.map(|i| ReplayCtl::Speed(i.speed.step(intent == Intent::Faster)));
            }
            Intent::JumpTo => {
                self.ui.prompt = Some(Prompt {
                    label: "Go to (T+5m, T-1h, 00:30:00)",
                    input: String::new(),
                    error: None,
                });
            }
            Intent::ScrollUp => self.ui.scroll(tl, 1, true),
            Intent::ScrollDown => self.ui.scroll(tl, 1, false),
            Intent::PageUp => self.ui.scroll(tl, self.ui.page.max(1), true),
            Intent::PageDown => self.ui.scroll(tl, self.ui.page.max(1), false),
            Intent::Top => self.ui.scroll(tl, usize::MAX, true),
            Intent::Bottom => self.ui.scroll(tl, usize::MAX, false),
            Intent::FocusNext => self.ui.focus = self.ui.focus.next(),
            Intent::Zoom => self.ui.zoom = !self.ui.zoom,
            Intent::CycleKind => self.ui.cycle_kind(),
            Intent::CycleSeverity => self.ui.cycle_severity(),
            Intent::Help => self.ui.help = !self.ui.help,
            Intent::Back => {
                if self.ui.help {
                    self.ui.help = false;
                } else if self.ui.zoom {
                    self.ui.zoom = false;
                }
            }
            Intent::Quit => fx.quit = true,
            Intent::Pause => self.open_confirm(Action::Pause),
            Intent::Resume => self.open_confirm(Action::Resume),
            Intent::Advance => self.open_confirm(Action::Advance),
            Intent::Rollback => self.open_confirm(Action::Rollback),
            Intent::Note => self.open_confirm(Action::Note),
        }
    }

    fn open_confirm(&mut self, action: Action) {
        if let Err(why) = self.outbox.open(&self.state, &self.mode, action) {
            self.ui.notice = Some(why);
        }
    }

    fn prompt_key(&mut self, key: Key, fx: &mut Effects) {
        let Some(p) = self.ui.prompt.as_mut() else {
            return;
        };
        match key {
            Key::Esc => self.ui.prompt = None,
            Key::CtrlC => fx.quit = true,
            Key::Backspace => {
                p.input.pop();
                p.error = None;
            }
            Key::Enter => match parse_offset(&p.input) {
                Ok(t) => {
                    self.ui.prompt = None;
                    self.ui.notice = Some(format!("go to {}", t.t_label()));
                    if self.is_replay() {
                        self.ui.timeline_anchor = None;
                        fx.replay = Some(ReplayCtl::SeekTo(t));
                    } else {
                        self.ui.jump_timeline(&self.state.timeline, t);
                    }
                }
                Err(e) => p.error = Some(e.0),
            },
            Key::Char(c) if p.input.len() < 32 && !c.is_control() => {
                p.input.push(c);
                p.error = None;
            }
            _ => {}
        }
    }

    // ---- the control plane

    fn plane(&mut self, msg: PlaneMsg, fx: &mut Effects) {
        let status = |link| SourceStatus {
            name: Arc::from(CONTROL_PLANE),
            link,
        };
        let mut recorded: Vec<Record> = Vec::new();
        match msg {
            PlaneMsg::Hello {
                plan,
                role,
                reset,
                now,
                speed,
                ..
            } => {
                fx.dirty = true;
                let asked = self.live.asked.unwrap_or(self.outbox.role);
                self.outbox.role = asked.min_with(role);
                let overlay = self.live.overlay.clone();
                let shown = match &overlay {
                    Some(o) => {
                        let (overlaid, notes) = o.apply(&plan.spec);
                        if let Some(n) = notes.into_iter().next() {
                            self.ui.notice = Some(n);
                        }
                        if (speed - 1.0).abs() > 1e-9 {
                            self.ui.notice = Some(format!(
                                "the control plane runs at ×{speed}: Prometheus samples are \
                                 on wall time, so they will look old"
                            ));
                        }
                        match Plan::new(overlaid) {
                            Ok(r) => Arc::new(r),
                            Err(e) => {
                                self.ui.notice =
                                    Some(format!("configuration does not fit the plan: {e}"));
                                plan.clone()
                            }
                        }
                    }
                    None => plan.clone(),
                };
                let first = !self.live.greeted;
                if first || reset.is_some() {
                    // The connection is up: the hello came through it.
                    let link = if first {
                        Link::Connected
                    } else {
                        self.state.source.link.clone()
                    };
                    let mut state = State::new(shown, status(link), TIMELINE_CAP);
                    state.track_changes(self.state.tracks_changes());
                    let records = reset.unwrap_or_default();
                    let mut replay_fx = Effects::default();
                    for r in &records {
                        if overlay.is_none() || !matches!(r.body, Body::Metric { .. }) {
                            replay_fx.merge(state.apply(Event::Record(r.clone())));
                        }
                    }
                    replay_fx.merge(state.apply(Event::Clock(now)));
                    if overlay.is_some() && !first {
                        state.carry_sources(&self.state);
                    }
                    fx.changes.extend(replay_fx.changes);
                    self.state = state;
                    recorded = records;
                }
                self.live.greeted = true;
                if !self.live.recording_started {
                    self.live.recording_started = true;
                    fx.record.push(RecordOut::Header(plan));
                }
            }
            PlaneMsg::Events { records, .. } => {
                let ours = self.live.overlay.is_some();
                for r in &records {
                    if !(ours && matches!(r.body, Body::Metric { .. })) {
                        self.state_apply(Event::Record(r.clone()), fx);
                    }
                }
                recorded = records;
            }
            PlaneMsg::Link(link) => self.state_apply(Event::Source(status(link)), fx),
            PlaneMsg::Clock(t) => self.state_apply(Event::Clock(t), fx),
            PlaneMsg::Problem(text) => {
                let problem = Record {
                    t: self.state.now,
                    source: Some("connection".into()),
                    body: Body::Feed { text: text.into() },
                };
                self.state_apply(Event::Record(problem), fx);
            }
            PlaneMsg::Refused(why) => {
                self.state_apply(
                    Event::Source(status(Link::Down {
                        reason: format!("refused: {why}").into(),
                    })),
                    fx,
                );
                self.ui.notice = Some(format!("the control plane refused this console: {why}"));
                fx.dirty = true;
            }
        }
        if !recorded.is_empty() {
            fx.record.push(RecordOut::Records(recorded));
        }
        self.settle(fx);
    }

    /// Outcomes that arrived for this console's commands: audited, and said in the footer.
    fn settle(&mut self, fx: &mut Effects) {
        for s in self.outbox.settle(&self.state) {
            let word = format!("{:?}", s.result).to_lowercase();
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
                Event::Record(Record {
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
                    self.state_apply(Event::Record(r), fx);
                }
                None
            }
        };
        if let Some(e) = event {
            self.state_apply(e, fx);
        }
        if !matches!(self.mode, Mode::Live) || !self.live.greeted {
            return;
        }
        if let Some(command) = self.outbox.auto_pause_after(&self.state, &self.mode, fires) {
            let what = self.state.last_fire.clone().unwrap_or_default();
            self.ui.notice = Some(format!("auto-pause sent: rollback trigger fired: {what}"));
            send(command, fx);
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
            ReplayMsg::Failed(e) => {
                self.ui.notice = Some(format!("replay stopped: {}", sanitize(&e)));
                fx.dirty = true;
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
        match command.and_then(|id| self.outbox.drop_pending(id)) {
            Some(_) => {
                self.ui.notice = Some(format!(
                    "{} unwritable ({error}): command NOT sent",
                    sink.word()
                ));
            }
            None => {
                self.ui.notice = Some(format!("{} unwritable: {error}", sink.word()));
            }
        }
    }
}

/// A command leaves: audited first, then sent (the shell sends it only once the audit line
/// is written and synced).
fn send(command: Command, fx: &mut Effects) {
    fx.audit.push(AuditEntry::Sent(command.clone()));
    fx.send.push(command);
}
