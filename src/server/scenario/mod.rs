//! The scenario engine behind `warroom serve` and `warroom demo`: a simulated rollout that
//! publishes the records a real control plane and its monitoring would, and answers commands.
//!
//! Pure: no I/O and no clock. Time comes in as the `now` of [`Scenario::tick`] and
//! [`Scenario::command`], and the same seed with the same calls at the same times gives the
//! same records, byte for byte.
//!
//! The scenario keeps a core [`State`] and applies every record it emits to it (the reducer the
//! consoles run), so its gates, bake clocks and bands are exactly what the consoles show.
//!
//! ```text
//!   T0 ── pre-start sign-offs ── wave 1 ── bake ── sign-offs ── wave 2 ── … ── wave N
//!                                  │                                │
//!              metric samples every sample_interval: each version's level blended by the
//!              traffic share actually on the new version, + the fault's share, + noise
//!                                  │
//!              alerts fire while a band is WARN / CRIT; auto-advance waits for green gates
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::core::command::Command;
use crate::core::command::OutcomeKind;
use crate::core::plan::Plan;
use crate::core::record::{Body, Record};
use crate::core::rng::Rng;
use crate::core::sanitize::sanitize;
use crate::core::source::{Link, SourceStatus};
use crate::core::state::{Event, State};
use crate::core::time::{Offset, Span};
use crate::core::wave::WaveStatus;

use super::sli::{self, Totals};
use super::tokens::Seat;
use crate::server::scenario::signals::alert_name;
use crate::server::scenario::signals::alert_prefix;
use crate::server::scenario::signals::generic_model;
use crate::server::scenario::signals::Drain;
use crate::server::scenario::signals::Fault;
use crate::server::scenario::signals::Model;

mod conduct;
mod demo;
mod judge;
mod observe;
mod resume;
mod rollout;
mod signals;

pub use conduct::{tail, Actuated, Actuation, ACTUATOR, CONDUCTOR};

/// Source of what the control plane decides: wave moves, sign-offs, commands and outcomes.
pub use crate::core::source::CONTROL_PLANE;
/// Source of what the scenario simulates of the outside world: metric samples and alerts.
pub const SIMULATION: &str = "scenario";

/// Command ids remembered for idempotency; the oldest are forgotten first.
pub const REMEMBERED_COMMANDS: usize = crate::core::state::COMMAND_CAP;

/// Most samples caught up at once after a long gap in ticks; older ones are skipped, and the
/// consoles show the gap as stale data rather than a burst of made-up history.
const MAX_CATCH_UP: i64 = 1000;
/// The internal state's timeline: nobody reads it, the gates and bands are what matter.
pub(super) const TIMELINE_CAP: usize = 256;

/// Why a command is not carried out.
type Refusal = (OutcomeKind, String);

/// A simulated rollout: see the module documentation.
pub struct Scenario {
    plan: Arc<Plan>,
    /// Every record emitted so far, applied: what the consoles see.
    state: State,
    rng: Rng,
    auto_advance: bool,
    /// Per SLO.
    models: Vec<Model>,
    fault: Option<Fault>,
    drain: Drain,
    /// Everything up to here has been emitted.
    clock: Offset,
    next_sample: Offset,
    /// When the rollout starts by itself (the demo: at T0).
    start_at: Option<Offset>,
    /// The wave whose finished bake has been dealt with (advanced, or a note said why not).
    bake_noted: Option<usize>,
    /// Per SLO: whether its warning and its critical alert are firing.
    firing: Vec<(bool, bool)>,
    /// Per SLO: the newest sample.
    last_values: Vec<Option<f64>>,
    /// Outcomes by command id, for idempotency; `order` bounds the map.
    outcomes: HashMap<Box<str>, (OutcomeKind, Option<Box<str>>)>,
    order: VecDeque<Box<str>>,
    /// SLI counters (old version, new version), integrated up to `totals_at`.
    totals: [Totals; 2],
    totals_at: Offset,
    /// "BatchPatches": alert names start with it.
    alert_prefix: String,
    /// How the rollout is conducted (the demo: everything at once, simulated).
    conduct: conduct::Conduct,
    conductor: conduct::Conductor,
    heard: observe::Heard,
    /// An exercise's script still plays: wave commands are recorded, not carried out.
    record_only: bool,
}

