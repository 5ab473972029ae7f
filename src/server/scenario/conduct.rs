//! Conducting a planned rollout (`warroom serve --plan`): commands that wait for an actuator
//! before their outcome, one actuation at a time in arrival order; the conductor's own moves
//! (auto-approved advances, fired triggers) as commands by `conductor` through the same path;
//! and samples and alerts polled from outside, published as they come.
//!
//! Still pure: an actuation is a value handed to the shell ([`Scenario::take_actuations`]),
//! and its answer comes back as an input ([`Scenario::actuated`]) with the time.

use std::collections::VecDeque;

use crate::config::plan_file::{ActuatorSpec, PlanFile, Trigger, When};
use crate::core::command::{Action, Command, OutcomeKind, Verb, NOT_STARTED};
use crate::core::plan::{Approval, Policy};
use crate::core::record::{Body, Milestone, Record};
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;
use crate::core::source::CONTROL_PLANE;
use crate::core::state::State;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;

use super::signals::{generic_model, Fault, Model};
use super::{control_plane_source, who_and_why, Scenario, TIMELINE_CAP};

/// Who the conductor's own commands are by.
pub const CONDUCTOR: &str = "conductor";
/// Source of the lines an actuator's output puts on the timeline.
pub const ACTUATOR: &str = "actuator";
/// Longest actuator output kept on the timeline, in characters (the tail is kept).
pub const OUTPUT_TAIL: usize = 400;

/// How the rollout is conducted.
#[derive(Clone, Debug, Default)]
pub(super) struct Conduct {
    /// Verbs an actuator outside carries out: their commands wait for its answer. Empty: every
    /// command is carried out at once (the demo, a fixture's control plane).
    pub external: Vec<Verb>,
    /// Rollback triggers with a policy.
    pub triggers: Vec<Trigger>,
    /// Whether metric samples and alerts are simulated here (else they come from outside).
    pub simulated: bool,
    /// Whether simulated people sign off the open items just before each move.
    pub sign_offs: bool,
}

/// What the shell's actuator is asked to do: the command and its context.
#[derive(Clone, Debug, PartialEq)]
pub struct Actuation {
    /// The command's id: the idempotency key the actuator passes on.
    pub id: Box<str>,
    pub verb: Verb,
    pub rollout: String,
    /// The wave acted on (for advance, the wave it moves to): id and name.
    pub wave: Option<(String, String)>,
    /// The traffic share once carried out, and before.
    pub traffic: f64,
    pub previous_traffic: f64,
    pub actor: Box<str>,
    pub reason: Option<Box<str>>,
    /// An advance from the last wave: the rollout completes (traffic stays where it is).
    pub complete: bool,
}

/// The actuator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actuated {
    /// Carried out; `output` is what it said (the tail goes on the timeline).
    Applied { output: String },
    /// It said no, in these words; nothing changed.
    Failed { reason: String },
    /// No answer in time: whether anything changed is not known.
    Unknown { reason: String },
}

/// A command waiting for its actuator.
#[derive(Clone, Debug)]
pub(super) struct InFlight {
    pub cmd: Command,
    pub verb: Verb,
}

/// The conductor's bookkeeping besides the rollout's state.
#[derive(Clone, Debug, Default)]
pub(super) struct Conductor {
    pub in_flight: Option<InFlight>,
    /// Commands that arrived while another was carried out, in arrival order.
    pub queue: VecDeque<Command>,
    /// Handed to the shell by `take_actuations`.
    pub out: Vec<Actuation>,
    /// After a restart: the actuation that was under way, to be read back.
    pub recover: Vec<Actuation>,
    /// The conductor's own commands so far (for their ids).
    pub issued: u64,
    /// SLO triggers (slo, index) whose fire has been acted on; forgotten when it clears.
    pub acted: Vec<(usize, usize)>,
    /// Per trigger: an alert trigger fired during the current run of matching alerts.
    pub alert_fired: Vec<bool>,
    /// A wave whose automatic advance the actuator refused: it waits for a person.
    pub auto_refused: Option<usize>,
    /// The wave (or `None` before the start) and whether its gates were green when the
    /// conductor last said so, so it says it once per change.
    pub said: Option<(Option<usize>, bool)>,
}