impl Scenario {
    /// A scenario over any plan (a fixture's, say) that carries on from `state`, with no
    /// scripted faults: `warroom serve FIXTURE` uses it once the fixture has played to its end.
    /// Samples continue from the state's newest values (where they are healthy). With
    /// `auto_advance`, waves advance by themselves once baked with green gates, and a rollout
    /// that has not started starts at the first tick.
    #[must_use]
    pub fn from_state(state: &State, seed: u64, auto_advance: bool) -> Scenario {
        let plan = state.plan.clone();
        let clock = if state.now.0 == i64::MIN {
            state.last_record.unwrap_or(Offset::ZERO)
        } else {
            state.now
        };
        let mut models: Vec<Model> = plan
            .spec
            .slos
            .iter()
            .zip(&state.slos)
            .map(|(spec, s)| generic_model(spec, s.last.and_then(|l| l.value)))
            .collect();
        // Error and success rate are two views of the same requests.
        if let (Some(e), Some(s)) = (plan.slo("error_rate"), plan.slo("success_rate")) {
            let (es, ss) = (&plan.spec.slos[e], &plan.spec.slos[s]);
            if es.unit == "%" && ss.unit == "%" && es.baseline.is_none() && ss.baseline.is_none() {
                models[s] = Model::Complement(e);
            }
        }
        let mut sc = Scenario::with(state.clone(), seed, auto_advance, models, clock);
        if auto_advance && sc.state.current_wave().is_none() {
            sc.start_at = Some(clock);
        }
        sc
    }

    fn with(
        state: State,
        seed: u64,
        auto_advance: bool,
        models: Vec<Model>,
        clock: Offset,
    ) -> Scenario {
        let plan = state.plan.clone();
        let interval = plan.spec.sample_interval.0.max(1);
        let ids = |sev: &str| -> Vec<Box<str>> {
            plan.spec
                .slos
                .iter()
                .map(|s| alert_name(&alert_prefix(&plan), s, sev).into_boxed_str())
                .collect()
        };
        let (high, crit) = (ids("High"), ids("Critical"));
        let firing = high
            .iter()
            .zip(&crit)
            .map(|(h, c)| (state.alerts.contains_key(h), state.alerts.contains_key(c)))
            .collect();
        let mut outcomes = HashMap::new();
        let mut order = VecDeque::new();
        for c in &state.commands {
            // The first outcome of an id is the one a retry gets back.
            if let (Some(o), false) = (&c.outcome, outcomes.contains_key(&c.id)) {
                outcomes.insert(c.id.clone(), o.clone());
                order.push_back(c.id.clone());
            }
        }
        let share = share_of(&plan, state.traffic);
        let last_values = state
            .slos
            .iter()
            .map(|s| s.last.and_then(|l| l.value))
            .collect();
        Scenario {
            alert_prefix: alert_prefix(&plan),
            rng: Rng::new(seed),
            auto_advance,
            fault: None,
            drain: Drain::settled(share, clock),
            clock,
            next_sample: Offset((clock.0.div_euclid(interval) + 1).saturating_mul(interval)),
            start_at: None,
            bake_noted: None,
            firing,
            last_values,
            outcomes,
            order,
            totals: [Totals::default(), Totals::default()],
            totals_at: clock,
            models,
            state,
            plan,
            conduct: conduct::Conduct::default(),
            conductor: conduct::Conductor::default(),
            heard: observe::Heard::default(),
            record_only: false,
        }
    }

    #[must_use]
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The state every emitted record has been applied to.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The scenario's time: everything up to here has been emitted.
    #[must_use]
    pub fn clock(&self) -> Offset {
        self.clock
    }

    /// Everything that happened after the previous call, up to `now`, in time order: metric
    /// samples every `sample_interval`, alerts firing and resolving with the bands, and — with
    /// auto-advance — the go/no-go sign-offs and the move to the next wave once the current
    /// one has baked and its gates are green. A `now` before the scenario's clock is ignored.
    pub fn tick(&mut self, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        out
    }

    /// Applies a command at `now` from a console without a token (a control plane without a
    /// tokens file, which lets anyone tick any item): see [`Scenario::command_from`].
    pub fn command(&mut self, cmd: &Command, now: Offset) -> Vec<Record> {
        self.command_from(cmd, &Seat::Open, now)
    }

    /// Applies a command at `now` from `seat` and returns the records to publish, in order: the
    /// `command` record, its `outcome`, then the effects (wave moves, sign-offs, a note, a
    /// checklist item moved). Anything still due before `now` (as [`Scenario::tick`] would
    /// return it) comes first, so the records stay in time order; callers that tick first get
    /// exactly the command's records.
    ///
    /// When the tokens file names the seat's person, that name is the command's actor,
    /// whatever the console claimed. The same command id again gets only an outcome equal to
    /// the first one, and changes nothing. A command aimed at a wave that is no longer
    /// current, or whose action the state has moved past, is a `conflict` naming the current
    /// state; one that cannot apply (no reason, nothing to resume, the last wave, blocking
    /// gates) is `rejected`. Ticks and unticks are judged against the checklist and the
    /// seat, and carried out at once, even while a conducted rollout waits for its actuator.
    pub fn command_from(&mut self, cmd: &Command, seat: &Seat, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        self.answer_command(cmd, seat, &mut out);
        out
    }

    /// The room's decision during an exercise, while the fixture still plays: the command is
    /// judged against the state the fixture has reached and answered at `now`, with nothing
    /// simulated meanwhile. Notes, ticks and milestones take effect; a wave command is
    /// recorded as the room's decision, and the script goes on (what follows is the
    /// facilitator's to decide).
    pub fn decide(&mut self, cmd: &Command, seat: &Seat, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.record_only = true;
        if now > self.clock {
            self.clock = now;
            self.state.apply(Event::Clock(now));
        }
        self.answer_command(cmd, seat, &mut out);
        out
    }