impl Scenario {
    /// A scenario that conducts a plan file's rollout: waves advance by their own approval,
    /// triggers act by their policy, and commands wait for the actuator. With the simulate
    /// actuator, samples and alerts are simulated as in the demo; otherwise they come from
    /// outside through [`Scenario::observe`].
    #[must_use]
    pub fn planned(file: &PlanFile) -> Scenario {
        let plan = std::sync::Arc::new(file.plan.clone());
        let state = State::new(plan.clone(), control_plane_source(), TIMELINE_CAP);
        let models: Vec<Model> = plan
            .spec
            .slos
            .iter()
            .map(|spec| generic_model(spec, None))
            .collect();
        let mut sc = Scenario::with(state, 0, false, models, Offset::ZERO);
        let (simulated, sign_offs, external) = match &file.actuator {
            ActuatorSpec::Simulate {
                seed,
                fault,
                sign_offs,
            } => {
                sc.rng = crate::core::rng::Rng::new(*seed);
                sc.fault = fault.as_ref().map(|f| Fault {
                    wave: f.wave,
                    after: f.after,
                    ramp: f.ramp,
                    onset: None,
                    mitigated: None,
                });
                (true, *sign_offs, Verb::ALL.to_vec())
            }
            ActuatorSpec::Exec { verbs, .. } => (false, false, verbs.keys().copied().collect()),
            ActuatorSpec::Webhook { .. } => (false, false, Verb::ALL.to_vec()),
            // Pause and resume change nothing in a feature flag: the conductor holds.
            ActuatorSpec::Unleash { .. } => (false, false, vec![Verb::Advance, Verb::Rollback]),
        };
        sc.conduct = Conduct {
            external,
            triggers: file.triggers.clone(),
            simulated,
            sign_offs,
        };
        sc.conductor.alert_fired = vec![false; file.triggers.len()];
        sc.next_sample = Offset::ZERO;
        sc.start_at = Some(Offset::ZERO);
        sc
    }

    /// Whether this scenario waits for an actuator.
    #[must_use]
    pub fn conducts(&self) -> bool {
        !self.conduct.external.is_empty()
    }

    /// The actuations to start, oldest first (at most one is ever outstanding).
    pub fn take_actuations(&mut self) -> Vec<Actuation> {
        std::mem::take(&mut self.conductor.out)
    }

    /// The id of the command whose actuator has not answered yet.
    #[must_use]
    pub fn in_flight(&self) -> Option<&str> {
        self.conductor.in_flight.as_ref().map(|f| f.cmd.id.as_str())
    }

    /// Who approves a wave that has baked green: its own `approval`, else the scenario's
    /// default (the demo advances by itself).
    pub(super) fn approval(&self, wave: usize) -> Approval {
        self.plan.spec.waves[wave]
            .approval
            .unwrap_or(if self.auto_advance {
                Approval::Auto
            } else {
                Approval::Manual
            })
    }

    /// The actuator answered command `id` at `now`: its outcome and, when applied, its
    /// effects; then the next queued command is begun. An answer for a command that is not
    /// in flight is ignored.
    pub fn actuated(&mut self, id: &str, answer: Actuated, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        let t = self.clock;
        let Some(f) = self.conductor.in_flight.take_if(|f| f.cmd.id == id) else {
            return out;
        };
        let cid: Box<str> = sanitize(&f.cmd.id);
        let (by, reason) = who_and_why(&f.cmd);
        match answer {
            Actuated::Applied { output } => {
                self.actuator_line(t, f.verb, &output, &mut out);
                self.outcome(t, &cid, OutcomeKind::Accepted, None, &mut out);
                self.carry_out(f.cmd.action, t, by, reason, &mut out);
                if f.cmd.actor == CONDUCTOR {
                    self.conductor.auto_refused = None;
                }
            }
            Actuated::Failed { reason: why } => {
                let why = format!("{} failed: {}", f.verb.word(), tail(&why));
                self.outcome(t, &cid, OutcomeKind::Failed, Some(why), &mut out);
                if f.cmd.actor == CONDUCTOR && f.verb == Verb::Advance {
                    self.conductor.auto_refused =
                        Some(self.state.current_wave().map_or(0, |w| w + 1));
                }
            }
            Actuated::Unknown { reason: why } => {
                let why = format!(
                    "{}: {}; the rollout is paused until someone checks where the traffic is",
                    f.verb.word(),
                    tail(&why)
                );
                self.outcome(t, &cid, OutcomeKind::Unknown, Some(why.clone()), &mut out);
                if let Some(w) = self.state.current_wave() {
                    if self.state.waves[w].status == WaveStatus::Active {
                        self.emit(
                            t,
                            CONTROL_PLANE,
                            Body::Wave {
                                wave: w,
                                state: WaveStatus::Paused,
                                traffic: None,
                                by: Some(CONDUCTOR.into()),
                                text: Some(format!("outcome unknown: {why}").into()),
                            },
                            &mut out,
                        );
                    }
                }
            }
        }
        self.next_queued(t, &mut out);
        self.consider_advance(t, &mut out);
        self.check_triggers(t, &mut out);
        out
    }