    fn answer_command(&mut self, cmd: &Command, seat: &Seat, out: &mut Vec<Record>) {
        if cmd.check_limits().is_err() {
            // Refused as a message by the network edge: nothing about it is recorded, as an
            // id cut to fit could be taken for another command's.
            return;
        }
        let t = self.clock;
        let id = sanitize(&cmd.id);
        if let Some((result, reason)) = self.outcomes.get(&id).cloned() {
            self.emit(t, CONTROL_PLANE, Body::Outcome { id, result, reason }, out);
            return;
        }
        // The tokens file's name for the seat is the actor, whatever the console claimed.
        let renamed;
        let cmd = match seat.name() {
            Some(name) if name != cmd.actor => {
                renamed = Command {
                    actor: name.to_string(),
                    ..cmd.clone()
                };
                &renamed
            }
            _ => cmd,
        };
        if cmd.action.is_checklist() {
            self.checklist_command(cmd, seat, out);
            // A gate may have turned green: a wave that waited for it moves now.
            self.consider_advance(t, out);
            return;
        }
        if cmd.action == crate::core::command::Action::Milestone {
            self.milestone_command(cmd, out);
            return;
        }
        if self.conducts() {
            let again =
                self.in_flight() == Some(&*id) || self.conductor.queue.iter().any(|q| *q.id == *id);
            if !again {
                self.record_command(cmd, out);
                if self.busy() {
                    self.conductor.queue.push_back(cmd.clone());
                } else {
                    self.begin(cmd.clone(), out);
                }
                let t = self.clock;
                self.check_triggers(t, out);
                self.consider_advance(t, out);
            }
            return;
        }
        let (by, reason) = who_and_why(cmd);
        let named = cmd.expected_wave().map(|w| (w, self.plan.wave(w)));
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Command {
                id: id.clone(),
                action: cmd.action,
                by: by.clone(),
                reason: reason.clone(),
                wave: named.and_then(|(_, w)| w),
                item: None,
            },
            out,
        );
        let verdict = self.judge(cmd, named);
        let recorded = self.record_only && crate::core::command::Verb::of(cmd.action).is_some();
        let (result, why) = match &verdict {
            Ok(()) if recorded => (
                OutcomeKind::Accepted,
                Some(
                    "exercise: recorded as the room's decision; the script plays on (the \
                     facilitator says what follows)"
                        .into(),
                ),
            ),
            Ok(()) => (OutcomeKind::Accepted, None),
            Err((kind, why)) => (*kind, Some(sanitize(why))),
        };
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Outcome {
                id: id.clone(),
                result,
                reason: why.clone(),
            },
            out,
        );
        if !id.is_empty() {
            self.remember(id, result, why);
        }
        if verdict.is_ok() && !recorded {
            self.carry_out(cmd.action, t, by, reason, out);
        }
    }

    /// The Prometheus text exposition (v0.0.4) of the simulated SLIs: per-version request and
    /// error counters, the latency histogram, the router's traffic split and each SLO's newest
    /// sample. Counters run up to the scenario's clock (at most `now`): tick first to count
    /// up to `now`. They never go back.
    #[must_use]
    pub fn metrics_text(&self, now: Offset) -> String {
        let upto = now.min(self.clock).max(self.totals_at);
        let mut totals = self.totals.clone();
        sli::integrate(&mut totals, self.totals_at, upto, |t| self.serving(t));
        let new = share_of(&self.plan, self.state.traffic);
        let p = &self.plan.spec;
        let series = [
            sli::Series {
                version: &p.from,
                totals: &totals[0],
                share: 1.0 - new,
            },
            sli::Series {
                version: &p.to,
                totals: &totals[1],
                share: new,
            },
        ];
        let slos: Vec<(&str, f64)> = p
            .slos
            .iter()
            .zip(&self.last_values)
            .filter_map(|(s, v)| v.map(|v| (s.id.as_str(), v)))
            .collect();
        sli::exposition(&series, &slos)
    }

    /// Moves the clock to `now`, emitting what falls due on the way, in time order.
    fn run_to(&mut self, now: Offset, out: &mut Vec<Record>) {
        if now < self.clock {
            return;
        }
        let interval = self.plan.spec.sample_interval.0.max(1);
        let behind = now.0.saturating_sub(self.next_sample.0) / interval;
        if behind > MAX_CATCH_UP {
            let skip = (behind - MAX_CATCH_UP).saturating_mul(interval);
            self.next_sample = Offset(self.next_sample.0.saturating_add(skip));
        }
        let simulates = self.simulates();
        loop {
            let due = [
                self.start_at,
                Some(self.next_sample).filter(|_| simulates),
                self.bake_due(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(t) = due.filter(|t| *t <= now) else {
                break;
            };
            self.integrate_to(t);
            self.clock = t;
            self.state.apply(Event::Clock(t));
            if self.start_at.is_some_and(|s| s <= t) {
                self.start_at = None;
                self.start(t, out);
            }
            if simulates && self.next_sample <= t {
                self.next_sample = Offset(t.0.saturating_add(interval));
                self.sample(t, out);
            }
            self.check_triggers(t, out);
            self.consider_advance(t, out);
        }
        self.integrate_to(now);
        self.clock = now;
        self.state.apply(Event::Clock(now));
    }

    /// Whether samples and alerts are made up here: the demo's and a fixture's control
    /// plane, and a plan with the simulate actuator.
    fn simulates(&self) -> bool {
        !self.conducts() || self.conduct.simulated
    }

    fn note(&mut self, t: Offset, text: &str, out: &mut Vec<Record>) {
        self.note_by(t, None, Some(sanitize(text)), out);
    }

    /// Publishes a record: applies it to the state and follows its effect on the traffic.
    fn emit(&mut self, t: Offset, source: &str, body: Body, out: &mut Vec<Record>) {
        if let (
            Some(f),
            Body::Wave {
                wave,
                state: WaveStatus::Active,
                ..
            },
        ) = (&mut self.fault, &body)
        {
            if *wave == f.wave && f.onset.is_none() {
                f.onset = Some(t.saturating_add(f.after));
            }
        }
        let record = Record {
            t,
            source: Some(source.into()),
            body,
        };
        let before = self.state.traffic;
        self.state.apply(Event::Record(record.clone()));
        if (self.state.traffic - before).abs() > f64::EPSILON {
            self.drain = Drain {
                from: self.drain.share(t),
                to: share_of(&self.plan, self.state.traffic),
                at: t,
            };
        }
        out.push(record);
    }
}

/// Who asked and why, as the timeline shows them: sanitised, and `None` when blank.
fn who_and_why(cmd: &Command) -> (Option<Box<str>>, Option<Box<str>>) {
    let by = Some(sanitize(cmd.actor.trim())).filter(|b| !b.is_empty());
    let why = cmd
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| cmd.action.clean_reason(r));
    (by, why)
}

fn control_plane_source() -> SourceStatus {
    SourceStatus {
        name: CONTROL_PLANE.into(),
        link: Link::Connected,
    }
}

/// The traffic figure as a share of the whole, 0..1.
fn share_of(plan: &Plan, traffic: f64) -> f64 {
    let full = if plan.spec.traffic_unit.is_none() {
        100.0
    } else {
        plan.spec
            .waves
            .iter()
            .map(|w| w.traffic)
            .fold(0.0, f64::max)
    };
    if full <= 0.0 {
        0.0
    } else {
        (traffic / full).clamp(0.0, 1.0)
    }
}

fn secs(s: Span) -> f64 {
    s.0 as f64 / 1000.0
}

#[cfg(test)]
mod tests;