    /// A command that passed its checks: to the actuator when its verb has one (the outcome
    /// waits), otherwise carried out at once.
    pub(super) fn begin(&mut self, cmd: Command, out: &mut Vec<Record>) {
        let t = self.clock;
        let id = sanitize(&cmd.id);
        let named = cmd.wave.as_deref().map(|w| (w, self.plan.wave(w)));
        let verdict = self.judge(&cmd, named);
        if let Err((kind, why)) = verdict {
            self.outcome(t, &id, kind, Some(why), out);
            return;
        }
        if let Some(verb) = Verb::of(cmd.action).filter(|v| self.conduct.external.contains(v)) {
            let a = self.actuation(&cmd, verb);
            self.intent(&a, out);
            self.conductor.out.push(a);
            self.conductor.in_flight = Some(InFlight { cmd, verb });
            return;
        }
        let (by, reason) = who_and_why(&cmd);
        self.outcome(t, &id, OutcomeKind::Accepted, None, out);
        self.carry_out(cmd.action, t, by, reason, out);
    }

    /// Begins queued commands until one waits for the actuator.
    pub(super) fn next_queued(&mut self, _t: Offset, out: &mut Vec<Record>) {
        while self.conductor.in_flight.is_none() {
            let Some(cmd) = self.conductor.queue.pop_front() else {
                break;
            };
            self.begin(cmd, out);
        }
    }

    /// Whether a command is being carried out or waiting: the conductor makes no move of
    /// its own meanwhile.
    pub(super) fn busy(&self) -> bool {
        self.conductor.in_flight.is_some() || !self.conductor.queue.is_empty()
    }

    /// The conductor's own command: recorded like anybody's, then judged and carried out
    /// through the same path.
    pub(super) fn conductor_command(
        &mut self,
        action: Action,
        reason: String,
        out: &mut Vec<Record>,
    ) {
        self.conductor.issued += 1;
        let t = self.clock;
        let cmd = Command {
            id: format!("conductor-{}-{}", t.0, self.conductor.issued),
            action,
            actor: CONDUCTOR.into(),
            reason: Some(reason),
            wave: Some(self.state.current_wave().map_or_else(
                || NOT_STARTED.into(),
                |w| self.plan.spec.waves[w].id.clone(),
            )),
            item: None,
            session: None,
        };
        self.record_command(&cmd, out);
        if self.busy() {
            self.conductor.queue.push_back(cmd);
        } else {
            self.begin(cmd, out);
        }
    }

    /// The `command` record of a command as it arrives.
    pub(super) fn record_command(&mut self, cmd: &Command, out: &mut Vec<Record>) {
        let t = self.clock;
        let (by, reason) = who_and_why(cmd);
        let wave = cmd.expected_wave().and_then(|w| self.plan.wave(w));
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Command {
                id: sanitize(&cmd.id),
                action: cmd.action,
                by,
                reason,
                wave,
                item: cmd.item().map(sanitize),
            },
            out,
        );
    }

    /// Publishes an outcome and remembers it for retries of the same id.
    pub(super) fn outcome(
        &mut self,
        t: Offset,
        id: &str,
        result: OutcomeKind,
        reason: Option<String>,
        out: &mut Vec<Record>,
    ) {
        let reason: Option<Box<str>> = reason.map(|r| sanitize(&r));
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Outcome {
                id: id.into(),
                result,
                reason: reason.clone(),
            },
            out,
        );
        if !id.is_empty() {
            self.remember(id.into(), result, reason);
        }
    }

    pub(super) fn actuation(&self, cmd: &Command, verb: Verb) -> Actuation {
        let p = &self.plan.spec;
        let cur = self.state.current_wave();
        let target = match verb {
            Verb::Advance => cur.map_or(Some(0), |w| Some(w + 1).filter(|n| *n < p.waves.len())),
            _ => cur,
        };
        let before = self.state.traffic;
        let traffic = match verb {
            Verb::Advance => target.map_or(before, |w| p.waves[w].traffic),
            Verb::Rollback => 0.0,
            Verb::Pause | Verb::Resume => before,
        };
        // Advancing from the last wave completes the rollout: the context names that wave.
        let named = target.or(cur);
        Actuation {
            id: sanitize(&cmd.id),
            verb,
            rollout: p.id.clone(),
            wave: named.map(|w| (p.waves[w].id.clone(), p.waves[w].name.clone())),
            traffic,
            previous_traffic: before,
            actor: sanitize(cmd.actor.trim()),
            reason: cmd.reason.as_deref().map(sanitize),
            complete: verb == Verb::Advance && target.is_none(),
        }
    }

    /// The tail of an actuator's output, sanitised, as one timeline line.
    fn actuator_line(&mut self, t: Offset, verb: Verb, output: &str, out: &mut Vec<Record>) {
        let text = tail(output);
        if text.is_empty() {
            return;
        }
        self.emit(
            t,
            ACTUATOR,
            Body::Feed {
                text: format!("{}: {text}", verb.word()).into(),
            },
            out,
        );
    }

    /// Fired triggers do what their policy says, once per breach.
    pub(super) fn check_triggers(&mut self, t: Offset, out: &mut Vec<Record>) {
        if self.conduct.triggers.is_empty() {
            return;
        }
        let cur = self.state.current_wave();
        let watching = |trig: &Trigger| {
            let Some(w) = cur else { return false };
            matches!(
                self.state.waves[w].status,
                WaveStatus::Active | WaveStatus::Paused
            ) && trig.waves.as_ref().is_none_or(|ws| ws.contains(&w))
        };
        let mut fire: Vec<(usize, String)> = Vec::new();
        // SLO triggers: the state's breach clocks, counted on sample time.
        self.conductor.acted.retain(|&(s, i)| {
            self.state
                .slos
                .get(s)
                .and_then(|st| st.breaches.get(i))
                .is_some_and(|b| b.fired)
        });
        for (k, trig) in self.conduct.triggers.iter().enumerate() {
            match trig.when {
                When::Slo { slo, index } => {
                    let fired = self.state.slos[slo]
                        .breaches
                        .get(index)
                        .is_some_and(|b| b.fired);
                    if fired && !self.conductor.acted.contains(&(slo, index)) {
                        self.conductor.acted.push((slo, index));
                        if watching(trig) {
                            let spec = &self.plan.spec.slos[slo];
                            let value = self.state.slos[slo]
                                .last
                                .and_then(|l| l.value)
                                .map(|v| crate::core::words::format_value(v, &spec.unit))
                                .unwrap_or_default();
                            fire.push((k, format!("{} now {value}", spec.name)));
                        }
                    }
                }
                When::Alerts { severity, for_ } => {
                    let oldest = self
                        .state
                        .alerts
                        .iter()
                        .filter(|(_, a)| !a.silenced && a.severity >= severity)
                        .min_by_key(|(_, a)| a.since);
                    let Some((_, a)) = oldest else {
                        self.conductor.alert_fired[k] = false;
                        continue;
                    };
                    if !self.conductor.alert_fired[k] && t.since(a.since) >= for_ {
                        self.conductor.alert_fired[k] = true;
                        if watching(trig) {
                            fire.push((k, format!("{} firing", a.name)));
                        }
                    }
                }
            }
        }
        for (k, what) in fire {
            let trig = self.conduct.triggers[k].clone();
            let reason = format!("trigger {:?} fired: {what}", trig.label);
            match trig.policy {
                Policy::Notify => self.emit(
                    t,
                    CONTROL_PLANE,
                    Body::Incident {
                        milestone: Milestone::Detected,
                        severity: Some(Severity::Critical),
                        text: Some(reason.into()),
                    },
                    out,
                ),
                Policy::Pause => self.conductor_command(Action::Pause, reason, out),
                Policy::Rollback => self.conductor_command(Action::Rollback, reason, out),
            }
        }
    }
}

/// The last [`OUTPUT_TAIL`] characters of an actuator's words, sanitised, on one line.
#[must_use]
pub fn tail(text: &str) -> String {
    let flat: String = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    let n = flat.chars().count();
    if n <= OUTPUT_TAIL {
        return sanitize(&flat).into();
    }
    let kept: String = flat.chars().skip(n - OUTPUT_TAIL).collect();
    format!("…{}", sanitize(&kept))
}
